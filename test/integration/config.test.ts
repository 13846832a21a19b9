/**
 * Configuration as the CLI reports it: every config problem exits 2 before any network call and
 * names the file (or variable), the key path and a "did you mean" hint; the environment overrides the
 * file; risky settings (plain http to a remote host, a key file others can read) are warned about.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllWorlds, configToml, IP1, lines, NAME, startWorld, type World } from "../support/harness.ts";

afterEach(closeAllWorlds);

/** Rewrites the world's config file through a text substitution. */
async function editConfigText(world: World, edit: (text: string) => string): Promise<void> {
  const text = configToml(world.spec);
  const edited = edit(text);
  expect(edited).not.toBe(text);
  await writeFile(world.configPath, edited, { mode: 0o600 });
}

function expectNoNetwork(world: World): void {
  expect(world.requests()).toEqual([]);
  expect(world.echoes4.reduce((sum, echo) => sum + echo.hits, 0)).toBe(0);
}

describe("config errors exit 2 and say where and what", () => {
  it("a misspelt key (quorom) names the file, the key path and suggests quorum", async () => {
    const world = await startWorld();
    await editConfigText(world, (text) => text.replace("quorum = 2", "quorom = 2"));

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `${world.configPath}: detect.ipv4.quorom: unknown key (did you mean "quorum"?)`,
    );
    expectNoNetwork(world);
  });

  it("an unknown provider type suggests the known one", async () => {
    const world = await startWorld();
    await editConfigText(world, (text) => text.replace('type = "dreamhost"', 'type = "dreamhots"'));

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(world.configPath);
    expect(result.stderr).toMatch(
      /providers\.dh\.type: unknown provider type "dreamhots" \(did you mean "dreamhost"\?\)/,
    );
    expectNoNetwork(world);
  });

  it("a record pointing at a missing provider names the record and the configured ids", async () => {
    const world = await startWorld();
    world.spec.records = [{ name: NAME, provider: "dhh" }];
    await world.writeConfig();

    const result = await world.run("check");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${world.configPath}: records[0].provider: no provider "dhh" is configured (did you mean "dh"?); configured: dh`,
    );
    expectNoNetwork(world);
  });

  it("an IPv6 literal in the IPv4 source list is refused", async () => {
    const world = await startWorld();
    world.spec.ipv4Sources = [...(world.spec.ipv4Sources ?? []), { url: "http://[::1]:9/", name: "v6" }];
    await world.writeConfig();

    const result = await world.run("detect");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /detect\.ipv4\.sources\[3\]: \[::1\]:9 is an ipv6 address, but this list is for ipv4/,
    );
    expectNoNetwork(world);
  });

  it("a missing key file is a config error naming the file", async () => {
    const world = await startWorld();
    world.spec.providers.dh = {
      ...world.spec.providers.dh,
      endpoint: world.dh.url,
      apiKeyFile: join(world.dir, "nope.key"),
    };
    await world.writeConfig();

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /providers\.dh\.api_key_file: cannot read the secret file .*nope\.key: no such file/,
    );
    expect(world.requests()).toEqual([]);
  });

  it("a config file that is not valid TOML gives its line and column", async () => {
    const world = await startWorld();
    await writeFile(world.configPath, 'state_dir = "/tmp/x"\n[detect\ntimeout = "5s"\n');

    const result = await world.run("run");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`${world.configPath.replace(/[.]/g, "\\.")}:2:\\d+: not valid TOML`),
    );
  });
});

describe("environment overrides", () => {
  it("HOMING_DETECT_IPV4_QUORUM overrides the file's quorum", async () => {
    const world = await startWorld({
      ipv4: [{ answer: IP1 }, { answer: IP1 }, { body: "garbage" }],
    });

    const raised = await world.run("run", [], { env: { HOMING_DETECT_IPV4_QUORUM: "3" } });

    expect(raised.code).toBe(1);
    expect(raised.stderr).toMatch(/fewer than the quorum of 3/);
    expect(world.mutations()).toEqual([]);

    const fileQuorum = await world.run("run");
    expect(fileQuorum.code).toBe(0);
    expect(lines(fileQuorum.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
  });

  it("an impossible quorum from the environment is blamed on the variable", async () => {
    const world = await startWorld();

    const result = await world.run("run", [], { env: { HOMING_DETECT_IPV4_QUORUM: "5" } });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /environment variable HOMING_DETECT_IPV4_QUORUM: detect\.ipv4\.quorum is 5, more than the 3 source\(s\)/,
    );
    expectNoNetwork(world);
  });

  it("a misspelt HOMING_ variable is an error with a suggestion", async () => {
    const world = await startWorld();

    const result = await world.run("run", [], { env: { HOMING_DETECT_IPV4_QUOROM: "2" } });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /HOMING_DETECT_IPV4_QUOROM: not a homing setting.*did you mean HOMING_DETECT_IPV4_QUORUM\?/,
    );
    expectNoNetwork(world);
  });
});

/** An empty but valid state file: `homing status` then reads the config and exits 0 without a network call. */
async function afterFirstRun(world: World): Promise<void> {
  await mkdir(world.stateDir, { recursive: true });
  await writeFile(
    world.statePath,
    JSON.stringify({ version: 1, records: {}, providers: {}, detection: {}, history: [] }),
  );
}

describe("risky settings are warned about", () => {
  it("an http:// endpoint on a non-loopback host warns", async () => {
    const world = await startWorld();
    world.spec.providers.dh = { ...world.spec.providers.dh, endpoint: "http://api.dreamhost.example/" };
    await world.writeConfig();
    await afterFirstRun(world);

    const result = await world.run("status");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^warning: .*providers\.dh\.endpoint: http:\/\/api\.dreamhost\.example uses plain http.*use https:\/\//m,
    );
  });

  it("http:// to loopback does not warn", async () => {
    const world = await startWorld();
    await afterFirstRun(world);

    const result = await world.run("status");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("a group-readable key file (0640) warns with the chmod to run, and the run still works", async () => {
    const world = await startWorld();
    await chmod(world.keyPath, 0o640);

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `warning: secret file ${world.keyPath} is readable by its group (mode 0640); run: chmod 600 ${world.keyPath}`,
    );
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (dh)`]);
  });
});
