/**
 * Every provider's reply parsing under arbitrary replies, black-box: a local HTTP server answers
 * each request with a generated status, headers and body (valid replies with fields removed or
 * given the wrong type, replies of another provider, random text), and the real provider adapter
 * runs one operation against it. The property: the operation resolves, or fails with a
 * ProviderError of this provider (its id, and its name in the message); never a TypeError, a
 * RangeError or another crash, never a hang.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerSchema } from "../config/schema.ts";
import { Secret } from "../core/secret.ts";
import { PartialListError, ProviderError } from "../errors.ts";
import { createLogger, type Logger } from "../platform/log.ts";
import { methodOf } from "./capabilities.ts";
import type { DnsProvider, ProviderContext, RecordChange } from "./provider.ts";
import { createProvider } from "./registry.ts";
import { PROVIDER_SCHEMAS } from "./schemas.ts";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

let server: Server;
let base: string;
/** The replies to give, in order; the last one repeats. */
let script: Reply[] = [];
let served = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const reply = script[Math.min(served, script.length - 1)] ?? { status: 200, headers: {}, body: "" };
      served++;
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const silent: Logger = createLogger({ level: "error", format: "text", write: () => {} });

const context: ProviderContext = {
  logger: silent,
  sleep: async () => {},
  random: () => 0,
  secret: async () => new Secret("s3cr3t-t0ken-value", "a test"),
};

const NAME = "home.example.com";
const IP = "81.2.69.142";
const change = (name = NAME): RecordChange => ({
  name,
  type: "A",
  add: IP,
  remove: [{ name, type: "A", value: "81.2.69.160", owned: true }],
});

type Operation = (provider: DnsProvider, signal: AbortSignal) => Promise<unknown>;
const listOps: Record<string, Operation> = {
  list: (p, signal) => methodOf(p, "list")([NAME, "nas.example.com"], { signal }),
  verify: (p, signal) => p.verifyAccess({ signal, names: [NAME] }),
  add: (p, signal) => methodOf(p, "add")(NAME, "A", IP, { signal }),
  remove: (p, signal) => methodOf(p, "remove")({ name: NAME, type: "A", value: IP, owned: true }, { signal }),
  replace: (p, signal) => p.replace?.(change(), { signal }) ?? Promise.resolve(),
};
const updateOps = (name: string): Record<string, Operation> => ({
  replaceMany: async (p, signal) => {
    const results = await p.replaceMany?.(
      [change(name), { ...change(name), type: "AAAA", add: "2a00:1450:4001:81b::200e", remove: [] }],
      {
        signal,
        unchanged: [],
      },
    );
    // A failed change is reported in its result: it must be a ProviderError too.
    for (const result of results ?? []) if (result.error !== undefined) throw result.error;
  },
});

const TARGETS: Array<{
  label: RegExp;
  config: () => Record<string, unknown>;
  ops: Record<string, Operation>;
}> = [
  { label: /DreamHost/, config: () => ({ type: "dreamhost", endpoint: `${base}/` }), ops: listOps },
  {
    label: /Cloudflare/,
    config: () => ({ type: "cloudflare", endpoint: `${base}/client/v4/`, zone: "example.com" }),
    ops: listOps,
  },
  {
    label: /Cloudflare/,
    config: () => ({ type: "cloudflare", endpoint: `${base}/client/v4/` }),
    ops: listOps,
  },
  { label: /PowerDNS/, config: () => ({ type: "powerdns", endpoint: base }), ops: listOps },
  {
    label: /PowerDNS/,
    config: () => ({ type: "powerdns", endpoint: base, zone: "example.com" }),
    ops: listOps,
  },
  {
    label: /dyndns|Test DynDNS/,
    config: () => ({ type: "dyndns2", server: `${base}/nic/update`, username: "me" }),
    ops: updateOps(NAME),
  },
  {
    label: /DuckDNS/,
    config: () => ({ type: "duckdns", endpoint: `${base}/update` }),
    ops: updateOps("home.duckdns.org"),
  },
  {
    label: /Example Updater/,
    config: () => ({
      type: "custom",
      label: "Example Updater",
      url: `${base}/update?host={name}&ip={ipv4}&k={secret}`,
      success_body: "^(OK|good)",
    }),
    ops: updateOps(NAME),
  },
];

