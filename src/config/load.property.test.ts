/**
 * The config loader under generated and mutated input. Seeds are valid configs of every provider
 * type; each case applies random structural edits (any key, including prototype names, set to any
 * value or removed), renders TOML (or JSON), may damage the text, and may add HOMING_* variables.
 * The property: loadConfig returns a config whose records all name an own provider table, or
 * throws a ConfigError whose every line says where (file:line:column, or the file or variable and
 * a key path); never another error, a stack trace, an "undefined", or a slow answer.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { Secret } from "../core/secret.ts";
import { ConfigError } from "../errors.ts";
import { createLogger, type Logger } from "../platform/log.ts";
import type { ProviderContext } from "../providers/provider.ts";
import type { ProviderConfig } from "../providers/provider-config.ts";
import { createProvider } from "../providers/registry.ts";
import { PROVIDER_SCHEMAS } from "../providers/schemas.ts";
import { loadConfig } from "./load.ts";

// Ten thousand file writes: on a RAM disk where there is one.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "homing-config-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECORDS = `
[[records]]
name = "home.example.com"
provider = "p"

[[records]]
name = "nas.example.com"
provider = "p"
ipv6 = true
`;

const SEEDS = [
  `[providers.p]\ntype = "dreamhost"\napi_key_file = "/etc/homing/dh.key"\n`,
  `[providers.p]\ntype = "cloudflare"\napi_token = "0123456789abcdef0123456789abcdef01234567"\nzone = "example.com"\nttl = 300\nproxied = false\n`,
  `[providers.p]\ntype = "powerdns"\nendpoint = "https://pdns.example.com:8081"\napi_key_file = "/k"\n`,
  `[providers.p]\ntype = "rfc2136"\nserver = "ns1.example.com"\nkey_file = "/etc/homing/k.key"\ntransport = "tcp"\n`,
  `[providers.p]\ntype = "dyndns2"\npreset = "noip"\nusername = "me"\npassword_file = "/p"\ndual_stack = "separate"\n`,
  `[providers.p]\ntype = "duckdns"\ntoken_file = "/t"\n`,
  `[providers.p]\ntype = "custom"\nmethod = "POST"\nurl = "https://u.example.com/{name}?ip={ipv4}"\nbody = "x"\nsecret_file = "/s"\n[providers.p.headers]\nx-key = "{secret}"\n`,
].map((provider) =>
  parse(
    `state_dir = "/tmp/h"\nrecheck = "1h"\ntimeout = "2m"\nlog_level = "info"\n` +
      `[detect]\ntimeout = "5s"\n[detect.ipv4]\nsources = ["cloudflare", "ipify", { url = "https://e.example.com/", format = "json", field = "ip" }]\nquorum = 2\n` +
      `[daemon]\ninterval = "5m"\n[status]\nlisten = "127.0.0.1:8080"\n[notify]\nurls = ["ntfy://ntfy.sh/topic"]\n` +
      `${provider}${RECORDS}`,
  ),
);

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];
const VOCABULARY = [
  ...new Set(
    `state_dir recheck timeout log_level log_format detect ipv4 ipv6 sources quorum url format field name
     daemon interval cron jitter max_backoff shutdown_timeout status listen auth_token auth_token_file
     basic_user basic_password update_token health_grace refresh notify urls urls_file failure_threshold
     start_stop heartbeat healthchecks uptime_kuma providers p q records provider type api_key api_key_file
     api_token zone ttl proxied comment endpoint server key_file key_name key_secret transport preset
     username password password_file dual_stack resolver token token_file method body headers secret
     success_status success_body label server_id account`.split(/\s+/),
  ),
];

const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VOCABULARY) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const stepArb = fc.oneof({ weight: 4, arbitrary: keyArb }, { weight: 1, arbitrary: fc.nat(3) });

const scalarArb = fc.oneof(
  fc.constantFrom(
    "",
    "dreamhost",
    "cloudflare",
    "custom",
    "p",
    "q",
    "constructor",
    "__proto__",
    "home.example.com",
    "-1s",
    "0s",
    "5m",
    "1e9h",
    "https://x.example.com/",
    "http://10.0.0.1/",
    "ftp://x/",
    "/dev/zero",
    "json",
    "127.0.0.1:0",
    "*/5 * * * *",
  ),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70000 }),
  fc.double(),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
);
const valueArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 6, arbitrary: scalarArb },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(keyArb, tie("value"), { maxKeys: 3 }) },
  ),
})).value;

type Edit = { path: (string | number)[]; value: unknown; remove: boolean };
const editArb: fc.Arbitrary<Edit> = fc.record({
  path: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
  value: valueArb,
  remove: fc.boolean(),
});

