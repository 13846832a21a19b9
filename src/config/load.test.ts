import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { loadConfig } from "./load.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "homing-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MINIMAL = `
[providers.dh]
type = "dreamhost"
api_key_file = "/etc/homing/dh.key"

[[records]]
name = "home.example.com"
provider = "dh"
`;

async function load(toml: string, env: Record<string, string> = {}, name = "homing.toml") {
  const path = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(path, toml);
  return {
    path,
    result: await loadConfig({
      providers: PROVIDER_SCHEMAS,
      flagPath: path,
      env,
      cwd: dir,
      home: dir,
    }),
  };
}

async function problems(toml: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await load(toml, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills every default", async () => {
    const { result } = await load(MINIMAL);
    expect(result.config).toMatchObject({
      recheck: "1h",
      timeout: "2m",
      log_level: "notice",
      detect: {
        timeout: "5s",
        ipv4: { sources: ["cloudflare", "ipify", "ipinfo"], quorum: 2 },
        ipv6: { sources: ["cloudflare", "ipify", "ipinfo"], quorum: 2 },
      },
      providers: {
        dh: { type: "dreamhost", endpoint: "https://api.dreamhost.com/", comment: "homing", timeout: "30s" },
      },
      records: [{ name: "home.example.com", provider: "dh", ipv4: true, ipv6: false }],
    });
    expect(result.warnings).toEqual([]);
  });

  it.each<{ case: string; toml: string; expect: RegExp }>([
    {
      case: "unknown top-level key with a hint",
      toml: `stat_dir = "/x"\n${MINIMAL}`,
      expect: /stat_dir: unknown key \(did you mean "state_dir"\?\)/,
    },
    {
      case: "unknown nested key, allowed keys listed",
      toml: `[detect.ipv4]\nquorom = 2\n${MINIMAL}`,
      expect:
        /detect\.ipv4\.quorom: unknown key \(did you mean "quorum"\?\); allowed keys here: sources, quorum/,
    },
    {
      case: "unknown provider key names the provider's own keys",
      toml: MINIMAL.replace('type = "dreamhost"', 'type = "dreamhost"\napi_kye = "x"'),
      expect: /providers\.dh\.api_kye: unknown key \(did you mean "api_key"\?\)/,
    },
    {
      case: "unknown provider type with a hint and the allowed values",
      toml: MINIMAL.replace('"dreamhost"', '"dreamhots"'),
      expect:
        /providers\.dh\.type: unknown provider type "dreamhots" \(did you mean "dreamhost"\?\); allowed values: dreamhost/,
    },
    {
      case: "a provider that is not a table",
      toml: `providers.dh = 5\n[[records]]\nname = "home.example.com"\nprovider = "dh"\n`,
      expect: /providers\.dh: expected a table like \[providers\.dh\] with type = "dreamhost", got 5/,
    },
    {
      case: "a provider written as an array of tables",
      toml: MINIMAL.replace("[providers.dh]", "[[providers.dh]]"),
      expect: /providers\.dh: expected a table like \[providers\.dh\] with type = "dreamhost", got a list/,
    },
    {
      case: "a list where a table belongs",
      toml: `[[detect]]\ntimeout = "5s"\n${MINIMAL}`,
      expect: /detect: expected a table like \[detect\], got a list/,
    },
    {
      case: "enum value",
      toml: `log_level = "verbose"\n${MINIMAL}`,
      expect: /log_level: invalid value "verbose"; allowed values: debug, info, notice, warn, error/,
    },
    {
      case: "wrong type",
      toml: `[detect.ipv4]\nquorum = "two"\n${MINIMAL}`,
      expect: /detect\.ipv4\.quorum: expected number, got "two"/,
    },
    {
      case: "bad duration",
      toml: `recheck = "soon"\n${MINIMAL}`,
      expect: /recheck: expected a duration like "30s", "5m" or "1h", got "soon"/,
    },
    {
      case: "bad name",
      toml: MINIMAL.replace("home.example.com", "home"),
      expect: /records\[0\]\.name: expected a fully qualified host name/,
    },
    {
      case: "record points at a missing provider",
      toml: MINIMAL.replace('provider = "dh"', 'provider = "hd"'),
      expect: /records\[0\]\.provider: no provider "hd" is configured \(did you mean "dh"\?\)/,
    },
    {
      case: "unknown source name",
      toml: `[detect.ipv4]\nsources = ["ipfy", "ipinfo"]\n${MINIMAL}`,
      expect: /detect\.ipv4\.sources\[0\]: unknown source "ipfy" \(did you mean "ipify"\?\)/,
    },
    {
      case: "quorum above the source count",
      toml: `[detect.ipv4]\nsources = ["ipify"]\n${MINIMAL}`,
      expect: /quorum is 2, more than the 1 source\(s\) listed/,
    },
    {
      case: "IPv4 literal in the IPv6 list",
      toml: `[detect.ipv6]\nsources = ["http://127.0.0.1:1/", "ipify"]\nquorum = 1\n${MINIMAL}`,
      expect: /detect\.ipv6\.sources\[0\]: 127\.0\.0\.1:1 is an ipv4 address, but this list is for ipv6/,
    },
    {
      case: "no records",
      toml: '[providers.dh]\ntype = "dreamhost"\n',
      expect: /no \[\[records\]\] configured/,
    },
    {
      case: "both families off",
      toml: MINIMAL.replace('provider = "dh"', 'provider = "dh"\nipv4 = false'),
      expect: /both ipv4 and ipv6 are false/,
    },
    {
      case: "a name listed twice",
      toml: `${MINIMAL}\n[[records]]\nname = "HOME.example.com."\nprovider = "dh"\n`,
      expect: /"HOME\.example\.com\." is listed twice/,
    },
    {
      case: "TOML syntax with line and column",
      toml: `state_dir = \n${MINIMAL}`,
      expect: /homing\.toml:1:\d+: not valid TOML/,
    },
  ])("$case", async ({ toml, expect: pattern }) => {
    const found = await problems(toml);
    expect(found.join("\n")).toMatch(pattern);
    expect(found.join("\n")).toContain("homing.toml");
  });

  it("warns about plain http to a non-loopback host, not to loopback", async () => {
    const { result } = await load(
      `[detect.ipv4]\nsources = ["http://127.0.0.1:9/", "http://ip.example.net/"]\n${MINIMAL.replace(
        'api_key_file = "/etc/homing/dh.key"',
        'api_key_file = "/k"\nendpoint = "http://api.example.net/"',
      )}`,
    );
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings.join("\n")).toMatch(/http:\/\/ip\.example\.net uses plain http/);
    expect(result.warnings.join("\n")).not.toContain("127.0.0.1");
  });

  it("takes a provider's named endpoint (OVH's default ovh-eu) as a name, not a broken URL", async () => {
    const ovh = `[providers.o]\ntype = "ovh"\napplication_key = "ak"\napplication_secret_file = "/as"\n`;
    const records = '[[records]]\nname = "home.example.com"\nprovider = "o"\n';
    const { result } = await load(`${ovh}${records}`);
    expect((result.config.providers.o as { endpoint?: string }).endpoint).toBe("ovh-eu");
    expect((await problems(`${ovh}endpoint = "https://"\n${records}`)).join("\n")).toMatch(/endpoint/);
  });

  it("reads JSON configs too", async () => {
    const json = JSON.stringify({
      providers: { dh: { type: "dreamhost", api_key_file: "/k" } },
      records: [{ name: "home.example.com", provider: "dh" }],
    });
    const { result } = await load(json, {}, "homing.json");
    expect(result.config.records).toHaveLength(1);
  });
});