// ---- replies ---------------------------------------------------------------------------------

const dhRow = { zone: "example.com", record: NAME, type: "A", value: IP, editable: "1", comment: "" };
const cfRecord = {
  id: "372e67954025e0ba6aaa6d586b9e0b59",
  zone_id: "023e105f4ecef8ad9ca31a8372d0c353",
  name: NAME,
  type: "A",
  content: IP,
  ttl: 1,
  proxied: false,
  comment: null,
};
const cfEnvelope = (result: unknown, info = true) => ({
  success: true,
  errors: [],
  messages: [],
  result,
  ...(info ? { result_info: { page: 1, per_page: 100, count: 1, total_count: 1, total_pages: 1 } } : {}),
});
const pdnsZone = {
  name: "example.com.",
  kind: "Native",
  rrsets: [
    { name: `${NAME}.`, type: "A", ttl: 300, records: [{ content: IP, disabled: false }], comments: [] },
  ],
};

/** Valid replies of every provider: each case mutates one of them, or sends it to another provider. */
const TEMPLATES: unknown[] = [
  { result: "success", data: [dhRow, { ...dhRow, record: "nas.example.com", editable: "0" }] },
  { result: "success", data: "record_added" },
  { result: "success", data: "record_removed" },
  { result: "error", data: "no_such_zone" },
  { result: "error", data: "internal_error_db\tdetail" },
  cfEnvelope([cfRecord]),
  cfEnvelope([{ id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com", status: "active" }]),
  cfEnvelope(cfRecord, false),
  cfEnvelope({ id: "ed17574386854bf78a67040be0a770b0", status: "active" }, false),
  {
    success: false,
    errors: [{ code: 10000, message: "Authentication error", error_chain: [{ code: 1, message: "x" }] }],
    result: null,
  },
  pdnsZone,
  { error: "Could not find domain 'example.com.'" },
  [{ id: "example.com.", name: "example.com.", kind: "Native" }],
];

const TEXT_REPLIES = [
  "good 81.2.69.142",
  "nochg 81.2.69.142",
  "good 81.2.69.142\nnochg 2a00:1450:4001:81b::200e",
  "good 127.0.0.1",
  "nohost",
  "badauth",
  "911",
  "abuse",
  "dnserr",
  "OK",
  "KO",
  "OK\n81.2.69.142\n2a00:1450:4001:81b::200e\nUPDATED",
  "",
  "<html><body>good</body></html>",
];

const jsonLeaf = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1e308,
    "",
    "1",
    "A",
    "AAAA",
    IP,
    NAME,
    "success",
    "error",
    "0",
    "1",
    [],
    {},
  ),
  fc.string({ maxLength: 8 }),
  fc.integer(),
);

type Mutation = { path: (string | number)[]; value: unknown; remove: boolean };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  path: fc.array(
    fc.oneof(
      fc.constantFrom(
        "result",
        "data",
        "success",
        "errors",
        "result_info",
        "total_pages",
        "page",
        "rrsets",
        "records",
        "content",
        "name",
        "type",
        "id",
        "value",
        "record",
        "editable",
        "zone",
        "error",
        "code",
        "message",
        "error_chain",
        "disabled",
        "__proto__",
      ),
      fc.nat(2),
    ),
    { minLength: 1, maxLength: 4 },
  ),
  value: fc.oneof(jsonLeaf, fc.jsonValue({ maxDepth: 2 })),
  remove: fc.boolean(),
});

function mutate(value: unknown, mutation: Mutation): unknown {
  const root = structuredClone(value);
  let node = root as Record<string | number, unknown>;
  for (const step of mutation.path.slice(0, -1)) {
    const next =
      typeof node === "object" && node !== null && Object.hasOwn(node, step) ? node[step] : undefined;
    if (typeof next !== "object" || next === null) return root;
    node = next as Record<string | number, unknown>;
  }
  const last = mutation.path[mutation.path.length - 1] as string | number;
  if (typeof node !== "object" || node === null) return root;
  if (mutation.remove) delete node[last];
  else
    Object.defineProperty(node, last, {
      value: mutation.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return root;
}

/** Deeply nested error chains: recursion in a parser must not overflow the stack. */
function deepChain(depth: number): string {
  const open = '[{"code":1,"message":"nested","error_chain":'.repeat(depth);
  return `{"success":false,"errors":${open}[]${"}]".repeat(depth)},"result":null}`;
}

const bodyArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEMPLATES), fc.array(mutationArb, { maxLength: 3 }))
      .map(([template, mutations]) =>
        JSON.stringify(mutations.reduce((value, m) => mutate(value, m), template)),
      ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TEXT_REPLIES) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...TEXT_REPLIES), fc.string({ maxLength: 20 }))
      .map(([reply, junk]) => `${reply}${junk}`),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constantFrom("\u0000\uffff\ud800", "{}", "[]", "null", '"x"', "1e999") },
);

