/**
 * The `custom` examples of docs/providers/custom.md, each run as written (the service's host swapped
 * for an emulator) against a small emulation of that service as its sources describe it (inadyn
 * plugins, ddns-updater providers): the documented parameters, auth and success reply. Each example
 * must set the address, and a wrong secret must fail the run without changing anything.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { type EmuReply, type EmuRequest, startEmulator } from "../emulators/kit/emulator.ts";
import { ZoneStore } from "../emulators/kit/store.ts";
import { IP1, IP3, NAME, REPO_ROOT, ZONE } from "../support/harness.ts";
import { canarySecret, startUpdateUrlWorld, type TomlValue } from "../support/update-url-world.ts";

type Behaviour = (request: EmuRequest, secret: string, set: (ip: string) => void) => EmuReply;

const USER = "YOUR_USER";
const text = (body: string, status = 200): EmuReply => ({ status, text: body });
const basic = (request: EmuRequest, user: string, secret: string) =>
  request.headers.authorization === `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;

const SERVICES: Record<string, Behaviour> = {
  goIP(request, secret, set) {
    const q = request.query;
    if (q.get("username") !== USER || q.get("password") !== secret) return text("Zugriff verweigert");
    const ip = q.get("ip") ?? q.get("ip6") ?? "";
    set(ip);
    return text(`${q.get("subdomain")} (${ip})`);
  },
  "myaddr.tools"(request, secret, set) {
    if (request.form.get("key") !== secret) return text("key not found", 404);
    set(request.form.get("ip") ?? "");
    return text("OK");
  },
  twodns(request, secret, set) {
    if (!basic(request, USER, secret)) return text("unauthorized", 401);
    set(request.query.get("ip") ?? "");
    return text("");
  },
  DNSExit(request, secret, set) {
    const q = request.query;
    if (q.get("login") !== USER || q.get("password") !== secret)
      return text("HTTP/1.1 200 OK\n2=Invalid password");
    set(q.get("myip") ?? "");
    return text("HTTP/1.1 200 OK\n0=Success");
  },
  dnshome(request, secret, set) {
    if (!basic(request, "YOUR_SUBDOMAIN_USER", secret)) return text("badauth", 401);
    set(request.query.get("ip") ?? request.query.get("ip6") ?? "");
    return text("good");
  },
  MyOnlinePortal(request, secret, set) {
    const q = request.query;
    if (q.get("username") !== USER || q.get("password") !== secret) return text("badauth");
    set(q.get("ip") ?? q.get("ip6") ?? "");
    return text(`good ${q.get("ip") ?? q.get("ip6")}`);
  },
  "Core-Networks"(request, secret, set) {
    if (!basic(request, USER, secret)) return text("badauth", 401);
    if (request.query.get("keepipv6") !== "1")
      return text("keepipv6 missing: the AAAA would be cleared", 400);
    set(request.query.get("myip") ?? "");
    return text("good");
  },
};

const page = await readFile(join(REPO_ROOT, "docs", "providers", "custom.md"), "utf8");
// The page starts with the provider's own reference; the service examples follow this heading.
const docs = page.slice(page.indexOf("# Examples for token-URL services"));
const examples = [...docs.matchAll(/```toml\n([\s\S]*?)```/g)].map((match) => {
  const parsed = parse(match[1] as string) as { providers: Record<string, Record<string, TomlValue>> };
  const [id, { type: _type, ...table }] = Object.entries(parsed.providers)[0] as [
    string,
    Record<string, TomlValue>,
  ];
  return { id, table };
});

describe("custom examples in docs/providers/custom.md", () => {
  it("has one example per service", () => {
    expect(examples.map((e) => e.table.label).sort()).toEqual(Object.keys(SERVICES).sort());
  });

  for (const { id, table } of examples) {
    it.concurrent(`${table.label}: the example sets the address, and a wrong secret changes nothing`, async (hooks) => {
      const behave = SERVICES[table.label as string] as Behaviour;
      const url = new URL(table.url as string);
      const secret = canarySecret();
      const store = new ZoneStore();
      store.add(store.addZone(ZONE), { name: NAME, type: "A", value: IP3, ttl: 60 });
      const emu = await startEmulator(
        {
          type: "custom",
          label: table.label as string,
          secrets: () => ({ secret }),
          config: () => ({}),
          routes: [
            {
              method: (table.method as string | undefined) ?? "GET",
              path: url.pathname,
              handle: (request, _params, rows) =>
                behave(request, secret, (ip) => {
                  for (const row of rows.rows(NAME, ip.includes(":") ? "AAAA" : "A")) row.value = ip;
                }),
            },
          ],
          auth: () => undefined,
          error: (status, message) => text(message, status),
          lie: () => text("OK"),
          mutating: () => true,
          authHint: /./,
        },
        { store },
      );
      hooks.onTestFinished(() => emu.close());
      const world = await startUpdateUrlWorld(
        {
          providerId: id,
          type: "custom",
          secret,
          provider: ({ secretPath, resolver }) => ({
            ...table,
            url: (table.url as string).replace(url.origin, emu.origin),
            secret_file: secretPath,
            resolver,
            timeout: "5s",
          }),
          records: [{ name: NAME, ipv4: true, ipv6: false }],
          ipv4: IP1,
          lookup: (name, type) =>
            store.rows(name).length ? store.rows(name, type).map((r) => r.value) : undefined,
        },
        hooks,
      );
      const wrong = canarySecret();
      await writeFile(world.secretPath, `${wrong}\n`, { mode: 0o600 });
      const refused = await world.run("run");
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).not.toContain(wrong);
      expect(store.rows(NAME, "A").map((r) => r.value)).toEqual([IP3]);

      await writeFile(world.secretPath, `${secret}\n`, { mode: 0o600 });
      const result = await world.run("run");
      expect(result.code, result.stderr).toBe(0);
      expect(store.rows(NAME, "A").map((r) => r.value)).toEqual([IP1]);
    });
  }
});