type TextEdit = { kind: "delete" | "insert" | "truncate" | "duplicate" | "swap"; at: number; text: string };
const textEditArb: fc.Arbitrary<TextEdit> = fc.record({
  kind: fc.constantFrom("delete", "insert", "truncate", "duplicate", "swap"),
  at: fc.nat(),
  text: fc.oneof(
    fc.constantFrom("[", "]", "=", '"', "'", "\n", "[[records]]\n", "{", "\\", "\u0000"),
    fc.string(),
  ),
});

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Date);
}

/** Applies one edit on a deep copy's path, creating prototype-less tables on the way. */
function applyEdit(root: Record<string, unknown>, edit: Edit): void {
  let node: Record<string | number, unknown> = root;
  // Indexes past the end append: TOML has no holes in arrays.
  const at = (step: string | number) =>
    Array.isArray(node) && typeof step === "number" ? Math.min(step, node.length) : step;
  for (const rawStep of edit.path.slice(0, -1)) {
    const step = at(rawStep);
    const next = Object.hasOwn(node, step) ? node[step] : undefined;
    if (isContainer(next)) node = next;
    else {
      const created: Record<string | number, unknown> = typeof step === "number" ? [] : Object.create(null);
      Object.defineProperty(node, step, {
        value: created,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      node = created;
    }
  }
  const last = at(edit.path[edit.path.length - 1] as string | number);
  if (edit.remove && Array.isArray(node) && typeof last === "number") node.splice(last, 1);
  else if (edit.remove) delete node[last];
  else
    Object.defineProperty(node, last, {
      value: edit.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

function applyTextEdit(text: string, edit: TextEdit): string {
  const at = text.length ? edit.at % text.length : 0;
  switch (edit.kind) {
    case "delete":
      return text.slice(0, at) + text.slice(at + 1 + (edit.text.length % 5));
    case "insert":
      return text.slice(0, at) + edit.text + text.slice(at);
    case "truncate":
      return text.slice(0, at);
    case "duplicate":
    case "swap": {
      const lines = text.split("\n");
      const i = edit.at % Math.max(lines.length, 1);
      const j = (edit.at >> 3) % Math.max(lines.length, 1);
      if (edit.kind === "duplicate") lines.splice(i, 0, lines[i] ?? "");
      else [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
      return lines.join("\n");
    }
  }
}

const ENV_NAMES = [
  "HOMING_PROVIDERS_P_TYPE",
  "HOMING_PROVIDERS_P_API_KEY",
  "HOMING_PROVIDERS___PROTO___TYPE",
  "HOMING_PROVIDERS_CONSTRUCTOR_TYPE",
  "HOMING_RECORDS_0_PROVIDER",
  "HOMING_RECORDS_5_NAME",
  "HOMING_DETECT_IPV4_QUORUM",
  "HOMING_DETECT_IPV4_SOURCES",
  "HOMING_STATE_DIR",
  "HOMING_NOTIFY_URLS",
  "HOMING_PROVIDERS_P_HEADERS",
  "HOMING_NOPE",
];
const envArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.oneof(
        fc.constantFrom(...ENV_NAMES),
        fc.string({ maxLength: 10 }).map((s) => `HOMING_${s}`),
      ),
      fc.oneof(
        fc.constantFrom("dreamhost", "p", "constructor", "[1,2]", '{"__proto__":{"a":1}}', "3"),
        fc.string(),
      ),
      { maxKeys: 3 },
    ),
  },
);

const caseArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      seed: fc.nat(SEEDS.length - 1),
      edits: fc.oneof(fc.constant([]), fc.array(editArb, { maxLength: 3 })),
      textEdits: fc.array(textEditArb, { maxLength: 2 }),
      json: fc.boolean().map((b) => b && Math.random() < 0.2),
      env: envArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      text: fc.string({
        unit: fc.constantFrom(
          "[",
          "]",
          "=",
          '"',
          "\n",
          " ",
          "a",
          ".",
          "1",
          "#",
          "{",
          "}",
          ",",
          "providers",
          "records",
          "type",
          "x = 1",
        ),
        maxLength: 60,
      }),
      env: envArb,
    }),
  },
);

type Case =
  | { text: string; env: Record<string, string> }
  | { seed: number; edits: Edit[]; textEdits: TextEdit[]; json: boolean; env: Record<string, string> };