const replyArb: fc.Arbitrary<Reply> = fc.record({
  status: fc.oneof(
    { weight: 6, arbitrary: fc.constant(200) },
    { weight: 3, arbitrary: fc.constantFrom(201, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 503) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 599 }).filter((s) => s !== 101 && s >= 200) },
  ),
  headers: fc.oneof(
    fc.constant({}),
    fc.record({
      "retry-after": fc.oneof(
        fc.constantFrom("0", "1", "-5", "1e9", "Wed, 21 Oct 2099 07:28:00 GMT"),
        fc.string({ maxLength: 10 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
      ),
    }),
  ),
  body: bodyArb,
});

const caseArb = fc.nat(TARGETS.length - 1).chain((target) =>
  fc.record({
    target: fc.constant(target),
    op: fc.constantFrom(...Object.keys((TARGETS[target] as (typeof TARGETS)[number]).ops)),
    replies: fc.array(replyArb, { minLength: 1, maxLength: 4 }),
  }),
);

const RUNS = 1500;

/** Replies too large to generate often: each is sent once to every provider, as the first case. */
const HUGE_BODIES = [
  deepChain(20_000),
  "[".repeat(100_000),
  `{"result":"success","data":[${'{"record":1},'.repeat(50_000)}{}]}`,
];

describe("provider reply parsers (property)", () => {
  it(`never crash on ${RUNS} generated replies: a result or a ProviderError naming the provider`, async () => {
    const providers = new Map<number, DnsProvider>();
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ target: index, op, replies }) => {
        const target = TARGETS[index] as (typeof TARGETS)[number];
        let provider = providers.get(index);
        if (!provider) {
          provider = await createProvider(
            `p${index}`,
            v.parse(providerSchema(PROVIDER_SCHEMAS), target.config()),
            context,
          );
          providers.set(index, provider);
        }
        script = replies;
        served = 0;
        const started = performance.now();
        try {
          await (target.ops[op] as Operation)(provider, AbortSignal.timeout(5000));
        } catch (caught) {
          failures++;
          // Names that failed each for their own reason come as a PartialListError of ProviderErrors.
          const errors = caught instanceof PartialListError ? [...caught.failed.values()] : [caught];
          for (const error of errors) {
            if (!(error instanceof ProviderError)) throw error;
            expect(error.provider).toBe(`p${index}`);
            expect(error.message).toMatch(target.label);
            expect(error.message).not.toMatch(/\bundefined\b|\[object Object\]|s3cr3t-t0ken-value/);
          }
        }
        expect(performance.now() - started).toBeLessThan(4000);
      }),
      {
        numRuns: RUNS,
        examples: HUGE_BODIES.flatMap((body) =>
          TARGETS.flatMap((target, index) =>
            Object.keys(target.ops).map(
              (op) =>
                [{ target: index, op, replies: [{ status: 200, headers: {}, body }] }] as [
                  { target: number; op: string; replies: Reply[] },
                ],
            ),
          ),
        ),
      },
    );
    expect(failures).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});

