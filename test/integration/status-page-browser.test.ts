/**
 * The status page in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): the records table and the history chart are visible, a provider whose records
 * fail shows as failing, sources on one host show their full URLs, history lanes name their
 * provider (and /api/status says the same), the page works with JavaScript off, the Content-Security-Policy blocks nothing the page needs, and no request leaves
 * loopback. Screenshots (phone, desktop, dark) go to test-artifacts/; docs/status-page.png is
 * refreshed when it is missing or HOMING_UPDATE_SCREENSHOT=1.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.ts";
import { memoryLogger } from "../../src/platform/log.ts";
import { MetricsObserver } from "../../src/status/metrics.ts";
import { type StatusServer, startStatusServer } from "../../src/status/server.ts";
import type { StatusSnapshot } from "../../src/status/snapshot.ts";
import { REPO_ROOT } from "../support/harness.ts";
import { fixtureContext, fixtureReport, SOURCE_HOST, SOURCE_URLS } from "../support/status-fixture.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const USER = "admin";
const PASSWORD = "correct horse battery staple";
const present = existsSync(CHROMIUM);

if (!present) {
  // CI installs Chromium (.ci/run): there a missing browser is a failure, not a skip.
  if (process.env.CI)
    throw new Error(`${CHROMIUM} is missing; CI must install it (apt-get install chromium)`);
  console.warn(`status page browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
}

interface Visit {
  requests: string[];
  problems: string[];
}

describe.skipIf(!present)(`status page in Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let server: StatusServer;
  let origin: string;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startStatusServer({
      listen: "127.0.0.1:0",
      source: {
        // Two providers (one failing every record), two URL sources on one host.
        context: () => fixtureContext({ twoProviders: true }),
        lastReport: () => fixtureReport({ twoProviders: true }),
        requestRound: () => "started",
      },
      auth: {
        basicUser: USER,
        basicPassword: new Secret(PASSWORD, "test"),
        updateToken: new Secret("t0ken-t0ken", "test"),
      },
      healthGraceMs: 15 * 60_000,
      refreshSeconds: 60,
      metrics: new MetricsObserver(),
      logger: memoryLogger(),
    });
    origin = new URL(server.url).origin;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the page in a fresh context with JavaScript off, recording every request and complaint. */
  async function open(options: BrowserContextOptions): Promise<{ context: BrowserContext; visit: Visit }> {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      httpCredentials: { username: USER, password: PASSWORD },
      ...options,
    });
    const visit: Visit = { requests: [], problems: [] };
    context.on("request", (request) => visit.requests.push(request.url()));
    context.on("requestfailed", (request) =>
      visit.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
    );
    context.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") {
        visit.problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    context.on("weberror", (error) => visit.problems.push(`page error: ${error.error().message}`));
    return { context, visit };
  }

  function expectClean(visit: Visit): void {
    expect(visit.problems, "CSP violations, failed requests or errors").toEqual([]);
    for (const url of visit.requests) {
      const allowed = url.startsWith(`${origin}/`) || url.startsWith("data:");
      expect(allowed, `request left loopback: ${url}`).toBe(true);
    }
  }

  it("desktop: the records table and the history chart are visible, styled, and nothing is blocked", async () => {
    const { context, visit } = await open({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);

    const records = page.locator("table.records");
    await expect.poll(() => records.isVisible()).toBe(true);
    expect(await records.locator("tbody tr").count()).toBe(4);
    expect(await records.textContent()).toContain("nas.example.com");
    expect(await records.textContent()).toContain("81.2.69.170");

    const chart = page.locator("#history svg.timeline");
    expect(await chart.isVisible()).toBe(true);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(800);
    expect(box?.height).toBeGreaterThan(100);
    expect(await chart.locator("circle").count()).toBe(9);
    // The same name at two providers: each lane says which.
    expect(await chart.locator("text.lbl").allTextContents()).toEqual([
      "home.example.com A (dh)",
      "home.example.com AAAA (dh)",
      "nas.example.com A (dh)",
      "home.example.com A (ns)",
    ]);
    const history = await page.locator("table.history tbody tr").allInnerTexts();
    expect(history.filter((row) => /home\.example\.com\s*A\s*\(ns\)/.test(row))).toHaveLength(2);

    // A provider whose records all fail is not "ok".
    const ns = page.locator("table.providers tbody tr", { hasText: "rfc2136" });
    expect(await ns.locator(".badge").textContent()).toBe("failing");
    expect(await ns.textContent()).toContain("1 of 1 record");
    expect(await ns.locator(".err").textContent()).toContain("BADSIG");
    expect(await ns.locator(".err").isVisible()).toBe(true);
    const dh = page.locator("table.providers tbody tr", { hasText: "dreamhost" });
    expect(await dh.locator(".badge").textContent()).toBe("ok");

    // Two sources on one host: told apart by their full URL, the query's value redacted.
    const shared = page.locator("table.sources tbody tr", { hasText: SOURCE_HOST });
    expect(await shared.locator("code.url").allInnerTexts()).toEqual([...SOURCE_URLS]);
    for (const url of SOURCE_URLS) expect(await page.getByText(url).isVisible()).toBe(true);

    // /api/status tells the same.
    const api = await context.request.get(new URL("api/status", server.url).href);
    expect(api.status()).toBe(200);
    const body = (await api.json()) as StatusSnapshot;
    expect(body.providers.map((p) => [p.id, p.status])).toEqual([
      ["dh", "ok"],
      ["ns", "failing"],
    ]);
    expect(body.detection[0]?.sources.filter((x) => x.source === SOURCE_HOST).map((x) => x.url)).toEqual([
      ...SOURCE_URLS,
    ]);
    expect(new Set(body.history.map((entry) => entry.provider))).toEqual(new Set(["dh", "ns"]));
    expect(await page.locator("#detection").textContent()).toMatch(/cloudflare[\s\S]*agreed/);

    // The stylesheet applied (its CSP hash matched): the page background is the theme's, not white.
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(246, 247, 249)");
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe("60");

    const file = join(ARTIFACTS, "status-page.png");
    await page.screenshot({ path: file, fullPage: true });
    if (
      !existsSync(join(REPO_ROOT, "docs", "status-page.png")) ||
      process.env.HOMING_UPDATE_SCREENSHOT === "1"
    ) {
      await copyFile(file, join(REPO_ROOT, "docs", "status-page.png"));
    }
    expectClean(visit);
    await context.close();
  });

  it("phone (375 px): no sideways scrolling, the records become cards, the chart fits", async () => {
    const { context, visit } = await open({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(server.url);
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth");
    expect(overflow).toBeLessThanOrEqual(375);
    expect(await page.locator("table.records thead").isVisible()).toBe(false);
    expect(await page.locator("table.records tbody tr").first().isVisible()).toBe(true);
    const chart = await page.locator("#history svg.timeline").boundingBox();
    expect(chart?.width).toBeGreaterThan(250);
    expect((chart?.x ?? 0) + (chart?.width ?? 0)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(ARTIFACTS, "status-page-phone.png"), fullPage: true });
    expectClean(visit);
    await context.close();
  });

  it("dark colour scheme", async () => {
    const { context, visit } = await open({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
    const page = await context.newPage();
    await page.goto(server.url);
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(13, 17, 23)");
    expect(await page.locator("#history svg.timeline").isVisible()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "status-page-dark.png"), fullPage: true });
    expectClean(visit);
    await context.close();
  });

  it("with wrong credentials the browser is refused and sees no data", async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      httpCredentials: { username: USER, password: "wrong" },
    });
    const page = await context.newPage();
    // A 401 page, or (when Chromium gives up on the challenge) a failed navigation: never the data.
    const outcome = await page.goto(server.url).then(
      (response) => String(response?.status()),
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
    expect(await page.content()).not.toContain("home.example.com");
    await context.close();
  });
});
