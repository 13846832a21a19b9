/**
 * `homing` with a custom update URL against a recording HTTP server that plays a service: GET per
 * address family with the secret in a header, or one JSON POST per name carrying both families;
 * create, change, unchanged (no request), stale DNS, 401, 429, transient failures with recovery,
 * a success_body mismatch, template errors, `check`, `records`, and the secret canary.
 */
import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  type HttpRecorder,
  type RecordedRequest,
  type RecorderReply,
  startHttpRecorder,
} from "../emulators/http-recorder.ts";
import {
  filesUnder,
  hasIpv6Loopback,
  IP1,
  IP2,
  IP3,
  IP6_1,
  IP6_2,
  lines,
  NAME,
  type TestHooks,
} from "../support/harness.ts";
import {
  canarySecret,
  leakedFragment,
  startUpdateUrlWorld,
  type TomlValue,
  type UpdateUrlWorld,
} from "../support/update-url-world.ts";

const ipv6 = await hasIpv6Loopback();

interface Service {
  recorder: HttpRecorder;
  records: Map<string, { ipv4?: string; ipv6?: string }>;
}

/**
 * A service that takes `GET /update?host=&ip=&type=` with `Authorization: Bearer <secret>`, or a JSON
 * POST `{ hostname, ipv4, ipv6, key }`, and answers "OK" (or 401 "bad key").
 */
async function startService(hooks: TestHooks, secret: string): Promise<Service> {
  const records = new Map<string, { ipv4?: string; ipv6?: string }>();
  const respond = (request: RecordedRequest): RecorderReply => {
    if (request.method === "GET") {
      if (request.headers.authorization !== `Bearer ${secret}`) return { status: 401, body: "bad key" };
      const entry = { ...records.get(request.query.host ?? "") };
      entry[request.query.type === "AAAA" ? "ipv6" : "ipv4"] = request.query.ip ?? "";
      records.set(request.query.host ?? "", entry);
      return { body: "OK" };
    }
    const body = JSON.parse(request.body) as { hostname: string; ipv4: string; ipv6: string; key: string };
    if (body.key !== secret) return { status: 401, body: "bad key" };
    records.set(body.hostname, {
      ...(body.ipv4 ? { ipv4: body.ipv4 } : {}),
      ...(body.ipv6 ? { ipv6: body.ipv6 } : {}),
    });
    return { body: "ok" };
  };
  const recorder = await startHttpRecorder({ redact: [secret], respond });
  hooks.onTestFinished(() => recorder.close());
  return { recorder, records };
}

interface Setup {
  style?: "get" | "post";
  records?: Array<{ name: string; ipv4?: boolean; ipv6?: boolean }>;
  ipv6?: string;
  configuredSecret?: string;
  extra?: Record<string, TomlValue>;
}

async function setup(
  hooks: TestHooks,
  options: Setup = {},
): Promise<{ world: UpdateUrlWorld; service: Service; secret: string }> {
  const secret = canarySecret();
  const service = await startService(hooks, secret);
  const origin = service.recorder.origin;
  const table =
    options.style === "post"
      ? {
          method: "POST",
          url: `${origin}/api/dyn`,
          body: '{"hostname":"{name}","ipv4":"{ipv4}","ipv6":"{ipv6}","key":"{secret}"}',
          success_body: "^ok$",
        }
      : {
          url: `${origin}/update?host={name}&ip={ip}&type={type}`,
          headers: { Authorization: "Bearer {secret}" },
          label: "Example DNS",
        };
  const world = await startUpdateUrlWorld(
    {
      providerId: "mine",
      type: "custom",
      provider: ({ secretPath, resolver }) => ({
        ...table,
        secret_file: secretPath,
        resolver,
        timeout: "5s",
        ...options.extra,
      }),
      secret: options.configuredSecret ?? secret,
      records: options.records ?? [{ name: NAME }],
      ...(options.ipv6 ? { ipv6: options.ipv6 } : {}),
      lookup: (name, type) => {
        const entry = service.records.get(name);
        if (!entry) return undefined;
        const value = type === "A" ? entry.ipv4 : entry.ipv6;
        return value ? [value] : [];
      },
    },
    hooks,
  );
  return { world, service, secret };
}