describe("environment layer", () => {
  it("overrides the file, key by key, and names the variable in errors", async () => {
    const { result } = await load(MINIMAL, {
      HOMING_DETECT_IPV4_QUORUM: "3",
      HOMING_DETECT_IPV4_SOURCES: "cloudflare, ipify,ipinfo",
      HOMING_PROVIDERS_DH_API_KEY: "SECRETSECRET1234",
      HOMING_RECORDS_0_IPV6: "yes",
      HOMING_STATE_DIR: "/srv/homing",
    });
    expect(result.config.detect.ipv4).toEqual({ sources: ["cloudflare", "ipify", "ipinfo"], quorum: 3 });
    expect(result.config.providers.dh).toMatchObject({ api_key: "SECRETSECRET1234" });
    expect((result.config.providers.dh as Record<string, unknown> | undefined)?.api_key_file).toBeUndefined();
    expect(result.config.records[0]).toMatchObject({ ipv4: true, ipv6: true });
    expect(result.config.state_dir).toBe("/srv/homing");
    const found = await problems(MINIMAL, { HOMING_DETECT_IPV4_QUORUM: "many" });
    expect(found.join("\n")).toMatch(
      /environment variable HOMING_DETECT_IPV4_QUORUM: detect\.ipv4\.quorum: expected number/,
    );
  });

  it("can configure everything without a file (containers)", async () => {
    const result = await loadConfig({
      providers: PROVIDER_SCHEMAS,
      env: {
        HOMING_PROVIDERS_DH_TYPE: "dreamhost",
        HOMING_PROVIDERS_DH_API_KEY_FILE: "/run/secrets/dh",
        HOMING_RECORDS_0_NAME: "home.example.com",
        HOMING_RECORDS_0_PROVIDER: "dh",
        HOMING_RECORDS_1_NAME: "nas.example.com",
        HOMING_RECORDS_1_PROVIDER: "dh",
      },
      cwd: dir,
      home: dir,
    });
    expect(result.file).toBeUndefined();
    expect(result.config.records.map((r) => r.name)).toEqual(["home.example.com", "nas.example.com"]);
    expect(result.config.providers.dh).toMatchObject({ type: "dreamhost", api_key_file: "/run/secrets/dh" });
  });

  it("rejects a mistyped variable with a hint", async () => {
    const found = await problems(MINIMAL, { HOMING_DETECT_IPV4_QUORM: "2" });
    expect(found.join("\n")).toMatch(
      /HOMING_DETECT_IPV4_QUORM: not a homing setting.*did you mean HOMING_DETECT_IPV4_QUORUM/,
    );
  });

  it("explains where it looked when there is no config at all", async () => {
    await expect(
      loadConfig({
        providers: PROVIDER_SCHEMAS,
        env: { XDG_CONFIG_HOME: join(dir, "xdg") },
        cwd: join(dir, "none"),
        home: dir,
      }),
    ).rejects.toThrow(/no config file found.*homing init/);
  });

  describe("ids that name a property of every JavaScript object", () => {
    const PROTO_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "prototype", "valueOf"];

    it.each(PROTO_KEYS)("a record whose provider is %s is refused at load time", async (id) => {
      const found = await problems(MINIMAL.replace('provider = "dh"', `provider = "${id}"`));
      expect(found).toEqual([
        expect.stringMatching(
          new RegExp(`records\\[0\\]\\.provider: no provider "${id}" is configured.*; configured: dh$`),
        ),
      ]);
    });

    it.each(PROTO_KEYS)("a [providers.%s] table is refused by name, not dropped", async (id) => {
      const toml = MINIMAL.replace("[providers.dh]", `[providers."${id}"]`).replace(
        'provider = "dh"',
        `provider = "${id}"`,
      );
      const found = await problems(toml);
      expect(found.join("\n")).toMatch(new RegExp(`providers\\.${id}\\b`));
      expect(found.join("\n")).not.toMatch(/Cannot read|undefined/);
    });

    it("an environment variable for provider __proto__ touches no prototype", async () => {
      const found = await problems(MINIMAL, {
        HOMING_PROVIDERS___PROTO___TYPE: "dreamhost",
        HOMING_PROVIDERS___PROTO___API_KEY: "SECRETSECRET1234",
      });
      expect(found).toEqual([
        expect.stringMatching(
          /HOMING_PROVIDERS___PROTO___.*providers\.__proto__: "__proto__" cannot be a provider id/,
        ),
      ]);
      expect(({} as Record<string, unknown>).type).toBeUndefined();
    });
  });

  it("a provider table without type names the missing key and the allowed values", async () => {
    const found = await problems(MINIMAL.replace('type = "dreamhost"\n', ""));
    expect(found).toEqual([
      expect.stringMatching(
        /: providers\.dh\.type is missing; set type to one of: "dreamhost", "cloudflare", .*"custom", .*"porkbun"/,
      ),
    ]);
  });
});

