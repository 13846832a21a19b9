/**
 * The `interface` source and the IPv6 echo guard through the real CLI (`homing detect --json`) on
 * real kernel addresses: each test creates a network namespace with a veth interface v0, adds
 * addresses with `ip -n NS addr add` (public-looking ones exist only inside the namespace) and runs
 * homing inside it with `ip netns exec`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  NETNS,
  removeAllNamespaces,
  sweepStaleNamespaces,
  TestNamespace,
  waitFor,
} from "../support/netns.ts";

interface DetectJson {
  detection: Array<{
    family: string;
    status: string;
    address?: string;
    reason?: string;
    sources: Array<{
      source: string;
      kind?: string;
      verdict: string;
      address?: string;
      reason?: string;
      hint?: string;
      evidence?: string;
      note?: string;
    }>;
  }>;
}

const P = "2a00:1450:4001:81b";
const homes: string[] = [];

beforeAll(sweepStaleNamespaces);
afterEach(removeAllNamespaces);
afterAll(async () => {
  await removeAllNamespaces();
  await Promise.all(homes.map((home) => rm(home, { recursive: true, force: true })));
});

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "homing-iface-"));
  homes.push(dir);
  return dir;
}

/** A config whose records make `detect` ask `families`, with `sources` (TOML) for each. */
async function config(dir: string, spec: { ipv4?: string; ipv6?: string; extra6?: string }): Promise<string> {
  const lines = [`state_dir = ${JSON.stringify(join(dir, "state"))}`, "[detect]", 'timeout = "3s"'];
  if (spec.ipv4) lines.push("[detect.ipv4]", `sources = ${spec.ipv4}`, "quorum = 1");
  if (spec.ipv6) lines.push("[detect.ipv6]", `sources = ${spec.ipv6}`, "quorum = 1", spec.extra6 ?? "");
  lines.push(
    "[providers.dh]",
    'type = "dreamhost"',
    'endpoint = "http://127.0.0.1:9/"',
    'api_key = "ABCDEFGHIJ123456"',
    "[[records]]",
    'name = "home.example.com"',
    'provider = "dh"',
    `ipv4 = ${spec.ipv4 !== undefined}`,
    `ipv6 = ${spec.ipv6 !== undefined}`,
  );
  const file = join(dir, "homing.toml");
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}

async function detect(ns: TestNamespace, spec: Parameters<typeof config>[1]) {
  const dir = await home();
  const result = await ns.runCli(["detect", "--json", "-c", await config(dir, spec)], dir);
  return { result, json: JSON.parse(result.stdout) as DetectJson };
}