describe("custom: GET per family, secret in a header", () => {
  it("creates the address: placeholders filled and URL-encoded, the secret only in the header", async ({
    onTestFinished,
  }) => {
    const { world, service } = await setup({ onTestFinished });

    const result = await world.run("run");

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([`${NAME} A created ${IP1} (mine)`]);
    expect(service.recorder.requests).toHaveLength(1);
    expect(service.recorder.requests[0]).toMatchObject({
      method: "GET",
      path: "/update",
      query: { host: NAME, ip: IP1, type: "A" },
      headers: { authorization: "Bearer ***" },
    });
    expect(service.recorder.requests[0]?.headers["user-agent"]).toMatch(/^homing\//);
    expect(service.records.get(NAME)).toEqual({ ipv4: IP1 });
  });

  it("sends nothing for an unchanged address (next run, --force, stale DNS), then the new one when it changes", async ({
    onTestFinished,
  }) => {
    const { world, service } = await setup({ onTestFinished });
    expect((await world.run("run")).code).toBe(0);

    const again = await world.run("run");
    world.dns.override(NAME, "A", [IP3]);
    const forced = await world.run("run", ["--force", "-v"]);
    world.dns.clearOverrides();
    world.setIpv4(IP2);
    const changed = await world.run("run");

    expect(again.stdout + again.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/--force does not resend unchanged addresses to Example DNS \(mine\)/);
    expect(forced.stderr).toMatch(/DNS caches lag/);
    expect(changed.code).toBe(0);
    expect(lines(changed.stdout)).toEqual([`${NAME} A ${IP1} -> ${IP2} (mine)`]);
    expect(service.recorder.requests.map((r) => r.query.ip)).toEqual([IP1, IP2]);
  });

  it("a 401 fails the record and names what to check; the next run asks again (no halt)", async ({
    onTestFinished,
  }) => {
    const { world, service } = await setup({ onTestFinished }, { configuredSecret: canarySecret() });

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /Example DNS refused the update of home\.example\.com A 81\.2\.69\.142 with HTTP 401 \("bad key"\): check the secret \(from file .*secret\) and providers\.mine\.headers/,
    );
    expect(second.code).toBe(1);
    expect(service.recorder.requests).toHaveLength(2);
  });

  it("a 429 persists a back-off from Retry-After", async ({ onTestFinished }) => {
    const { world, service } = await setup({ onTestFinished });
    service.recorder.queue({ status: 429, body: "too many", headers: { "retry-after": "120" } });

    const first = await world.run("run");
    const second = await world.run("run");

    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /Example DNS is rate-limiting updates \(HTTP 429 \("too many"\)\); homing sends nothing to it for 2m/,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/no changes are made until/);
    expect(service.recorder.requests).toHaveLength(1);
  });

  it("a 503 is retried in the run; persistent resets fail the run and the next run recovers", async ({
    onTestFinished,
  }) => {
    const { world, service } = await setup({ onTestFinished });
    service.recorder.queue({ status: 503, body: "busy" });

    const retried = await world.run("run");

    expect(retried.code).toBe(0);
    expect(service.recorder.requests).toHaveLength(2);

    world.setIpv4(IP2);
    service.recorder.queue({ kind: "reset" }, { kind: "reset" }, { kind: "reset" });
    const failed = await world.run("run");
    const recovered = await world.run("run");

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/connection reset.*homing tries again on the next run/);
    expect(recovered.code).toBe(0);
    expect(lines(recovered.stdout)).toEqual([`${NAME} A ${IP1} -> ${IP2} (mine)`]);
    expect(service.recorder.requests).toHaveLength(6);
  });

  it("check validates the templates and sends nothing; records shows the DNS answer", async ({
    onTestFinished,
  }) => {
    const { world, service } = await setup({ onTestFinished });
    service.records.set(NAME, { ipv4: IP2 });

    const check = await world.run("check");
    const records = await world.run("records");

    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(
      /provider mine \(Example DNS\): ok, templates ok \(GET, one request per address family, secret from file .*secret\); .*no request was sent/,
    );
    expect(records.code).toBe(0);
    expect(lines(records.stdout)).toEqual([`${NAME} A ${IP2} (mine, DNS answer)`]);
    expect(service.recorder.requests).toEqual([]);
  });

  it("template mistakes are config errors (exit 2) before anything is sent", async ({ onTestFinished }) => {
    const { world, service } = await setup({ onTestFinished });
    world.provider.url = `${service.recorder.origin}/update?host={hostname}&ip={ip}`;
    await world.writeConfig();
    const unknown = await world.run("run");
    world.provider.url = `${service.recorder.origin}/update?host={name}`;
    await world.writeConfig();
    const noAddress = await world.run("check");

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /providers\.mine\.url: unknown placeholder \{hostname\}; use \{name\}, \{ip\}/,
    );
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toMatch(/providers\.mine: no template uses \{ip\}, \{ipv4\} or \{ipv6\}/);
    expect(service.recorder.requests).toEqual([]);
  });
});

