/**
 * The config the interactive `homing init` writes, for every service of the catalog: with the
 * answered settings, a secret file per secret and arbitrary valid names and families, the text
 * passes the config loader (the one schema), and holds exactly the names asked for. The starter of
 * `homing init --provider X --name N` (no answers) is checked the same way, for the services whose
 * required keys all have a usable placeholder.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.ts";
import { DEFAULT_DETECTION, quorumFor, starterConfig, starterConfigFor } from "../config/starter.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { initServices, settingValue, starterProvider } from "./providers.ts";

const dir = mkdtempSync(join(tmpdir(), "homing-init-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An answer a user could type for a required or setup key. */
function sampleAnswer(type: string, key: string): string | number {
  for (const text of [
    "https://dns.example.net:8081/",
    "12345",
    "ns1.example.net",
    "homing-user",
    "hmac-sha256",
    "x",
  ]) {
    const checked = settingValue(type, key, text);
    if (checked.ok) return checked.value;
  }
  throw new Error(`no sample answer for ${type}.${key}`);
}

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const fqdn = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom("com", "net", "org", "de"))
  .map(([labels, tld]) => [...labels, tld].join("."));
const families = fc.constantFrom(
  { ipv4: true, ipv6: false },
  { ipv4: false, ipv6: true },
  { ipv4: true, ipv6: true },
);
const sources = fc.oneof(
  fc.constant([...DEFAULT_DETECTION.sources]),
  fc.uniqueArray(
    fc.constantFrom("upnp", "natpmp", "interface:eth0", "https://ip.example.net/", "dns:cloudflare"),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
);

let counter = 0;
async function load(text: string) {
  const path = join(dir, `config-${counter++}.toml`);
  writeFileSync(path, text);
  return loadConfig({ flagPath: path, env: {}, cwd: dir, home: dir, providers: PROVIDER_SCHEMAS });
}

describe("the config homing init writes", () => {
  const services = initServices();

  it("names every service once, by a name --provider takes too", () => {
    const names = services.map((service) => service.name);
    expect(new Set(names).size).toBe(names.length);
    for (const service of services) {
      expect(starterProvider(service.name)?.type).toBe(service.type);
      expect(starterProvider(service.name)?.id).toBe(service.id);
    }
  });

  it("passes the config schema for every service, any valid names, families and sources", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...services),
        fc.uniqueArray(fqdn, { minLength: 1, maxLength: 4 }),
        families,
        sources,
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        async (service, names, family, ipv4Sources, leaveOut) => {
          const values = Object.fromEntries(
            service.settings.map((setting) => [setting.key, sampleAnswer(service.type, setting.key)]),
          );
          // An optional secret may be left out (Enter): it is written commented out.
          const kept = service.secrets.filter((secret, index) => secret.required || !leaveOut[index]);
          const secretFiles = Object.fromEntries(
            kept.map((secret) => [secret.key, join(dir, "homing-secrets", `x.${secret.key}`)]),
          );
          const provider = starterProvider(service.name, { values, secretFiles });
          if (!provider) throw new Error(`no table for ${service.name}`);
          const text = starterConfig({
            provider,
            records: names.map((name) => ({
              name,
              ...(service.ipv6 ? family : { ipv4: true, ipv6: false }),
            })),
            detect: {
              ipv4: { sources: ipv4Sources, quorum: quorumFor(ipv4Sources) },
              ipv6: DEFAULT_DETECTION,
            },
          });
          const { config } = await load(text);
          expect(config.records.map((record) => record.name)).toEqual(names);
          expect(Object.keys(config.providers)).toEqual([provider.id]);
          const table = config.providers[provider.id] as Record<string, unknown>;
          for (const secret of service.secrets)
            expect(table[`${secret.key}_file`]).toBe(secretFiles[secret.key]);
          expect(config.detect.ipv4.quorum).toBe(Math.min(2, ipv4Sources.length));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the --provider --name starter is valid for every service without required keys", async () => {
    for (const service of services.filter((s) => s.settings.every((setting) => !setting.required))) {
      const provider = starterProvider(service.name);
      if (!provider) throw new Error(`no table for ${service.name}`);
      const { config } = await load(starterConfigFor(provider, ["home.example.com", "nas.example.org"]));
      expect(config.records.map((record) => record.name)).toEqual(["home.example.com", "nas.example.org"]);
    }
  });
});
