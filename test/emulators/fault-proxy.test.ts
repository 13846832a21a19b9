/**
 * The generic fault layer: forwards untouched by default, plays each kind of fault on the requests
 * it targets, and lets a test see each exchange.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from "./fault-proxy.ts";
import { type HttpRecorder, startHttpRecorder } from "./http-recorder.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

async function setup(
  options: Partial<FaultProxyOptions> = {},
): Promise<{ upstream: HttpRecorder; proxy: FaultProxy }> {
  const upstream = await startHttpRecorder({ respond: (r) => ({ body: `upstream saw ${r.body}` }) });
  cleanups.push(() => upstream.close());
  const proxy = await startFaultProxy({
    upstream: `${upstream.origin}/api/`,
    classify: ({ body }) => new URLSearchParams(body).get("cmd") ?? "",
    ...options,
  });
  cleanups.push(() => proxy.close());
  return { upstream, proxy };
}

function post(proxy: FaultProxy, cmd: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return fetch(`${proxy.url}call`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `cmd=${cmd}`,
    signal: AbortSignal.timeout(timeoutMs),
  }).then(async (response) => ({ status: response.status, body: await response.text() }));
}

describe("fault proxy", () => {
  it("forwards requests unchanged, keeping the upstream's path", async () => {
    const { upstream, proxy } = await setup();
    expect(await post(proxy, "list")).toEqual({ status: 200, body: "upstream saw cmd=list" });
    expect(upstream.requests.map((r) => r.path)).toEqual(["/api/call"]);
  });

  it("answers targeted requests with a canned reply, as often as asked, and forwards the rest", async () => {
    const { upstream, proxy } = await setup();
    proxy.addFault({
      op: "add",
      times: 2,
      action: { kind: "reply", body: (request) => `lie to ${request.op}` },
    });
    expect((await post(proxy, "list")).body).toBe("upstream saw cmd=list");
    expect((await post(proxy, "add")).body).toBe("lie to add");
    expect((await post(proxy, "add")).body).toBe("lie to add");
    expect((await post(proxy, "add")).body).toBe("upstream saw cmd=add");
    expect(upstream.requests.map((r) => r.body)).toEqual(["cmd=list", "cmd=add"]);
  });

  it("plays HTTP errors, resets and hangs without forwarding", async () => {
    const { upstream, proxy } = await setup();
    proxy.addFault({ action: { kind: "status", status: 503, body: "busy" } });
    expect(await post(proxy, "x")).toEqual({ status: 503, body: "busy" });
    proxy.addFault({ action: { kind: "reset" } });
    await expect(post(proxy, "x")).rejects.toThrow();
    proxy.addFault({ action: { kind: "hang" } });
    await expect(post(proxy, "x", 300)).rejects.toThrow(/timeout|aborted/i);
    expect(upstream.requests).toHaveLength(0);
  });

  it("loses the reply of a request the upstream did apply", async () => {
    const seen: string[] = [];
    const { upstream, proxy } = await setup({ onUpstream: ({ request }) => seen.push(request.op) });
    proxy.addFault({ op: "add", action: { kind: "lose_reply" } });
    await expect(post(proxy, "add")).rejects.toThrow();
    expect(upstream.requests.map((r) => r.body)).toEqual(["cmd=add"]);
    expect(seen).toEqual(["add"]);
  });

  it("delays, drops on request from the arrival hook, and forgets faults on clearFaults()", async () => {
    const { upstream, proxy } = await setup({
      onArrival: ({ request }) => (request.op === "drop" ? "drop" : undefined),
    });
    proxy.addFault({ op: "slow", action: { kind: "delay", ms: 150 } });
    const started = performance.now();
    expect((await post(proxy, "slow")).body).toBe("upstream saw cmd=slow");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect(post(proxy, "drop")).rejects.toThrow();
    proxy.addFault({ action: { kind: "status", status: 500 } });
    proxy.clearFaults();
    expect((await post(proxy, "after")).status).toBe(200);
    expect(upstream.requests.map((r) => r.body)).toEqual(["cmd=slow", "cmd=after"]);
  });
});