describe("[bridge]", () => {
  const HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  const bridge = (client: string) =>
    `[bridge]\nlisten = "127.0.0.1:8245"\n\n[[bridge.clients]]\n${client}\n${MINIMAL}`;

  it("takes the issue's contract, trust defaulting to router", async () => {
    const { result } = await load(
      bridge(`user = "fritzbox"\npassword_hash = "${HASH}"\nhostnames = ["home.example.com"]`),
    );
    expect(result.config.bridge).toEqual({
      listen: "127.0.0.1:8245",
      trust: "router",
      clients: [{ user: "fritzbox", password_hash: HASH, hostnames: ["home.example.com"] }],
    });
  });

  it("says which hostname is not a configured record", async () => {
    const found = await problems(
      bridge(`user = "fritzbox"\npassword_hash = "${HASH}"\nhostnames = ["other.example.com"]`),
    );
    expect(found.join("\n")).toMatch(
      /bridge\.clients\[0\]\.hostnames: "other\.example\.com" is not the name of a configured \[\[records\]\] entry; configured: home\.example\.com/,
    );
  });

  it("wants exactly one of password_hash and password_file, and a hash in scrypt form", async () => {
    expect((await problems(bridge('user = "r"\nhostnames = ["home.example.com"]'))).join("\n")).toMatch(
      /set exactly one of password_hash .* and password_file/,
    );
    expect(
      (await problems(bridge('user = "r"\npassword_hash = "plain"\nhostnames = ["home.example.com"]'))).join(
        "\n",
      ),
    ).toMatch(/expected scrypt\$N\$r\$p\$salt\$hash/);
    expect(
      (
        await problems(
          bridge(`user = "r"\npassword_hash = "${HASH}"\nhostnames = ["home.example.com"]\ntrust = "x"`),
        )
      ).length,
    ).toBeGreaterThan(0);
  });
});