describe.skipIf(!NETNS.ok)("interface source on real kernel addresses", () => {
  it("IPv6: takes the permanent address, never a deprecated, tentative, ULA or link-local one", async () => {
    const ns = new TestNamespace();
    // DAD that never finishes: addresses added without nodad stay tentative.
    ns.sysctl("net.ipv6.conf.v0.dad_transmits", "200");
    ns.ip("addr", "add", `${P}::9/64`, "dev", "v0", "nodad", "valid_lft", "3600", "preferred_lft", "1800");
    ns.ip("addr", "add", `${P}::7/64`, "dev", "v0", "nodad", "preferred_lft", "0");
    ns.ip("addr", "add", `${P}::8/64`, "dev", "v0");
    ns.ip("addr", "add", "fd00:1::1/64", "dev", "v0", "nodad");
    ns.ip("addr", "add", `${P}::5/64`, "dev", "v0", "nodad");

    const { result, json } = await detect(ns, { ipv6: '["interface:v0"]' });

    expect(result.code, result.stderr).toBe(0);
    expect(json.detection[0]).toMatchObject({ family: "ipv6", status: "known", address: `${P}::5` });
    expect(json.detection[0]?.sources[0]).toMatchObject({
      kind: "interface",
      verdict: "agreed",
      evidence: "v0, permanent, preferred forever",
    });
  });

  it("IPv6: an interface with only unusable addresses is refused, with every reason", async () => {
    const ns = new TestNamespace();
    ns.sysctl("net.ipv6.conf.v0.dad_transmits", "200");
    ns.ip("addr", "add", `${P}::7/64`, "dev", "v0", "nodad", "preferred_lft", "0");
    ns.ip("addr", "add", `${P}::8/64`, "dev", "v0");
    ns.ip("addr", "add", "fd00:1::1/64", "dev", "v0", "nodad");

    const { result, json } = await detect(ns, { ipv6: '[{ kind = "interface", interface = "v0" }]' });

    expect(result.code).toBe(1);
    const source = json.detection[0]?.sources[0];
    expect(source?.verdict).toBe("rejected");
    expect(source?.reason).toMatch(/^v0 has no IPv6 address homing may publish: /);
    for (const word of ["deprecated", "tentative", "ULA", "link-local"])
      expect(source?.reason).toContain(word);
    expect(source?.hint).toMatch(/never a temporary/);
  });

  it("IPv6: with privacy extensions, the stable mngtmpaddr address wins over the kernel's temporary one", async () => {
    const ns = new TestNamespace();
    ns.sysctl("net.ipv6.conf.v0.use_tempaddr", "2");
    ns.ip("addr", "add", `${P}::20/64`, "dev", "v0", "mngtmpaddr", "nodad");
    await waitFor(
      () => ns.addresses().some((a) => a.temporary === true && a.tentative !== true),
      "a temporary address",
    );

    const { result, json } = await detect(ns, { ipv6: '["interface:v0"]' });

    expect(result.code, result.stderr).toBe(0);
    expect(json.detection[0]).toMatchObject({ address: `${P}::20` });
    expect(json.detection[0]?.sources[0]?.evidence).toBe("v0, mngtmpaddr, preferred forever");
  });

  it("IPv6: prefer overrides the rule, by interface identifier or by prefix", async () => {
    const ns = new TestNamespace();
    ns.ip("addr", "add", `${P}::5/64`, "dev", "v0", "nodad");
    ns.ip(
      "addr",
      "add",
      "2a01:4f8:1:2::1234/64",
      "dev",
      "v0",
      "nodad",
      "valid_lft",
      "3600",
      "preferred_lft",
      "1800",
    );

    const bySuffix = await detect(ns, {
      ipv6: '[{ kind = "interface", interface = "v0", prefer = "::1234" }]',
    });
    expect(bySuffix.json.detection[0]).toMatchObject({ address: "2a01:4f8:1:2::1234" });
    expect(bySuffix.json.detection[0]?.sources[0]?.evidence).toBe(
      'v0, dynamic, preferred 1800 s, matches prefer "::1234"',
    );

    const byPrefix = await detect(ns, {
      ipv6: '[{ kind = "interface", interface = "v0", prefer = "2a01:4f8::/32" }]',
    });
    expect(byPrefix.json.detection[0]).toMatchObject({ address: "2a01:4f8:1:2::1234" });

    const noMatch = await detect(ns, { ipv6: '[{ kind = "interface", interface = "v0", prefer = "::99" }]' });
    expect(noMatch.json.detection[0]).toMatchObject({ address: `${P}::5` });
  });

  it("IPv4: a public interface address is taken; a private or CGNAT one is refused like an echo's", async () => {
    const ns = new TestNamespace();
    ns.ip("addr", "add", "11.22.33.44/24", "dev", "v0");
    const pub = await detect(ns, { ipv4: '["interface:v0"]' });
    expect(pub.result.code, pub.result.stderr).toBe(0);
    expect(pub.json.detection[0]).toMatchObject({ family: "ipv4", address: "11.22.33.44" });
    expect(pub.json.detection[0]?.sources[0]?.evidence).toBe("v0, primary address");

    ns.ip("addr", "flush", "dev", "v0");
    ns.ip("addr", "add", "192.168.7.5/24", "dev", "v0");
    const priv = await detect(ns, { ipv4: '["interface:v0"]' });
    expect(priv.result.code).toBe(1);
    expect(priv.json.detection[0]?.sources[0]).toMatchObject({
      verdict: "rejected",
      reason: "v0: 192.168.7.5 is not public: private network (RFC 1918) (192.168.0.0/16)",
    });

    ns.ip("addr", "flush", "dev", "v0");
    ns.ip("addr", "add", "100.64.7.5/24", "dev", "v0");
    const cgnat = await detect(ns, { ipv4: '["interface:v0"]' });
    expect(cgnat.json.detection[0]?.sources[0]?.reason).toMatch(/carrier-grade NAT/);
    expect(cgnat.json.detection[0]?.sources[0]?.hint).toMatch(/CGNAT/);
  });

  it("a missing interface is a clear failure", async () => {
    const ns = new TestNamespace();
    const { result, json } = await detect(ns, { ipv4: '["interface:eth9"]' });
    expect(result.code).toBe(1);
    expect(json.detection[0]?.sources[0]).toMatchObject({
      verdict: "failed",
      reason: expect.stringContaining('no network interface "eth9"'),
    });
  });
});

