/**
 * The update-URL emulators (dyndns2, DuckDNS) and the DNS responder behave as the services'
 * documentation says (sources in each emulator's header), checked with plain HTTP and node:dns.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { resolveAddresses } from "../../src/platform/resolve.ts";
import { startDnsResponder } from "./dns-responder.ts";
import { startDuckDnsEmulator } from "./duckdns.ts";
import { startDyndns2Emulator } from "./dyndns2.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

const AGENT = { "user-agent": "homing-test/1.0" };
const basic = (user: string, password: string) => ({
  ...AGENT,
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

describe("dyndns2 emulator", () => {
  async function start(preset = "noip", abuseAfterNochg?: number) {
    const emu = await startDyndns2Emulator({
      behaviour: { preset, ...(abuseAfterNochg !== undefined ? { abuseAfterNochg } : {}) },
      accounts: [
        { username: "u", password: "pw", hosts: ["a.example.com", "b.example.com"] },
        { username: "other", password: "x", hosts: ["c.example.com"] },
      ],
    });
    closers.push(() => emu.close());
    return emu;
  }

  it("answers one code per hostname, in order, and logs without credentials", async () => {
    const emu = await start();
    const reply = await get(
      `${emu.url}?hostname=a.example.com,c.example.com,zz.example.com,nodot&myip=81.2.69.142`,
      basic("u", "pw"),
    );
    expect(reply).toEqual({ status: 200, body: "good 81.2.69.142\n!yours\nnohost\nnotfqdn\n" });
    expect(emu.requests[0]).toMatchObject({ username: "u", authorization: "***" });
    expect(JSON.stringify(emu.requests)).not.toContain("pw");
  });

  it("badagent without a User-Agent, 401 without credentials, badauth with wrong ones", async () => {
    const emu = await start();
    const url = `${emu.url}?hostname=a.example.com&myip=81.2.69.142`;
    expect((await get(url, { authorization: basic("u", "pw").authorization })).body).toBe("badagent");
    expect(await get(url, AGENT)).toEqual({ status: 401, body: "badauth" });
    expect((await get(url, basic("u", "nope"))).body).toBe("badauth");
  });

  it("nochg for an unchanged address, abuse after too many in a row (No-IP)", async () => {
    const emu = await start("noip", 2);
    const url = `${emu.url}?hostname=a.example.com&myip=81.2.69.142`;
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await get(url, basic("u", "pw"))).body);
    expect(bodies).toEqual(["good 81.2.69.142\n", "nochg 81.2.69.142\n", "nochg 81.2.69.142\n", "abuse\n"]);
  });

  it("combined myip=v4,v6 (No-IP); a lone address clears the other family on Dyn", async () => {
    const noip = await start("noip");
    await get(
      `${noip.url}?hostname=a.example.com&myip=81.2.69.142,2a00:1450:4001:81b::200e`,
      basic("u", "pw"),
    );
    await get(`${noip.url}?hostname=a.example.com&myip=2a00:1450:4001:81b::2001`, basic("u", "pw"));
    expect(noip.records()["a.example.com"]).toEqual({
      ipv4: "81.2.69.142",
      ipv6: "2a00:1450:4001:81b::2001",
    });
    const dyn = await start("dyn");
    await get(
      `${dyn.url}?hostname=a.example.com&myip=81.2.69.142,2a00:1450:4001:81b::200e`,
      basic("u", "pw"),
    );
    await get(`${dyn.url}?hostname=a.example.com&myip=2a00:1450:4001:81b::2001`, basic("u", "pw"));
    expect(dyn.records()["a.example.com"]).toEqual({ ipv6: "2a00:1450:4001:81b::2001" });
  });

  it('Dynu reads myipv6 and "no"; OVH wants system=dyndns; without myip the connection address is used', async () => {
    const dynu = await start("dynu");
    await get(`${dynu.url}?hostname=a.example.com&myip=no&myipv6=2a00:1450:4001:81b::200e`, basic("u", "pw"));
    expect(dynu.records()["a.example.com"]).toEqual({ ipv6: "2a00:1450:4001:81b::200e" });
    const ovh = await start("ovh");
    expect((await get(`${ovh.url}?hostname=a.example.com&myip=81.2.69.142`, basic("u", "pw"))).body).toBe(
      "badsys",
    );
    expect((await get(`${ovh.url}?system=dyndns&hostname=a.example.com`, basic("u", "pw"))).body).toBe(
      "good 127.0.0.1\n",
    );
  });

  it("injects codes and HTTP faults, once each", async () => {
    const emu = await start();
    emu.addFault({ kind: "code", code: "911" });
    emu.addFault({ kind: "http", status: 502, body: "bad gateway" });
    const url = `${emu.url}?hostname=a.example.com&myip=81.2.69.142`;
    expect((await get(url, basic("u", "pw"))).body).toBe("911");
    expect(await get(url, basic("u", "pw"))).toEqual({ status: 502, body: "bad gateway" });
    expect((await get(url, basic("u", "pw"))).body).toBe("good 81.2.69.142\n");
  });
});

describe("duckdns emulator", () => {
  it("OK/KO, verbose answers, the token kept out of the log, IPv4 taken from the connection", async () => {
    const emu = await startDuckDnsEmulator({ accounts: { "tok-1": ["home"] } });
    closers.push(() => emu.close());
    expect((await get(`${emu.url}?domains=home&token=bad&ip=81.2.69.142`)).body).toBe("KO");
    expect((await get(`${emu.url}?domains=home,away&token=tok-1&ip=81.2.69.142`)).body).toBe("KO");
    expect((await get(`${emu.url}?domains=home&token=tok-1&ip=81.2.69.142`)).body).toBe("OK");
    expect((await get(`${emu.url}?domains=home&token=tok-1&ip=81.2.69.142&verbose=true`)).body).toBe(
      "OK\n81.2.69.142\n\nNOCHANGE",
    );
    expect(
      (await get(`${emu.url}?domains=home&token=tok-1&ipv6=2a00:1450:4001:81b::200e&verbose=true`)).body,
    ).toBe("OK\n81.2.69.142\n2a00:1450:4001:81b::200e\nUPDATED");
    expect((await get(`${emu.url}?domains=home&token=tok-1&verbose=true`)).body).toBe(
      "OK\n127.0.0.1\n2a00:1450:4001:81b::200e\nUPDATED",
    );
    expect(emu.lookup("x.home.duckdns.org", "A")).toEqual(["127.0.0.1"]);
    expect(emu.lookup("nope.duckdns.org", "A")).toBeUndefined();
    expect(JSON.stringify(emu.requests)).not.toContain("tok-1");
  });
});

describe("DNS responder with node:dns", () => {
  it("answers A/AAAA, NODATA and NXDOMAIN as no address, overrides, SERVFAIL and silence as errors", async () => {
    const dns = await startDnsResponder({ records: { "home.example.com": { A: ["81.2.69.142"] } } });
    closers.push(() => dns.close());
    const options = { servers: [dns.address], timeoutMs: 2000 };
    expect(await resolveAddresses("home.example.com", "A", options)).toEqual(["81.2.69.142"]);
    expect(await resolveAddresses("home.example.com", "AAAA", options)).toEqual([]);
    expect(await resolveAddresses("nx.example.com", "A", options)).toEqual([]);
    dns.override("home.example.com", "AAAA", ["2a00:1450:4001:81b::200e"]);
    expect(await resolveAddresses("home.example.com", "AAAA", options)).toEqual(["2a00:1450:4001:81b::200e"]);
    dns.fault("servfail");
    await expect(resolveAddresses("home.example.com", "A", options)).rejects.toThrow(/SERVFAIL/);
    dns.fault("drop", 10);
    const started = Date.now();
    await expect(resolveAddresses("home.example.com", "A", { ...options, timeoutMs: 500 })).rejects.toThrow(
      /no answer/,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("rejects a bad resolver setting without a query", async () => {
    await expect(
      resolveAddresses("home.example.com", "A", { servers: ["not-an-ip"], timeoutMs: 500 }),
    ).rejects.toThrow(/is not a list of IP addresses/);
  });
});
