import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BADSIG,
  fixtureContext,
  fixtureReport,
  IP_NOW,
  IP6,
  NOW,
  SOURCE_URLS,
} from "../../test/support/status-fixture.ts";
import { escapeHtml, PAGE_CSP, renderPage, renderTimeline } from "./page.ts";
import { buildSnapshot, type StatusSnapshot } from "./snapshot.ts";

const HOSTILE = `<script>alert("x")</script>`;

function snapshot(options: Parameters<typeof fixtureContext>[0] = {}): StatusSnapshot {
  return buildSnapshot(
    fixtureContext(options),
    fixtureReport({ ok: !options.failing, twoProviders: options.twoProviders }),
  );
}

/** The text of each row of the table with this class, cells joined by " | ". */
function tableRows(html: string, table: string): string[] {
  const body = html.split(`<table class="stack ${table}">`)[1]?.split("</table>")[0] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((row) =>
    (row[1] as string)
      .split(/<\/td>/)
      .map((cell) =>
        cell
          .replace(/<[^>]+>/g, " ")
          .replace(/\s+/g, " ")
          .trim(),
      )
      .filter((cell) => cell !== "")
      .join(" | "),
  );
}

function hostileSnapshot(): StatusSnapshot {
  const s = snapshot({ failing: true });
  const record = s.records[0];
  if (!record) throw new Error("fixture has records");
  record.name = `${HOSTILE}.example.com`;
  record.provider = `dh" onmouseover="x`;
  record.lastError = `<img src=x onerror=alert(1)> & more`;
  s.detection[0]?.sources.push({
    source: HOSTILE,
    url: `http://127.0.0.1/${HOSTILE}`,
    verdict: "rejected",
    address: null,
    reason: HOSTILE,
    ms: 3,
  });
  s.history.push({
    at: NOW.toISOString(),
    provider: "dh",
    name: HOSTILE,
    type: "A",
    from: "</title>",
    to: "<b>",
  });
  s.health.reason = HOSTILE;
  s.daemon.version = HOSTILE;
  return s;
}