describe("a malformed reply names the provider and the field", () => {
  const zones = { success: true, result: [{ id: "z1", name: "example.com", status: "active" }] };
  const records = (result: unknown) => ({ success: true, result });
  const pdns = (rrsets: unknown) => ({ id: "example.com.", name: "example.com.", rrsets });
  const cases: Array<[string, number, string, unknown[], RegExp]> = [
    ["DreamHost data", 0, "list", [{ result: "success", data: "x" }], /DreamHost.*"data"/],
    [
      "DreamHost row",
      0,
      "list",
      [{ result: "success", data: [{ record: NAME, type: "A" }] }],
      /DreamHost.*"value"/,
    ],
    ["DreamHost result", 0, "list", [{ data: [] }], /DreamHost.*"result"/],
    [
      "DreamHost error data",
      0,
      "add",
      [{ result: "error", data: {} }],
      /DreamHost.*error reply has no string "data"/,
    ],
    ["Cloudflare records", 1, "list", [zones, records("x")], /Cloudflare.*"result"/],
    [
      "Cloudflare content",
      1,
      "list",
      [zones, records([{ id: "1", name: NAME, type: "A" }])],
      /Cloudflare.*"content"/,
    ],
    [
      "Cloudflare id",
      1,
      "list",
      [zones, records([{ name: NAME, type: "A", content: IP }])],
      /Cloudflare.*"id"/,
    ],
    ["Cloudflare success", 1, "list", [{ result: [] }], /Cloudflare.*"success"/],
    [
      "Cloudflare zone id",
      2,
      "list",
      [records([{ name: "example.com", status: "active" }])],
      /Cloudflare.*"id"/,
    ],
    [
      "PowerDNS rrsets",
      4,
      "list",
      [{ id: "example.com.", name: "example.com.", rrsets: "x" }],
      /PowerDNS.*"rrsets"/,
    ],
    [
      "PowerDNS content",
      4,
      "list",
      [pdns([{ name: `${NAME}.`, type: "A", records: [{}] }])],
      /PowerDNS.*"content"/,
    ],
    ["PowerDNS name", 4, "list", [pdns([{ type: "A", records: [] }])], /PowerDNS.*"name"/],
  ];
  it.each(cases)("%s", async (_, index, op, bodies, expected) => {
    const target = TARGETS[index] as (typeof TARGETS)[number];
    const provider = await createProvider(
      `p${index}`,
      v.parse(providerSchema(PROVIDER_SCHEMAS), target.config()),
      context,
    );
    script = bodies.map((body) => ({ status: 200, headers: {}, body: JSON.stringify(body) }));
    served = 0;
    const error = await (target.ops[op] as Operation)(provider, AbortSignal.timeout(5000)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as Error).message).toMatch(expected);
  });
});

describe("the dyndns2 answer grammar at the service (property)", () => {
  const OTHER = "81.2.69.160";
  const HOST_CODES = ["notfqdn", "nohost", "!yours", "numhost"];
  const ACCOUNT_CODES = ["badauth", "badagent", "!donator", "badsys", "dnserr", "911", "abuse"];
  const answer = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(`good ${IP}`, `nochg ${IP}`, "good", "nochg", `GOOD\t${IP}`) },
    { weight: 1, arbitrary: fc.constant(`good ${OTHER}`) },
    { weight: 2, arbitrary: fc.constantFrom(...HOST_CODES) },
    { weight: 1, arbitrary: fc.constantFrom(...ACCOUNT_CODES) },
  );

  it("maps each answer line to its hostname, in order, with the code in the error", async () => {
    const target = TARGETS[5] as (typeof TARGETS)[number];
    const provider = await createProvider(
      "dd",
      v.parse(providerSchema(PROVIDER_SCHEMAS), target.config()),
      context,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(answer, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("\n", "\r\n"),
        async (lines, separator) => {
          const names = lines.map((_, index) => `host${index}.example.com`);
          script = [{ status: 200, headers: {}, body: `${lines.join(separator)}${separator}` }];
          served = 0;
          const results =
            (await provider.replaceMany?.(
              names.map((name) => ({ name, type: "A", add: IP, remove: [] })),
              { signal: AbortSignal.timeout(5000), unchanged: [] },
            )) ?? [];
          expect(results).toHaveLength(names.length);
          const accountWide = lines.some((line) => ACCOUNT_CODES.includes(line));
          results.forEach((result, index) => {
            const line = (lines[index] as string).toLowerCase();
            if (result.error !== undefined) {
              expect(result.error).toBeInstanceOf(ProviderError);
              expect((result.error as ProviderError).provider).toBe("dd");
            }
            if (accountWide) return;
            const [code = "", address] = line.split(/\s+/);
            if ((code === "good" || code === "nochg") && (address === undefined || address === IP)) {
              expect(result.error).toBeUndefined();
            } else {
              expect((result.error as ProviderError).code).toBe(code);
              // A hostname's refusal names that hostname.
              if (HOST_CODES.includes(code)) expect((result.error as Error).message).toContain(names[index]);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);
});
