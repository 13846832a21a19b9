/**
 * The router bridge (issue 12) against a real `homing daemon`: dyndns2 pushes from plain HTTP
 * requests, from the real Debian ddclient and inadyn acting as routers, and the request shapes of
 * Fritz!Box, OpenWrt, UniFi, pfSense, OPNsense and Synology (../shared/reference/detection.md §7).
 * The DreamHost emulator receives the update. Every peer is reached by a loopback literal.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  BIN,
  cleanEnv,
  closeAllWorlds,
  IP1,
  IP2,
  IP3,
  IP6_1,
  NAME,
  type RecordSpec,
  startWorld,
  type World,
} from "../support/harness.ts";
import { describeLeak } from "../support/leak-check.ts";

const run = promisify(execFile);
afterEach(closeAllWorlds);

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});

const NAS = "nas.example.com";
const PASSWORD = "router-Secret-7731";
const OTHER_PASSWORD = "openwrt-Secret-0412";

async function hashOf(password: string, home: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "bridge", "hash-password"], { env: cleanEnv(home) });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.on("close", (code) => (code === 0 ? resolve(text.trim()) : reject(new Error(`exit ${code}`))));
    child.stdin.end(`${password}\n`);
  });
}

interface Bridge {
  world: World;
  url: string;
  port: number;
  output: () => string;
}

async function startBridge(
  trust: "router" | "quorum" = "router",
  extra: string[] = [],
  records: RecordSpec[] = [{ name: NAME }, { name: NAS }],
): Promise<Bridge> {
  const world = await startWorld({ configRecords: records });
  const hash = await hashOf(PASSWORD, world.dir);
  expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
  const passFile = join(world.dir, "openwrt.pass");
  await writeFile(passFile, `${OTHER_PASSWORD}\n`, { mode: 0o600 });
  world.spec.topLevelExtra = [
    "[bridge]",
    'listen = "127.0.0.1:0"',
    `trust = "${trust}"`,
    "[[bridge.clients]]",
    'user = "fritzbox"',
    `password_hash = "${hash}"`,
    `hostnames = ["${NAME}"]`,
    "[[bridge.clients]]",
    'user = "openwrt"',
    `password_file = "${passFile}"`,
    `hostnames = ["${NAS}"]`,
    ...extra,
  ].join("\n");
  await world.writeConfig();
  const child = spawn(process.execPath, [BIN, "daemon", "-c", world.configPath, "-v"], {
    cwd: world.dir,
    env: cleanEnv(world.dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let text = "";
  const onData = (chunk: Buffer) => {
    text += chunk.toString("utf8");
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const deadline = Date.now() + 15_000;
  while (
    !/router bridge at (http:\/\/127\.0\.0\.1:(\d+)\/)/.test(text) ||
    !/round|daemon started/.test(text)
  ) {
    if (Date.now() > deadline) throw new Error(`the bridge did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const match = /router bridge at (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(text) as RegExpExecArray;
  return { world, url: match[1] as string, port: Number(match[2]), output: () => text };
}

interface Reply {
  status: number;
  body: string;
}

function get(
  bridge: Bridge,
  path: string,
  options: { user?: string; password?: string; localAddress?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.user !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${options.user}:${options.password ?? ""}`).toString("base64")}`;
    }
    const req = request(
      {
        host: "127.0.0.1",
        port: bridge.port,
        path,
        headers,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const fritz = { user: "fritzbox", password: PASSWORD };

describe("the router bridge", () => {
  it("publishes a pushed address (good), then answers a repeat with nochg and no provider call", async () => {
    const bridge = await startBridge();
    const first = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, fritz);
    expect(first).toEqual({ status: 200, body: `good ${IP2}\n` });
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    const calls = bridge.world.requests().length;
    const again = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, fritz);
    expect(again.body).toBe(`nochg ${IP2}\n`);
    expect(bridge.world.requests().length).toBe(calls);
    // The scheduled round leaves the pushed record alone (its detection says IP1).
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    const state = await import("node:fs/promises").then((fs) => fs.readFile(bridge.world.statePath, "utf8"));
    // In no encoding (verbatim, escaped, percent- or base64-encoded, Basic auth with the user).
    for (const text of [bridge.output(), state])
      expect(describeLeak(text, PASSWORD, { users: ["fritzbox"] })).toBeUndefined();
  });

  it("combines a pushed IPv6 prefix with the record's ipv6_suffix (a NAS behind the router)", async () => {
    const bridge = await startBridge(
      "router",
      [],
      [{ name: NAME }, { name: NAS, ipv4: false, ipv6: true, ipv6_suffix: "::1234:5678:9abc:def0" }],
    );
    const openwrt = { user: "openwrt", password: OTHER_PASSWORD };
    const pushed = await get(
      bridge,
      `/nic/update?hostname=${NAS}&ip6lanprefix=2a00:1450:4001:81b::/64`,
      openwrt,
    );
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatch(/^good /);
    expect(bridge.world.rows(NAS, "AAAA").map((r) => r.value)).toEqual([
      "2a00:1450:4001:81b:1234:5678:9abc:def0",
    ]);
  });

  it("takes both families in one push (myip=v4,v6)", async () => {
    const bridge = await startBridge("router", [], [{ name: NAME, ipv4: true, ipv6: true }, { name: NAS }]);
    const pushed = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2},${IP6_1}`, fritz);
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatch(/^good /);
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    expect(bridge.world.rows(NAME, "AAAA").map((r) => r.value)).toEqual([IP6_1]);
  });

  it("answers badauth alike for a wrong password and an unknown user, and changes nothing", async () => {
    const bridge = await startBridge();
    const wrong = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, {
      user: "fritzbox",
      password: "nope",
    });
    const unknown = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, {
      user: "mallory",
      password: "x",
    });
    const none = await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`);
    expect([wrong.body, unknown.body, none.body]).toEqual(["badauth\n", "badauth\n", "badauth\n"]);
    expect(bridge.world.rows(NAME, "A")).toEqual([]);
    expect(bridge.output()).not.toContain("nope");
  });

  it("answers nohost for a name the client may not update, notfqdn for a bad name, one line per host", async () => {
    const bridge = await startBridge();
    const reply = await get(bridge, `/nic/update?hostname=${NAS},${NAME},not_a_name&myip=${IP2}`, fritz);
    expect(reply.body).toBe(`nohost\ngood ${IP2}\nnotfqdn\n`);
    expect(bridge.world.rows(NAS, "A")).toEqual([]);
    expect((await get(bridge, "/nic/update?myip=81.2.69.142", fritz)).body).toBe("notfqdn\n");
  });

  it("refuses a private, CGNAT or malformed myip with 911 and a log line, changing nothing", async () => {
    const bridge = await startBridge();
    for (const ip of ["192.168.1.10", "100.64.1.1", "10.0.0.1", "81.2.69", "::1", "abc"]) {
      const reply = await get(bridge, `/nic/update?hostname=${NAME}&myip=${encodeURIComponent(ip)}`, fritz);
      expect(reply.body, ip).toBe("911\n");
    }
    // No address at all: the source address (loopback here) is not public, so it is refused too.
    expect((await get(bridge, `/nic/update?hostname=${NAME}`, fritz)).body).toBe("911\n");
    expect(bridge.world.rows(NAME, "A")).toEqual([]);
    expect(bridge.output()).toMatch(
      /bridge: user "fritzbox" from 127\.0\.0\.1: refused: .*carrier-grade NAT/,
    );
  });

  it("bounds a flood of bad logins (abuse) and stays up for other sources", async () => {
    const bridge = await startBridge();
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, { user: "fritzbox", password: "guess" }),
      ),
    );
    const counts = new Map<string, number>();
    for (const reply of replies) counts.set(reply.body, (counts.get(reply.body) ?? 0) + 1);
    expect(counts.get("badauth\n")).toBeLessThanOrEqual(5);
    expect((counts.get("abuse\n") ?? 0) + (counts.get("911\n") ?? 0)).toBeGreaterThanOrEqual(35);
    // Another source address, another client: still served.
    const other = await get(bridge, `/nic/update?hostname=${NAS}&myip=${IP3}`, {
      user: "openwrt",
      password: OTHER_PASSWORD,
      localAddress: "127.0.0.2",
    });
    expect(other.body).toBe(`good ${IP3}\n`);
  });

  it("shows the last push per client on the status page and /metrics, without secrets", async () => {
    const bridge = await startBridge("router", ["[status]", 'listen = "127.0.0.1:0"']);
    await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}&user=fritzbox&password=${PASSWORD}`);
    const deadline = Date.now() + 10_000;
    while (!/status page on (http:\/\/\S+)/.test(bridge.output()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = (/status page on (http:\/\/\S+)/.exec(bridge.output()) as RegExpExecArray)[1] as string;
    const status = (await (await fetch(`${url}api/status`)).json()) as {
      bridge: Array<{ user: string; addresses: string[]; replies: string[] }>;
    };
    expect(status.bridge).toMatchObject([{ user: "fritzbox", addresses: [IP2], replies: [`good ${IP2}`] }]);
    const metrics = await (await fetch(`${url}metrics`)).text();
    expect(metrics).toMatch(/homing_bridge_last_push_timestamp_seconds\{client="fritzbox"\} \d+/);
    expect(metrics).toContain('homing_bridge_last_push_ok{client="fritzbox"} 1');
    const page = await (await fetch(url)).text();
    expect(page).toContain("Router pushes");
    for (const text of [JSON.stringify(status), metrics, page, bridge.output()]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(`fritzbox:${PASSWORD}`).toString("base64"));
    }
  });

  it("cuts off a client that never finishes its headers (slowloris), and keeps serving", async () => {
    const bridge = await startBridge();
    const { connect } = await import("node:net");
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(bridge.port, "127.0.0.1", () =>
        socket.write(`GET /nic/update?hostname=${NAME} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n`),
      );
      let data = "";
      socket.on("data", (chunk: Buffer) => {
        data += chunk.toString("utf8");
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(data));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(9_000);
    expect((await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP2}`, fritz)).body).toBe(`good ${IP2}\n`);
  }, 20_000);

  it("counts the push as one source in the quorum when trust = quorum", async () => {
    const bridge = await startBridge("quorum");
    // Detection says IP1 (three echoes); a push of IP1 agrees.
    expect((await get(bridge, `/nic/update?hostname=${NAME}&myip=${IP1}`, fritz)).body).toMatch(
      new RegExp(`^(good|nochg) ${IP1}\\n$`),
    );
  });

  describe("request shapes routers send (reference §7.2)", () => {
    const shapes: Array<[string, (b: Bridge) => [string, Parameters<typeof get>[2]]]> = [
      ["dyndns2 / ddclient", () => [`/nic/update?system=dyndns&hostname=${NAME}&myip=${IP2}`, fritz]],
      [
        "Fritz!Box user-defined (query credentials, ipaddr, ip6addr empty)",
        () => [
          `/dyn?domain=${NAME}&username=fritzbox&password=${PASSWORD}&ipaddr=${IP2}&ip6addr=&dualstack=1&ip6lanprefix=`,
          {},
        ],
      ],
      [
        "OpenWrt ddns-scripts (userinfo as basic auth)",
        () => [`/nic/update?hostname=${NAME}&myip=${IP2}`, fritz],
      ],
      ["UniFi / inadyn custom (path placeholders)", () => [`/update?hostname=${NAME}&ip=${IP2}`, fritz]],
      ["pfSense custom", () => [`/nic/update?hostname=${NAME}&myip=${IP2}`, fritz]],
      [
        "OPNsense custom GET",
        () => [`/nic/update?hostname=${NAME}&myip=${IP2}&user=fritzbox&pass=${PASSWORD}`, {}],
      ],
      [
        "Synology query URL",
        () => [`/nic/update?hostname=${NAME}&myip=${IP2}&username=fritzbox&password=${PASSWORD}`, {}],
      ],
      ["MikroTik fetch", () => [`/anything/you/like?hostname=${NAME}&myip=${IP2}`, fritz]],
      [
        "token in the query",
        () => [`/nic/update?hostname=${NAME}&myip=${IP2}&user=fritzbox&token=${PASSWORD}`, {}],
      ],
    ];
    it.each(shapes)("%s", async (_label, shape) => {
      const bridge = await startBridge();
      const [path, options] = shape(bridge);
      expect((await get(bridge, path, options)).body).toBe(`good ${IP2}\n`);
      expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    });
  });
});

describe.skipIf(!existsSync("/usr/bin/ddclient"))("real ddclient as the router", () => {
  async function ddclient(bridge: Bridge, password: string, ip: string): Promise<string> {
    const dir = join(bridge.world.dir, `ddclient-${Math.random().toString(36).slice(2)}`);
    await mkdir(dir);
    const cfg = join(dir, "ddclient.conf");
    await writeFile(
      cfg,
      [
        "daemon=0",
        "syslog=no",
        "ssl=no",
        "protocol=dyndns2",
        `server=127.0.0.1:${bridge.port}`,
        "login=fritzbox",
        `password='${password}'`,
        "use=ip",
        `ip=${ip}`,
        NAME,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const result = await run(
      "/usr/bin/ddclient",
      [
        "-foreground",
        "-daemon=0",
        "-verbose",
        "-noquiet",
        "-force",
        "-file",
        cfg,
        "-cache",
        join(dir, "cache"),
      ],
      { timeout: 30_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => error);
    return `${result.stdout ?? ""}${result.stderr ?? ""}`;
  }

  it("updates DreamHost through the bridge, then gets nochg; a wrong password gets badauth", async () => {
    const bridge = await startBridge();
    const out1 = await ddclient(bridge, PASSWORD, IP2);
    expect(out1, out1).toMatch(/SUCCESS/);
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    const out2 = await ddclient(bridge, PASSWORD, IP2);
    expect(out2, out2).toMatch(/nochg|SUCCESS/);
    const out3 = await ddclient(bridge, "wrong-password", IP3);
    expect(out3, out3).toMatch(/badauth/);
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
  });
});

describe.skipIf(!existsSync("/usr/sbin/inadyn"))("real inadyn as the router", () => {
  async function inadyn(bridge: Bridge, password: string, ip: string, old: string): Promise<string> {
    const dir = join(bridge.world.dir, `inadyn-${Math.random().toString(36).slice(2)}`);
    const cache = join(dir, "cache");
    await mkdir(cache, { recursive: true });
    // A seeded cache keeps inadyn from looking the name up through the system resolver.
    await writeFile(join(cache, `${NAME}.cache`), `${old}\n`);
    const cfg = join(dir, "inadyn.conf");
    await writeFile(
      cfg,
      [
        "custom name@homing {",
        "  ssl = false",
        "  username = fritzbox",
        `  password = "${password}"`,
        `  ddns-server = "127.0.0.1:${bridge.port}"`,
        '  ddns-path = "/nic/update?hostname=%h&myip=%i"',
        `  checkip-command = "echo ${ip}"`,
        `  hostname = ${NAME}`,
        "}",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const result = await run(
      "/usr/sbin/inadyn",
      ["--once", "--foreground", "--no-pidfile", `--cache-dir=${cache}`, `--config=${cfg}`, "-l", "debug"],
      { timeout: 30_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => error);
    return `${result.stdout ?? ""}${result.stderr ?? ""}`;
  }

  it("updates DreamHost through the bridge; a wrong password changes nothing", async () => {
    const bridge = await startBridge();
    const out1 = await inadyn(bridge, PASSWORD, IP2, IP1);
    expect(
      bridge.world.rows(NAME, "A").map((r) => r.value),
      out1,
    ).toEqual([IP2]);
    const out2 = await inadyn(bridge, "wrong-password", IP3, IP2);
    expect(out2, out2).toMatch(/badauth|authenticat|Auth/i);
    expect(bridge.world.rows(NAME, "A").map((r) => r.value)).toEqual([IP2]);
    expect(bridge.output()).not.toContain(PASSWORD);
  });
});