describe.skipIf(!NETNS.ok)("the echo guard: an echo that answers this host's temporary address", () => {
  /** A real kernel temporary address on v0 (privacy extensions on), and an echo inside the namespace answering it. */
  async function world(): Promise<{ ns: TestNamespace; temporary: string; echoUrl: string }> {
    const ns = new TestNamespace();
    ns.sysctl("net.ipv6.conf.v0.use_tempaddr", "2");
    ns.ip("addr", "add", `${P}::20/64`, "dev", "v0", "mngtmpaddr", "nodad");
    await waitFor(
      () => ns.addresses().some((a) => a.temporary === true && a.tentative !== true),
      "a temporary address",
    );
    const temporary = ns.addresses().find((a) => a.temporary === true)?.local as string;
    const echo = ns.spawn(process.execPath, [
      "--import",
      "tsx",
      "test/emulators/ip-echo-cli.ts",
      "--host",
      "::1",
      "--answer",
      temporary,
    ]);
    const echoUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      echo.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const line = out.split("\n")[0];
        if (out.includes("\n") && line) resolve((JSON.parse(line) as { url: string }).url);
      });
      echo.once("exit", (code) => reject(new Error(`the echo exited (${code})`)));
    });
    return { ns, temporary, echoUrl };
  }

  it("by default the answer is refused, with the reason and the fix, in detect and in the run's log", async () => {
    const { ns, temporary, echoUrl } = await world();
    const source = `[{ url = ${JSON.stringify(echoUrl)}, name = "echo" }]`;
    const { result, json } = await detect(ns, { ipv6: source });

    expect(result.code).toBe(1);
    expect(json.detection[0]?.sources[0]).toMatchObject({
      source: "echo",
      verdict: "rejected",
      address: temporary,
      reason: `${temporary} is a temporary (privacy) IPv6 address of this host (v0): it changes within a day, so homing does not publish it`,
      hint: expect.stringContaining('temporary = "replace"'),
    });

    const dir = await home();
    const run = await ns.runCli(["run", "--dry-run", "-c", await config(dir, { ipv6: source })], dir);
    expect(run.stderr).toContain(
      `IPv6 source echo: ${temporary} is a temporary (privacy) IPv6 address of this host (v0)`,
    );
  });

  it('with temporary = "replace", the stable address of the same interface is used, and detect says so', async () => {
    const { ns, temporary, echoUrl } = await world();
    const { result, json } = await detect(ns, {
      ipv6: `[{ url = ${JSON.stringify(echoUrl)}, name = "echo" }]`,
      extra6: 'temporary = "replace"',
    });

    expect(result.code, result.stderr).toBe(0);
    expect(json.detection[0]).toMatchObject({ status: "known", address: `${P}::20` });
    expect(json.detection[0]?.sources[0]?.note).toBe(
      `the echo answered ${temporary}, a temporary address of v0; using v0's stable address ${P}::20 (v0, mngtmpaddr, preferred forever) instead`,
    );
  });
});
