/**
 * The interactive `homing init` in a real terminal (a tmux pane: stdin and stdout are TTYs, the
 * keys are typed), end to end for DreamHost, Cloudflare and the No-IP dyndns2 preset against their
 * emulators: the config it writes passes `homing check`, each secret sits in its own 0600 file and
 * appears nowhere else (not on the screen, not in the config), and its check and dry run reached
 * the emulator. Also: a mistyped provider is asked again, Ctrl-C and Ctrl-D leave no file, flags on
 * a terminal and no terminal at all write the starter config without a question.
 *
 * The provider's endpoint comes from the environment (HOMING_PROVIDERS_<ID>_ENDPOINT), as it would
 * for a user behind a proxy; detection is one local echo, typed at the sources question.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startCloudflareEmulator } from "../emulators/cloudflare.ts";
import { startDnsResponder } from "../emulators/dns-responder.ts";
import { startDreamHostEmulator } from "../emulators/dreamhost.ts";
import { startDyndns2Emulator } from "../emulators/dyndns2.ts";
import { startEcho } from "../emulators/ip-echo.ts";
import { ACCOUNT, BIN, canaryKey, IP1, makeTempDir, modeOf, NAME, runCli, ZONE } from "../support/harness.ts";
import { startTmuxCli, TMUX, type TmuxCli } from "../support/tmux.ts";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function terminal(
  args: readonly string[],
  options: Parameters<typeof startTmuxCli>[1],
): Promise<TmuxCli> {
  const cli = await startTmuxCli(args, options);
  closers.push(() => cli.close());
  return cli;
}

async function echo(): Promise<string> {
  const server = await startEcho({ answer: IP1 });
  closers.push(() => server.close());
  return server.url;
}

/** The questions after the credentials: one name, IPv4 only, the local echo as the only source. */
async function answerNamesAndDetection(cli: TmuxCli, echoUrl: string): Promise<void> {
  await cli.waitFor("Names:");
  await cli.type(NAME);
  const addresses = await cli.waitFor(/Addresses \[\d\]:|IPv4 sources \[/);
  if (addresses.includes("Addresses")) await cli.type("1");
  await cli.waitFor("IPv4 sources [cloudflare, ipify, ipinfo]:");
  await cli.type(echoUrl);
  await cli.waitFor("Write them? [Y/n]");
  await cli.type("");
}

/** What every successful run shares: exit 0, config and secret files as promised, no secret shown. */
async function expectWritten(
  cli: TmuxCli,
  dir: string,
  secrets: Record<string, string>,
): Promise<{ config: string; screen: string }> {
  await cli.waitFor(`Ready: ${join(dir, "homing.toml")} works.`, 30_000);
  expect(await cli.exitCode()).toBe(0);
  const screen = await cli.screen();
  const config = await readFile(join(dir, "homing.toml"), "utf8");
  expect(await modeOf(join(dir, "homing.toml"))).toBe(0o600);
  expect(await modeOf(join(dir, "homing-secrets"))).toBe(0o700);
  for (const [file, secret] of Object.entries(secrets)) {
    const path = join(dir, "homing-secrets", file);
    expect(await readFile(path, "utf8")).toBe(`${secret}\n`);
    expect(await modeOf(path)).toBe(0o600);
    expect(config).toContain(`_file = ${JSON.stringify(path)}`);
    expect(config).not.toContain(secret);
    expect(screen).not.toContain(secret);
    // Not even a piece of it: readline must not have echoed a single typed character.
    expect(screen).not.toContain(secret.slice(0, 8));
  }
  expect(config).toContain(`name = "${NAME}"`);
  expect(screen).toContain(`${BIN} run -c ${join(dir, "homing.toml")}`);
  expect(screen).toContain(`cron:    */5 * * * * ${BIN} run -c ${join(dir, "homing.toml")}`);
  return { config, screen };
}

// tmux comes from Debian's package (.ci/run installs it); without it these tests are skipped.
describe.skipIf(!existsSync(TMUX))(`homing init on a terminal (${TMUX})`, () => {
  it("DreamHost: a mistyped provider is asked again; key hidden, config checked and dry-run at the emulator", async () => {
    const key = canaryKey();
    const emu = await startDreamHostEmulator({
      keys: { [key]: { accountIds: [ACCOUNT], cmds: "*" } },
      zones: [{ accountId: ACCOUNT, zone: ZONE }],
      records: [],
      rateLimits: [],
    });
    closers.push(() => emu.close());
    const dir = await makeTempDir("homing-init-");
    const env = { HOMING_PROVIDERS_DREAMHOST_ENDPOINT: emu.url };
    const cli = await terminal(["init"], { dir, env });

    await cli.waitFor("Provider (number or name):");
    await cli.type("dreamhots");
    await cli.waitFor('no provider "dreamhots"; did you mean "dreamhost"?');
    await cli.waitFor("Provider (number or name):");
    await cli.type("99");
    await cli.waitFor("no number 99");
    await cli.type("dreamhost");
    await cli.waitFor("DreamHost API key (api_key; hidden while you type):");
    await cli.type("");
    await cli.waitFor("api_key is required");
    await cli.type(key);
    await answerNamesAndDetection(cli, await echo());

    const { config, screen } = await expectWritten(cli, dir, { "dreamhost.api-key": key });
    expect(config).toContain('type = "dreamhost"');
    expect(screen).toMatch(/provider dreamhost \(DreamHost\): ok/);
    expect(screen).toContain(`would create ${NAME} A ${IP1}`);
    expect(emu.requests.map((request) => request.cmd)).toContain("dns-list_records");
    expect(emu.records()).toEqual([]);

    const check = await runCli(["check", "-c", join(dir, "homing.toml")], dir, { env });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/\nok$/m);
  });

  it("Cloudflare: picked by number, token hidden, the check and the dry run reach the emulator", async () => {
    const token = `CANARY${canaryKey()}${canaryKey()}`;
    const emu = await startCloudflareEmulator({
      tokens: { [token]: { zones: "*" } },
      zones: [{ name: ZONE }],
    });
    closers.push(() => emu.close());
    const dir = await makeTempDir("homing-init-");
    const env = { HOMING_PROVIDERS_CLOUDFLARE_ENDPOINT: emu.url };
    const cli = await terminal(["init"], { dir, env });

    await cli.waitFor("Provider (number or name):");
    await cli.type("2");
    await cli.waitFor("(api_token; hidden while you type):");
    await cli.type(token);
    await answerNamesAndDetection(cli, await echo());

    const { config, screen } = await expectWritten(cli, dir, { "cloudflare.api-token": token });
    expect(config).toContain('type = "cloudflare"');
    expect(screen).toMatch(/provider cloudflare \(Cloudflare\): ok/);
    expect(screen).toContain(`would create ${NAME} A ${IP1}`);
    expect(emu.requests.length).toBeGreaterThan(0);
    expect(emu.requests.filter((request) => request.method !== "GET")).toEqual([]);

    const check = await runCli(["check", "-c", join(dir, "homing.toml")], dir, { env });
    expect(check.code, check.stderr).toBe(0);
  });

  it("No-IP (a dyndns2 preset): username asked, password hidden; the dry run asks DNS and sends no update", async () => {
    const password = `CANARY-${canaryKey()}`;
    const emu = await startDyndns2Emulator({
      behaviour: { preset: "noip" },
      accounts: [{ username: "homing-user", password, hosts: [NAME] }],
    });
    closers.push(() => emu.close());
    const dns = await startDnsResponder({ lookup: (name, type) => emu.lookup(name, type) });
    closers.push(() => dns.close());
    const dir = await makeTempDir("homing-init-");
    const env = { HOMING_PROVIDERS_NOIP_SERVER: emu.url, HOMING_PROVIDERS_NOIP_RESOLVER: dns.address };
    const cli = await terminal(["init"], { dir, env });

    await cli.waitFor("Provider (number or name):");
    await cli.type("No-IP");
    await cli.waitFor("my.noip.com");
    await cli.waitFor("username (Enter to leave it out):");
    await cli.type("homing-user");
    await cli.waitFor("(password; hidden while you type):");
    await cli.type(password);
    await answerNamesAndDetection(cli, await echo());

    const { config, screen } = await expectWritten(cli, dir, { "noip.password": password });
    expect(config).toContain('type = "dyndns2"');
    expect(config).toContain('preset = "noip"');
    expect(config).toContain('username = "homing-user"');
    expect(screen).toMatch(/provider noip \(No-IP\): ok/);
    expect(screen).toContain(`would create ${NAME} A ${IP1}`);
    expect(dns.queries.length).toBeGreaterThan(0);
    expect(emu.requests).toEqual([]);

    const check = await runCli(["check", "-c", join(dir, "homing.toml")], dir, { env });
    expect(check.code, check.stderr).toBe(0);
  });

  it("an unreachable provider: says so, keeps the config and the key file, and names the command to run again", async () => {
    const dir = await makeTempDir("homing-init-");
    const key = canaryKey();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const cli = await terminal(["init"], {
      dir,
      env: { HOMING_PROVIDERS_DREAMHOST_ENDPOINT: "http://127.0.0.1:9/" },
    });
    await cli.waitFor("Provider (number or name):");
    await cli.type("dreamhost");
    await cli.waitFor("hidden while you type");
    await cli.type(key);
    await answerNamesAndDetection(cli, await echo());
    await cli.waitFor("could not be reached (is the network up?)", 30_000);
    await cli.waitFor(`${BIN} check -c ${join(dir, "homing.toml")}`);
    expect(await cli.exitCode()).toBe(1);
    expect(await readFile(join(dir, "homing-secrets", "dreamhost.api-key"), "utf8")).toBe(`${key}\n`);
    expect(await readFile(join(dir, "homing.toml"), "utf8")).toContain('type = "dreamhost"');
    expect(await cli.screen()).not.toContain(key);
  });

  it("an existing secret file is offered, and kept as it is", async () => {
    const dir = await makeTempDir("homing-init-");
    await mkdir(join(dir, "homing-secrets"), { mode: 0o700 });
    await writeFile(join(dir, "homing-secrets", "duckdns.token"), "KEEP-ME\n", { mode: 0o600 });
    const cli = await terminal(["init"], { dir });
    await cli.waitFor("Provider (number or name):");
    await cli.type("duckdns");
    await cli.waitFor("duckdns.token exists already. Use the");
    await cli.type("");
    await cli.waitFor("Names:");
    await cli.key("C-c");
    expect(await cli.exitCode()).toBe(130);
    expect(await readFile(join(dir, "homing-secrets", "duckdns.token"), "utf8")).toBe("KEEP-ME\n");
    expect(existsSync(join(dir, "homing.toml"))).toBe(false);
  });

  it("Ctrl-C at the hidden key prompt stops at once and writes nothing", async () => {
    const dir = await makeTempDir("homing-init-");
    const cli = await terminal(["init"], { dir });
    await cli.waitFor("Provider (number or name):");
    await cli.type("1");
    await cli.waitFor("hidden while you type");
    await cli.key("C-c");
    await cli.waitFor("interrupted (Ctrl-C); nothing was written");
    expect(await cli.exitCode()).toBe(130);
    expect((await readdir(dir)).filter((name) => !name.startsWith("."))).toEqual([]);
  });

  it("Ctrl-D (end of input) at the names question writes nothing either", async () => {
    const dir = await makeTempDir("homing-init-");
    const cli = await terminal(["init"], { dir });
    await cli.waitFor("Provider (number or name):");
    await cli.type("cloudflare");
    await cli.waitFor("hidden while you type");
    await cli.type("CANARY-not-kept");
    await cli.waitFor("Names:");
    await cli.key("C-d");
    await cli.waitFor("the input ended (Ctrl-D); nothing was written");
    expect(await cli.exitCode()).toBe(130);
    expect(existsSync(join(dir, "homing.toml"))).toBe(false);
    expect(existsSync(join(dir, "homing-secrets"))).toBe(false);
  });

  it("with flags, asks nothing even on a terminal: the starter config with the --name names", async () => {
    const dir = await makeTempDir("homing-init-");
    const cli = await terminal(
      ["init", "--provider", "cloudflare", "--name", "a.example.com,b.example.com"],
      {
        dir,
      },
    );
    expect(await cli.exitCode()).toBe(0);
    expect(await cli.screen()).not.toContain("Provider (number or name)");
    const config = await readFile(join(dir, "homing.toml"), "utf8");
    expect(config).toContain('type = "cloudflare"');
    expect(config).toContain('name = "a.example.com"');
    expect(config).toContain('name = "b.example.com"');
    expect(config).not.toContain("home.example.com");
  });
});

describe("homing init without a terminal", () => {
  it("writes the starter config, and --non-interactive --name fills in the record", async () => {
    const dir = await makeTempDir("homing-init-");
    const plain = await runCli(["init"], dir);
    expect(plain.code, plain.stderr).toBe(0);
    expect(await readFile(join(dir, "homing.toml"), "utf8")).toContain('type = "dreamhost"');

    const named = await runCli(["init", "--non-interactive", "--name", "nas.example.org", "named.toml"], dir);
    expect(named.code, named.stderr).toBe(0);
    const config = await readFile(join(dir, "named.toml"), "utf8");
    expect(config).toContain('name = "nas.example.org"');
    expect((await stat(join(dir, "named.toml"))).mode & 0o777).toBe(0o600);

    const bad = await runCli(["init", "--name", "not a name", "bad.toml"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('homing init --name "not a name"');
    expect(existsSync(join(dir, "bad.toml"))).toBe(false);
  });
});