describe("renderPage", () => {
  it("shows every record with provider, published and detected addresses, check, change and error", () => {
    const html = renderPage(snapshot({ failing: true }), { refreshSeconds: 60 });
    for (const text of [
      "home.example.com",
      "nas.example.com",
      "dreamhost",
      IP_NOW,
      IP6,
      "90m ago",
      "4d ago",
    ]) {
      expect(html).toContain(text);
    }
    expect(html).toContain("DreamHost answered HTTP 503; trying again next round");
    expect(html).toContain("failing ×2");
    expect(html.match(/<tr class="record">/g)).toHaveLength(3);
  });

  it("shows each detection source's latest answer", () => {
    const html = renderPage(snapshot(), { refreshSeconds: 60 });
    expect(html).toContain('>cloudflare<code class="url">https://1.1.1.1/cdn-cgi/trace</code></td>');
    expect(html).toContain('>ipinfo<code class="url">https://ipinfo.io/ip</code></td>');
    expect(html).toContain("HTTP 502");
    expect(html).toContain("87 ms");
  });

  it("escapes a hostile record name, error, source and history entry everywhere", () => {
    const html = renderPage(hostileSnapshot(), { refreshSeconds: 60 });
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain(`dh" onmouseover`);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.example.com");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; &amp; more");
    // Only the one <title> of the document and the chart's own: an address cannot close them.
    expect(html.match(/<\/title>/g)).toHaveLength(html.match(/<title/g)?.length ?? -1);
  });

  it("shows a halted provider and its reason", () => {
    const s = snapshot();
    s.providers[0] = {
      ...(s.providers[0] as StatusSnapshot["providers"][number]),
      halted: { reason: "badauth <x>", at: NOW.toISOString() },
    };
    const html = renderPage(s, { refreshSeconds: 60 });
    expect(html).toContain('<span class="badge s-bad">halted</span>');
    expect(html).toContain("badauth &lt;x&gt;");
  });

  it("a provider whose records fail shows as failing, with how many and the first error", () => {
    const html = renderPage(snapshot({ twoProviders: true }), { refreshSeconds: 60 });
    expect(tableRows(html, "providers")).toEqual([
      "dh | dreamhost | ok",
      `ns | rfc2136 | failing 1 of 1 record home.example.com A: ${BADSIG}`,
    ]);
  });

  it("tells detection sources on one host apart by their full URL, query values redacted", () => {
    const html = renderPage(snapshot({ twoProviders: true }), { refreshSeconds: 60 });
    const rows = tableRows(html, "sources").filter((row) => row.startsWith("127.0.0.1:38080"));
    expect(rows).toEqual([
      `127.0.0.1:38080 ${SOURCE_URLS[0]} | agreed | ${IP_NOW} | 4 ms`,
      `127.0.0.1:38080 ${SOURCE_URLS[1]} | failed | HTTP 404 | 3 ms`,
    ]);
  });

  it("history: the same name at two providers gets a lane and rows labelled with each provider", () => {
    const html = renderPage(snapshot({ twoProviders: true }), { refreshSeconds: 60 });
    const lanes = [...html.matchAll(/<text class="lbl"[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
      (m[1] as string).replace(/<[^>]+>/g, ""),
    );
    expect(lanes).toEqual([
      "home.example.com A (dh)",
      "home.example.com AAAA (dh)",
      "nas.example.com A (dh)",
      "home.example.com A (ns)",
    ]);
    const rows = tableRows(html, "history").filter((row) => row.includes("home.example.com A"));
    expect(rows.some((row) => row.includes("home.example.com A (ns)"))).toBe(true);
    expect(rows.some((row) => row.includes("home.example.com A (dh)"))).toBe(true);
  });

  it("escapeHtml covers the five special characters", () => {
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe("&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
  });

  it("is self-contained: no script, no external asset, no inline style attribute", () => {
    const html = renderPage(snapshot(), { refreshSeconds: 60 });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<link(?![^>]*rel="icon" href="data:)/);
    const urls = [...html.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1]);
    for (const url of urls) expect(url).toMatch(/^(data:|api\/status$|metrics$|healthz$)/);
    // Detection sources show their URL as text, never as a link.
    const text = html
      .replace(/xmlns=["']http:\/\/www\.w3\.org\/2000\/svg["']/g, "")
      .replace(/<code class="url">[^<]*<\/code>/g, "");
    expect(text).not.toMatch(/https?:\/\//);
  });

  it("its only <style> is allowed by the CSP hash, and the CSP allows nothing else", () => {
    const html = renderPage(snapshot(), { refreshSeconds: 60 });
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
    expect(styles).toHaveLength(1);
    const hash = createHash("sha256")
      .update(styles[0] as string)
      .digest("base64");
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(PAGE_CSP).toMatch(/^default-src 'none'; /);
    expect(PAGE_CSP).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
  });

  it("refreshes itself with a meta refresh, and not at all with 0", () => {
    expect(renderPage(snapshot(), { refreshSeconds: 30 })).toContain(
      '<meta http-equiv="refresh" content="30">',
    );
    expect(renderPage(snapshot(), { refreshSeconds: 0 })).not.toContain("http-equiv");
  });

  it("is made for phones and both colour schemes", () => {
    const html = renderPage(snapshot(), { refreshSeconds: 60 });
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain("@media (prefers-color-scheme:dark)");
    expect(html).toContain("@media (max-width:700px)");
  });

  it("names the health state in the title and the badge", () => {
    expect(renderPage(snapshot(), { refreshSeconds: 60 })).toContain("<title>homing: healthy</title>");
    const failing = renderPage(snapshot({ failing: true }), { refreshSeconds: 60 });
    expect(failing).toContain("<title>homing: failing (within grace) (1 failing)</title>");
  });
});

describe("renderTimeline", () => {
  it("draws one lane per record and one point per change, each with a tooltip", () => {
    const s = snapshot();
    const svg = renderTimeline(s);
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(svg.match(/<g class="lane-group">/g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(s.history.length);
    expect(svg).toContain(
      `<title>2025-05-20 10:30 UTC: home.example.com A 81.2.69.160 → ${IP_NOW} (dh)</title>`,
    );
    expect(svg).toContain(
      "<title>2025-05-15 12:00 UTC: home.example.com A created with 81.2.69.142 (dh)</title>",
    );
    expect(svg).toContain(">now</text>");
    expect(svg).not.toContain("viewBox");
  });

  it("places the newest change near the right edge and the oldest at the left", () => {
    const svg = renderTimeline(snapshot());
    const xs = [...svg.matchAll(/<circle [^>]*cx="([\d.]+)%"/g)].map((m) => Number(m[1]));
    expect(Math.min(...xs)).toBeCloseTo(1.5, 1);
    expect(Math.max(...xs)).toBeGreaterThan(97);
    expect(Math.max(...xs)).toBeLessThanOrEqual(98.5);
  });

  it("shows an empty-state message without history", () => {
    const s = snapshot({ history: false });
    expect(renderTimeline(s)).toContain("No address changes recorded yet");
    const html = renderPage(s, { refreshSeconds: 60 });
    expect(html).not.toContain("<svg");
    expect(html).toContain('id="no-history"');
  });

  it("a single change still gets a readable one-hour axis", () => {
    const s = snapshot({ history: false });
    s.history = [
      { at: NOW.toISOString(), provider: "dh", name: "home.example.com", type: "A", from: null, to: IP_NOW },
    ];
    const svg = renderTimeline(s);
    expect(svg).toContain(">11:00</text>");
    expect(svg.match(/<circle /g)).toHaveLength(1);
  });
});
