/**
 * The status page: one self-contained HTML document rendered from a snapshot. No scripts, no
 * external assets; the only inline CSS is one <style> element allowed by its SHA-256 hash in the
 * Content-Security-Policy (PAGE_CSP). It reloads itself with <meta http-equiv="refresh">, adapts to
 * narrow screens (tables turn into cards) and to a dark colour scheme. Every dynamic string is
 * escaped. Pure apart from hashing the constant stylesheet once.
 */
import { createHash } from "node:crypto";
import { own } from "../core/own.ts";
import type { HistoryEntry } from "../core/state.ts";
import type { HealthState, ProviderStatus, RecordHealth, StatusSnapshot } from "./snapshot.ts";

const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--muted:#5b6470;--card:#fff;--border:#d8dde3;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da;--accent:#0969da;--accent2:#8250df;--lane:#c9d1d9}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--card:#161b22;--border:#30363d;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--info:#58a6ff;--accent:#58a6ff;--accent2:#bc8cff;--lane:#30363d}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.wrap{max-width:1120px;margin:0 auto;padding:16px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 14px;margin-bottom:4px}
h1{font-size:1.5rem;margin:0;letter-spacing:.01em}
h2{font-size:1.1rem;margin:0 0 10px}
h3{font-size:1rem;margin:0 0 8px;display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px}
h3 .muted{font-weight:400}
.reason{margin:0 0 14px;color:var(--muted);overflow-wrap:anywhere}
section{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:14px 16px;margin:0 0 16px}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px 18px;margin:0}
dl.facts div{min-width:0}
dt{color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--border);vertical-align:top}
th{font-size:.8rem;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
tbody tr:last-child td{border-bottom:0}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
td code{white-space:nowrap}
.nowrap{white-space:nowrap}
.muted{color:var(--muted)}
code.url{display:block;font-size:12px;color:var(--muted);white-space:normal;overflow-wrap:anywhere}
.err{display:block;color:var(--bad);font-size:.9rem;margin-top:2px;overflow-wrap:anywhere}
.differs{color:var(--warn)}
.badge{display:inline-block;padding:0 .6em;border:1px solid currentColor;border-radius:999px;font-size:.8rem;font-weight:600;line-height:1.6;white-space:nowrap}
.s-ok{color:var(--ok)}.s-warn{color:var(--warn)}.s-bad{color:var(--bad)}.s-info{color:var(--info)}
.tag{font-size:.75rem;color:var(--muted);border:1px solid var(--border);border-radius:4px;padding:0 4px;margin-left:4px}
.family{margin-top:14px}
.family:first-of-type{margin-top:0}
.chart{margin:0 0 12px;overflow:hidden}
.chart svg{display:block;width:100%;font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.chart figcaption{color:var(--muted);font-size:.85rem;margin-top:4px}
.lane{stroke:var(--lane);stroke-width:2}
.seg0{stroke:var(--accent);stroke-width:4;stroke-linecap:round}
.seg1{stroke:var(--accent2);stroke-width:4;stroke-linecap:round}
.pt{fill:var(--card);stroke:var(--fg);stroke-width:2}
.pt-new{fill:var(--ok);stroke:var(--card);stroke-width:2}
.lbl{fill:var(--fg);font-weight:600}
.prov{fill:var(--muted);font-weight:400}
.addr{fill:var(--muted);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.axis{stroke:var(--border);stroke-width:1}
.tick{fill:var(--muted);font-size:11px}
.empty{color:var(--muted);margin:0}
footer{color:var(--muted);font-size:.85rem;padding:4px 2px 24px}
a{color:var(--accent)}
@media (max-width:700px){
.wrap{padding:10px}
section{padding:12px}
table.stack thead{display:none}
table.stack tr{display:block;border-bottom:1px solid var(--border);padding:6px 0}
table.stack tbody tr:last-child{border-bottom:0}
table.stack td{display:flex;justify-content:space-between;align-items:baseline;gap:12px;border:0;padding:3px 0;text-align:right}
table.stack td::before{content:attr(data-label);color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;text-align:left;flex:none}
table.stack td.first{display:block;text-align:left;font-size:1.05rem}
table.stack td.first::before{content:none}
table.stack td .v{min-width:0}
table.stack td code{white-space:normal}
table.stack .err{text-align:right}
}
`.trim();

const CSS_HASH = createHash("sha256").update(CSS, "utf8").digest("base64");

/**
 * The page's policy: nothing may load except this one stylesheet (by hash) and data: images (the
 * favicon), no scripts at all, no framing, no forms, no base URL.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${CSS_HASH}'`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML/SVG content and double- or single-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function ago(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "unknown";
  const diff = now - at;
  const future = diff < 0;
  const s = Math.round(Math.abs(diff) / 1000);
  let text: string;
  if (s < 5) return future ? "now" : "just now";
  if (s < 120) text = `${s}s`;
  else if (s < 7200) text = `${Math.round(s / 60)}m`;
  else if (s < 172_800) text = `${Math.round(s / 3600)}h`;
  else text = `${Math.round(s / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

function utc(iso: string): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  return `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The router bridge's last push per client (only when the bridge is on). */
function bridgeSection(snapshot: StatusSnapshot, now: number): string {
  if (!snapshot.bridge) return "";
  if (snapshot.bridge.length === 0) {
    return `<section id="bridge"><h2>Router pushes</h2><p class="empty">No router has pushed yet.</p></section>`;
  }
  const rows = snapshot.bridge.map(
    (push) =>
      `<tr><td>${escapeHtml(push.user)}</td><td>${time(push.at, now)}</td><td>${addr(push.source)}</td>` +
      `<td>${push.addresses.length ? push.addresses.map((a) => addr(a)).join(" ") : addr(null)}</td>` +
      `<td>${push.replies.map((line) => `<code>${escapeHtml(line)}</code>`).join(" ")}</td></tr>`,
  );
  return (
    `<section id="bridge"><h2>Router pushes</h2><table class="stack"><thead><tr><th>Client</th><th>When</th>` +
    `<th>From</th><th>Pushed</th><th>Reply</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`
  );
}

/** A relative time with the exact one in the tooltip and the machine-readable one in datetime. */
function time(iso: string | null, now: number): string {
  if (iso === null) return `<span class="muted">never</span>`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(utc(iso))}">${escapeHtml(ago(iso, now))}</time>`;
}

function addr(value: string | null, extraClass = ""): string {
  if (value === null) return `<span class="muted">—</span>`;
  return `<code${extraClass ? ` class="${extraClass}"` : ""}>${escapeHtml(value)}</code>`;
}

/** A table cell; on narrow screens its label shows beside the value (one wrapper keeps the value together). */
function cell(label: string, html: string): string {
  return `<td data-label="${escapeHtml(label)}"><div class="v">${html}</div></td>`;
}

const HEALTH_BADGE: Record<HealthState, [string, string]> = {
  ok: ["healthy", "s-ok"],
  starting: ["starting", "s-info"],
  grace: ["failing (within grace)", "s-warn"],
  failing: ["failing", "s-bad"],
};

const RECORD_BADGE: Record<RecordHealth, [string, string]> = {
  ok: ["ok", "s-ok"],
  failing: ["failing", "s-bad"],
  pending: ["not checked yet", "s-info"],
  planned: ["change planned", "s-warn"],
};

const VERDICT_CLASS: Record<string, string> = {
  agreed: "s-ok",
  minority: "s-warn",
  answered: "s-info",
  rejected: "s-bad",
  failed: "s-bad",
  "not needed": "muted",
};

function badge([text, cls]: [string, string]): string {
  return `<span class="badge ${cls}">${escapeHtml(text)}</span>`;
}

const FAVICON_COLOR: Record<HealthState, string> = {
  ok: "%231a7f37",
  starting: "%230969da",
  grace: "%239a6700",
  failing: "%23cf222e",
};

function favicon(state: HealthState): string {
  return `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='${FAVICON_COLOR[state]}'/%3E%3C/svg%3E`;
}

function facts(snapshot: StatusSnapshot, now: number): string {
  const d = snapshot.daemon;
  const last = snapshot.lastRound;
  const items: Array<[string, string]> = [
    ["Version", escapeHtml(d.version)],
    ["Running since", time(d.startedAt, now)],
    ["Schedule", escapeHtml(d.schedule)],
    [
      "Last round",
      last
        ? `${badge(last.ok ? ["ok", "s-ok"] : ["failed", "s-bad"])} ${time(last.finishedAt, now)} <span class="muted nowrap">(${escapeHtml((last.durationMs / 1000).toFixed(1))} s)</span>`
        : `<span class="muted">none yet</span>`,
    ],
    ["Next round", d.roundRunning ? badge(["running now", "s-info"]) : time(d.nextRoundAt, now)],
    ["Rounds", `${escapeHtml(d.roundsOk)} ok · ${escapeHtml(d.roundsFailed)} failed`],
  ];
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${v}</dd></div>`).join("")}</dl>`;
}

function recordsSection(snapshot: StatusSnapshot, now: number): string {
  if (snapshot.records.length === 0) {
    return `<section id="records"><h2>Records</h2><p class="empty">No records are configured.</p></section>`;
  }
  const rows = snapshot.records.map((r) => {
    const differs = r.published !== null && r.detected !== null && r.published !== r.detected;
    const status =
      r.status === "failing" && r.consecutiveFailures > 1
        ? badge([`failing ×${r.consecutiveFailures}`, "s-bad"])
        : badge(RECORD_BADGE[r.status]);
    const error = r.lastError ? `<span class="err">${escapeHtml(r.lastError)}</span>` : "";
    return (
      `<tr class="record">` +
      `<td class="first" data-label="Record"><strong>${escapeHtml(r.name)}</strong><span class="tag">${escapeHtml(r.type)}</span></td>` +
      cell(
        "Provider",
        `${escapeHtml(r.provider)}${r.providerType ? ` <span class="muted">(${escapeHtml(r.providerType)})</span>` : ""}`,
      ) +
      cell("Published", addr(r.published, differs ? "differs" : "")) +
      cell("Detected", addr(r.detected)) +
      cell("Last check", time(r.lastCheck, now)) +
      cell("Last change", time(r.lastChange, now)) +
      cell("Status", `${status}${error}`) +
      `</tr>`
    );
  });
  return (
    `<section id="records"><h2>Records</h2><table class="stack records"><thead><tr>` +
    `<th>Record</th><th>Provider</th><th>Published</th><th>Detected</th><th>Last check</th><th>Last change</th><th>Status / last error</th>` +
    `</tr></thead><tbody>${rows.join("")}</tbody></table></section>`
  );
}

function detectionSection(snapshot: StatusSnapshot, now: number): string {
  if (snapshot.detection.length === 0) {
    return `<section id="detection"><h2>Detection</h2><p class="empty">No address detection has run yet.</p></section>`;
  }
  const families = snapshot.detection.map((d) => {
    const label = d.family === "ipv4" ? "IPv4" : "IPv6";
    const head =
      `<h3>${label} ${d.status === "known" ? addr(d.address) : badge(["unknown", "s-bad"])}` +
      ` <span class="muted">${time(d.at, now)}${d.ms !== null ? ` · ${escapeHtml(d.ms)} ms` : ""}</span></h3>` +
      (d.reason ? `<p class="err">${escapeHtml(d.reason)}</p>` : "");
    const rows = d.sources.map(
      (s) =>
        `<tr><td class="first" data-label="Source">${escapeHtml(s.source)}` +
        (s.url !== null ? `<code class="url">${escapeHtml(s.url)}</code>` : "") +
        `</td>` +
        cell(
          "Verdict",
          `<span class="badge ${own(VERDICT_CLASS, s.verdict) ?? "muted"}">${escapeHtml(s.verdict)}</span>`,
        ) +
        cell(
          "Answer",
          s.address !== null
            ? addr(s.address)
            : s.reason !== null
              ? `<span class="muted">${escapeHtml(s.reason)}</span>`
              : `<span class="muted">—</span>`,
        ) +
        cell("Time", s.ms !== null ? `${escapeHtml(s.ms)} ms` : `<span class="muted">—</span>`) +
        `</tr>`,
    );
    return (
      `<div class="family">${head}<table class="stack sources"><thead><tr><th>Source</th><th>Verdict</th><th>Answer</th><th>Time</th></tr></thead>` +
      `<tbody>${rows.join("")}</tbody></table></div>`
    );
  });
  return `<section id="detection"><h2>Detection</h2>${families.join("")}</section>`;
}

/** Halted, backing off, failing (how many of its records, and the first error), or ok. */
function providerState(p: ProviderStatus, now: number): string {
  if (p.halted) {
    return `${badge(["halted", "s-bad"])} since ${time(p.halted.at, now)}<span class="err">${escapeHtml(p.halted.reason)}</span>`;
  }
  if (p.backingOff) {
    return `${badge(["backing off", "s-warn"])} until ${time(p.backoffUntil, now)}${p.backoffReason ? `<span class="err">${escapeHtml(p.backoffReason)}</span>` : ""}`;
  }
  if (p.failingRecords > 0) {
    const count = `${p.failingRecords} of ${p.records} record${p.records === 1 ? "" : "s"}`;
    return (
      `${badge(["failing", "s-bad"])} <span class="muted nowrap">${escapeHtml(count)}</span>` +
      (p.lastError ? `<span class="err">${escapeHtml(p.lastError)}</span>` : "")
    );
  }
  return badge(["ok", "s-ok"]);
}

function providersSection(snapshot: StatusSnapshot, now: number): string {
  if (snapshot.providers.length === 0) return "";
  const rows = snapshot.providers.map(
    (p) =>
      `<tr><td class="first" data-label="Provider">${escapeHtml(p.id)}</td>` +
      cell("Type", escapeHtml(p.type)) +
      cell("State", providerState(p, now)) +
      `</tr>`,
  );
  return (
    `<section id="providers"><h2>Providers</h2><table class="stack providers"><thead><tr><th>Provider</th><th>Type</th><th>State</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table></section>`
  );
}

interface Lane {
  provider: string;
  name: string;
  type: string;
  current: string | null;
  changes: HistoryEntry[];
}

const LANE_HEIGHT = 62;
const AXIS_HEIGHT = 26;

function pct(value: number): string {
  return `${(Math.round(value * 100) / 100).toString()}%`;
}

function tickLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs <= 36 * 3_600_000 ? iso.slice(11, 16) : iso.slice(5, 10);
}

/**
 * The change history as an inline SVG: one lane per record, x = time (oldest change to now), a
 * point per change (with a <title> tooltip), segments coloured per address period, the record's
 * name and current address above its lane. x positions are percentages, so the chart stretches
 * to any width while its text keeps its size.
 */
export function renderTimeline(snapshot: StatusSnapshot): string {
  const history = snapshot.history;
  if (history.length === 0) {
    return `<p class="empty" id="no-history">No address changes recorded yet. When the public address changes and homing updates a record, the change shows here.</p>`;
  }
  const now = Date.parse(snapshot.generatedAt);
  const lanes = new Map<string, Lane>();
  const keyOf = (p: string, n: string, t: string) => `${p}\u0000${n}\u0000${t}`;
  for (const r of snapshot.records) {
    lanes.set(keyOf(r.provider, r.name, r.type), {
      provider: r.provider,
      name: r.name,
      type: r.type,
      current: r.published,
      changes: [],
    });
  }
  for (const entry of history) {
    const key = keyOf(entry.provider, entry.name, entry.type);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { provider: entry.provider, name: entry.name, type: entry.type, current: null, changes: [] };
      lanes.set(key, lane);
    }
    lane.changes.push(entry);
  }
  const times = history.map((e) => Date.parse(e.at)).filter(Number.isFinite);
  const end = Math.max(now, ...times);
  let start = Math.min(...times);
  if (!Number.isFinite(start) || end - start < 3_600_000) start = end - 3_600_000;
  const span = end - start;
  const x = (ms: number) => 1.5 + (97 * (ms - start)) / span;
  const list = [...lanes.values()];
  const height = list.length * LANE_HEIGHT + AXIS_HEIGHT;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="timeline-title timeline-desc" width="100%" height="${height}" class="timeline">`,
    `<title id="timeline-title">Address changes over time</title>`,
    `<desc id="timeline-desc">${escapeHtml(`${history.length} change${history.length === 1 ? "" : "s"} of ${list.length} record${list.length === 1 ? "" : "s"} between ${utc(new Date(start).toISOString())} and ${utc(new Date(end).toISOString())}`)}</desc>`,
  );
  list.forEach((lane, index) => {
    const top = index * LANE_HEIGHT;
    const lineY = top + 30;
    const current = lane.current ?? lane.changes.at(-1)?.to ?? null;
    parts.push(
      `<g class="lane-group">`,
      `<text class="lbl" x="0" y="${top + 16}">${escapeHtml(`${lane.name} ${lane.type}`)}<tspan class="prov"> (${escapeHtml(lane.provider)})</tspan></text>`,
      current !== null
        ? `<text class="addr" x="100%" y="${lineY + 20}" text-anchor="end">${escapeHtml(current)}</text>`
        : "",
      `<line class="lane" x1="${pct(x(start))}" x2="${pct(x(end))}" y1="${lineY}" y2="${lineY}"/>`,
    );
    const points = lane.changes
      .map((change) => ({ change, at: Date.parse(change.at) }))
      .filter((p) => Number.isFinite(p.at))
      .sort((a, b) => a.at - b.at);
    points.forEach((point, i) => {
      const next = points[i + 1]?.at ?? end;
      parts.push(
        `<line class="seg${i % 2}" x1="${pct(x(point.at))}" x2="${pct(x(next))}" y1="${lineY}" y2="${lineY}"/>`,
      );
    });
    for (const point of points) {
      const c = point.change;
      const tip = `${utc(c.at)}: ${c.name} ${c.type} ${c.from === null ? "created with" : `${c.from} →`} ${c.to} (${c.provider})`;
      parts.push(
        `<circle class="${c.from === null ? "pt-new" : "pt"}" cx="${pct(x(point.at))}" cy="${lineY}" r="5"><title>${escapeHtml(tip)}</title></circle>`,
      );
    }
    if (points.length === 0) {
      parts.push(`<text class="tick" x="50%" y="${lineY - 6}" text-anchor="middle">no changes</text>`);
    }
    parts.push(`</g>`);
  });
  const axisY = list.length * LANE_HEIGHT + 4;
  parts.push(`<line class="axis" x1="0" x2="100%" y1="${axisY}" y2="${axisY}"/>`);
  for (const fraction of [0, 1 / 3, 2 / 3, 1]) {
    const at = start + span * fraction;
    const anchor = fraction === 0 ? "start" : fraction === 1 ? "end" : "middle";
    parts.push(
      `<line class="axis" x1="${pct(x(at))}" x2="${pct(x(at))}" y1="${axisY}" y2="${axisY + 4}"/>`,
      `<text class="tick" x="${pct(x(at))}" y="${axisY + 17}" text-anchor="${anchor}">${escapeHtml(fraction === 1 ? "now" : tickLabel(at, span))}</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("");
}

const HISTORY_ROWS = 50;

function historySection(snapshot: StatusSnapshot, now: number): string {
  const chart = renderTimeline(snapshot);
  if (snapshot.history.length === 0)
    return `<section id="history"><h2>Address history</h2>${chart}</section>`;
  const newest = [...snapshot.history].reverse().slice(0, HISTORY_ROWS);
  const rows = newest.map(
    (e) =>
      `<tr><td class="first" data-label="When"><time datetime="${escapeHtml(e.at)}" title="${escapeHtml(ago(e.at, now))}">${escapeHtml(utc(e.at))}</time></td>` +
      cell(
        "Record",
        `${escapeHtml(e.name)}<span class="tag">${escapeHtml(e.type)}</span> <span class="muted">(${escapeHtml(e.provider)})</span>`,
      ) +
      cell("From", addr(e.from)) +
      cell("To", addr(e.to)) +
      `</tr>`,
  );
  const more =
    snapshot.history.length > HISTORY_ROWS
      ? `<p class="muted">Showing the newest ${HISTORY_ROWS} of ${snapshot.history.length} changes; <a href="api/status">api/status</a> has them all.</p>`
      : "";
  return (
    `<section id="history"><h2>Address history</h2>` +
    `<figure class="chart">${chart}<figcaption>Each dot is a change (hover for details); times in UTC.</figcaption></figure>` +
    `<table class="stack history"><thead><tr><th>When</th><th>Record</th><th>From</th><th>To</th></tr></thead><tbody>${rows.join("")}</tbody></table>${more}</section>`
  );
}

export interface PageOptions {
  /** Seconds between automatic reloads; 0 turns them off. */
  refreshSeconds: number;
  /** Show the "Update now" hint (POST /api/update is configured). */
  updateEnabled?: boolean;
}

/** Renders the whole page. Serve it with `Content-Security-Policy: PAGE_CSP`. */
export function renderPage(snapshot: StatusSnapshot, options: PageOptions): string {
  const now = Date.parse(snapshot.generatedAt);
  const health = snapshot.health;
  const failing = snapshot.records.filter((r) => r.status === "failing").length;
  const title = `homing: ${HEALTH_BADGE[health.state][0]}${failing > 0 ? ` (${failing} failing)` : ""}`;
  const refresh = Math.max(0, Math.floor(options.refreshSeconds));
  return [
    `<!doctype html>`,
    `<html lang="en"><head><meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    refresh > 0 ? `<meta http-equiv="refresh" content="${refresh}">` : "",
    `<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">`,
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="icon" href="${favicon(health.state)}">`,
    `<style>${CSS}</style></head>`,
    `<body><div class="wrap">`,
    `<header class="top"><h1>homing</h1>${badge(HEALTH_BADGE[health.state])}</header>`,
    `<p class="reason">${escapeHtml(health.reason)}</p>`,
    `<main>`,
    `<section id="summary">${facts(snapshot, now)}</section>`,
    recordsSection(snapshot, now),
    detectionSection(snapshot, now),
    providersSection(snapshot, now),
    historySection(snapshot, now),
    bridgeSection(snapshot, now),
    `</main>`,
    `<footer>Generated ${escapeHtml(utc(snapshot.generatedAt))}${refresh > 0 ? ` · reloads every ${refresh} s` : ""} · ` +
      `<a href="api/status">JSON</a> · <a href="metrics">metrics</a> · <a href="healthz">health</a>` +
      (options.updateEnabled ? ` · rounds on demand: <code>POST /api/update</code>` : "") +
      `</footer>`,
    `</div></body></html>`,
    "",
  ].join("\n");
}