function render(testCase: Case): { text: string; extension: string } {
  if ("text" in testCase) return { text: testCase.text, extension: "toml" };
  const root = structuredClone(SEEDS[testCase.seed]) as Record<string, unknown>;
  for (const edit of testCase.edits) applyEdit(root, edit);
  let json = testCase.json;
  let text: string;
  try {
    text = json ? JSON.stringify(root) : stringify(root);
  } catch {
    // A shape TOML cannot write (a list holding nothing): the loader also reads JSON.
    json = true;
    text = JSON.stringify(root);
  }
  for (const edit of testCase.textEdits) text = applyTextEdit(text, edit);
  return { text, extension: json ? "json" : "toml" };
}

const RUNS = 10_000;

const silent: Logger = createLogger({ level: "error", format: "text", write: () => {} });
const context: ProviderContext = {
  logger: silent,
  sleep: async () => {},
  random: () => 0,
  secret: async () => new Secret("0123456789abcdef0123456789abcdef01234567", "a test"),
};

describe("loadConfig (property)", () => {
  it(`answers ${RUNS} generated configs with a config or a ConfigError that says where`, async () => {
    const stats = { valid: 0, invalid: 0, providerRefused: 0, slowestMs: 0 };
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const paths = { toml: join(dir, "homing.toml"), json: join(dir, "homing.json") };
    await fc.assert(
      fc.asyncProperty(caseArb as fc.Arbitrary<Case>, async (testCase) => {
        const { text, extension } = render(testCase);
        const path = extension === "json" ? paths.json : paths.toml;
        writeFileSync(path, text);
        const started = performance.now();
        try {
          const { config } = await loadConfig({
            providers: PROVIDER_SCHEMAS,
            flagPath: path,
            env: testCase.env,
            cwd: dir,
            home: dir,
          });
          stats.valid++;
          for (const record of config.records)
            expect(Object.hasOwn(config.providers, record.provider)).toBe(true);
          // The provider's own checks (URL templates, resolvers, key files) run when it is built,
          // before any request: they too must answer with a ConfigError.
          for (const [id, provider] of Object.entries(config.providers)) {
            try {
              await createProvider(id, provider as ProviderConfig, context);
            } catch (error) {
              if (!(error instanceof ConfigError)) throw error;
              stats.providerRefused++;
              // These name the provider's key: "providers.p.key_file: cannot read …".
              for (const problem of error.problems) {
                expect(problem).toMatch(new RegExp(`^providers\\.${id}(?=[.:, [])`));
                expect(problem).not.toMatch(/\n\s+at |\[object Object\]|(?<!")\bundefined\b(?!")|TypeError/);
              }
            }
          }
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          stats.invalid++;
          expect(error.problems.length).toBeGreaterThan(0);
          for (const problem of error.problems) {
            // Where: the file (with line:column for syntax) or the variable, then what.
            expect(problem).toMatch(
              new RegExp(`^(${path.replace(/[.]/g, "\\.")}(:\\d+:\\d+)?|environment variable HOMING_.*?): .`),
            );
            expect(problem).not.toMatch(/\n\s+at |\[object Object\]|(?<!")\bundefined\b(?!")|TypeError/);
          }
        } finally {
          stats.slowestMs = Math.max(stats.slowestMs, performance.now() - started);
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
      }),
      { numRuns: RUNS },
    );
    // Both outcomes must be well represented, or the generator tests nothing.
    expect(stats.valid).toBeGreaterThan(RUNS / 20);
    expect(stats.invalid).toBeGreaterThan(RUNS / 4);
    expect(stats.slowestMs).toBeLessThan(2000);
  }, 120_000);

  it("the CLI answers a sample of them with exit 0, 1 or 2 and no stack trace", () => {
    const bin = resolve(import.meta.dirname, "..", "..", "bin", "homing");
    const samples = fc.sample(caseArb as fc.Arbitrary<Case>, { numRuns: 12, seed: 9 });
    for (const [index, testCase] of samples.entries()) {
      const { text, extension } = render(testCase);
      const path = join(dir, `cli-${index}.${extension}`);
      writeFileSync(path, text);
      // status reads the config and the state file only: no network.
      const result = spawnSync(process.execPath, [bin, "status", "-c", path], {
        env: { PATH: process.env.PATH, HOME: dir, ...testCase.env, HOMING_STATE_DIR: join(dir, "state") },
        encoding: "utf8",
        timeout: 10_000,
      });
      expect(result.signal).toBeNull();
      expect([0, 1, 2]).toContain(result.status);
      expect(result.stderr).not.toMatch(/unexpected failure|\n\s+at /);
      if (result.status === 2) expect(result.stderr).toMatch(/^error: /);
    }
  }, 60_000);
});
