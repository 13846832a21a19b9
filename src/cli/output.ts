import type { IpFamily } from "../core/ip.ts";
import type { State } from "../core/state.ts";
import type { FamilyDetection } from "../detect/detect.ts";

const FAMILY_LABEL: Record<IpFamily, string> = { ipv4: "IPv4", ipv6: "IPv6" };

export function detectionText(detections: FamilyDetection[]): string {
  const out: string[] = [];
  for (const detection of detections) {
    const label = FAMILY_LABEL[detection.family];
    const found = [detection.address, detection.prefix && `prefix ${detection.prefix}`].filter(Boolean);
    out.push(
      detection.status === "known"
        ? `${label}: ${found.join(", ")}`
        : `${label}: unavailable: ${detection.reason}`,
    );
    for (const source of detection.sources) {
      const answered = [source.address, source.prefix && `prefix ${source.prefix}`]
        .filter(Boolean)
        .join(", ");
      const answer = source.verdict === "rejected" || source.verdict === "failed" ? source.reason : answered;
      // An echo service's evidence is its URL (in --json); other kinds say what backs the answer.
      const evidence = source.kind !== "http" && source.evidence && answered ? ` (${source.evidence})` : "";
      const time = source.ms !== undefined ? ` [${source.ms} ms]` : "";
      out.push(
        `  ${source.source.padEnd(14)} ${source.kind.padEnd(9)} ${source.verdict.padEnd(10)} ${answer ?? ""}${evidence}${time}`.trimEnd(),
      );
      if (source.hint) out.push(`  ${"".padEnd(24)} hint: ${source.hint}`);
      if (source.note) out.push(`  ${"".padEnd(24)} note: ${source.note}`);
    }
  }
  return out.join("\n");
}

function ago(iso: string | null, now: Date): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}

export function statusText(state: State, keys: string[], now: Date): string {
  const out: string[] = [];
  for (const key of keys) {
    const record = state.records[key];
    const [provider, name, type] = key.split("/");
    if (!record) {
      out.push(`${name} ${type} (${provider}): no run yet`);
      continue;
    }
    out.push(
      `${record.name} ${record.type} (${record.provider}): ${record.lastResult}, address ${record.published ?? "unknown"}, ` +
        `checked ${ago(record.lastRunAt, now)}, verified ${ago(record.verifiedAt, now)}, changed ${ago(record.changedAt, now)}`,
    );
    if (record.lastError) out.push(`  last error (${record.failures} run(s) in a row): ${record.lastError}`);
  }
  for (const [id, provider] of Object.entries(state.providers)) {
    if (provider.backoffUntil && Date.parse(provider.backoffUntil) > now.getTime()) {
      out.push(`provider ${id}: backing off until ${provider.backoffUntil}: ${provider.backoffReason ?? ""}`);
    }
    if (provider.halted) {
      out.push(
        `provider ${id}: halted since ${provider.halted.at}: ${provider.halted.reason}; nothing is sent to it until its config changes`,
      );
    }
  }
  return out.join("\n");
}