describe("custom: one JSON POST per name", () => {
  it("fills the body raw (not URL-encoded) and checks success_body", async ({ onTestFinished }) => {
    const { world, service } = await setup({ onTestFinished }, { style: "post" });

    const result = await world.run("run");

    expect(result.code).toBe(0);
    expect(service.recorder.requests[0]).toMatchObject({ method: "POST", path: "/api/dyn" });
    expect(JSON.parse(service.recorder.requests[0]?.body ?? "")).toEqual({
      hostname: NAME,
      ipv4: IP1,
      ipv6: "",
      key: "***",
    });
    expect(service.recorder.requests[0]?.headers["content-type"]).toBe("application/json");
  });

  it("a 200 whose body does not match success_body fails the record", async ({ onTestFinished }) => {
    const { world, service } = await setup({ onTestFinished }, { style: "post" });
    service.recorder.queue({ status: 200, body: "error: hostname unknown" });

    const result = await world.run("run");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /answered HTTP 200 \("error: hostname unknown"\) to the update of home\.example\.com A 81\.2\.69\.142, which does not match success_body/,
    );
  });

  it.skipIf(!ipv6)(
    "carries both families in one request; an IPv6 change repeats the IPv4",
    async ({ onTestFinished }) => {
      const { world, service } = await setup(
        { onTestFinished },
        { style: "post", records: [{ name: NAME, ipv6: true }], ipv6: IP6_1 },
      );

      expect((await world.run("run")).code).toBe(0);
      world.setIpv6(IP6_2);
      const second = await world.run("run");

      expect(second.code).toBe(0);
      expect(lines(second.stdout)).toEqual([`${NAME} AAAA ${IP6_1} -> ${IP6_2} (mine)`]);
      const bodies = service.recorder.requests.map((r) => JSON.parse(r.body) as Record<string, string>);
      expect(bodies.map((b) => [b.ipv4, b.ipv6])).toEqual([
        [IP1, IP6_1],
        [IP1, IP6_2],
      ]);
    },
  );

  it.skipIf(!ipv6)("URL-encodes an IPv6 address in the URL", async ({ onTestFinished }) => {
    const { world, service } = await setup(
      { onTestFinished },
      { records: [{ name: NAME, ipv4: false, ipv6: true }], ipv6: IP6_1 },
    );

    expect((await world.run("run")).code).toBe(0);

    expect(service.recorder.requests[0]?.target).toContain(`ip=${encodeURIComponent(IP6_1)}&type=AAAA`);
  });
});

describe("custom: the secret never leaks", () => {
  it("from header, body and URL templates, through every command and an error page that echoes it", async ({
    onTestFinished,
  }) => {
    const { world, service, secret } = await setup(
      { onTestFinished },
      { extra: { headers: { Authorization: "Bearer {secret}", "X-Key": "{secret}" } } },
    );
    // In the path too (a DuckDNS-style token): the -vv request line shows a custom URL's origin only.
    world.provider.url = `${service.recorder.origin}/update/{secret}?host={name}&ip={ip}&type={type}&k={secret}`;
    await world.writeConfig();
    const transcripts = [];
    for (const args of [
      ["run", "-vv"],
      ["run", "--json", "--force", "-vv"],
      ["check", "-vv"],
      ["records", "--json"],
      ["run", "-v", "--force"],
      ["explain", "--force"],
    ]) {
      transcripts.push(await world.run(args[0] as string, args.slice(1)));
    }
    service.recorder.queue(
      { status: 500, body: `oops k=${secret}` },
      { status: 500, body: `oops k=${secret}` },
      { status: 500, body: `oops k=${secret}` },
    );
    world.setIpv4(IP2);
    transcripts.push(await world.run("run", ["-vv", "--log-format", "json"]));
    const other = canarySecret();
    await writeFile(world.secretPath, `${other}\n`, { mode: 0o600 });
    transcripts.push(await world.run("run", ["-vv"]));
    transcripts.push(await world.run("status", ["--json"]));

    expect(transcripts.map((t) => t.code)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(transcripts[0]?.stderr).toMatch(
      /^debug: HTTP GET http:\/\/127\.0\.0\.1:\d+\/… \(path not shown\) -> 200 in \d+ ms \(Example DNS: update of home\.example\.com A 81\.2\.69\.142\)$/m,
    );
    expect(transcripts[5]?.stdout).toMatch(/== decision per record ==/);
    expect(transcripts[6]?.stderr).toMatch(/\[redacted\]/);
    for (const value of [secret, other]) {
      for (const transcript of transcripts) {
        expect(leakedFragment(transcript.stdout, value)).toBeUndefined();
        expect(leakedFragment(transcript.stderr, value)).toBeUndefined();
      }
      for (const file of await filesUnder(world.stateDir)) {
        expect(leakedFragment(file.text, value), file.path).toBeUndefined();
      }
    }
  });
});
