/**
 * The registry of source kinds (thin version: the `interface` kind only; the detect-core branch
 * adds the others). Each kind appears once: its table schema, its string shorthand and `create`.
 */
import type { IpFamily } from "../../core/ip.ts";
import * as iface from "./interface.ts";
import type { DetectionSource, SourceContext } from "./source.ts";

export const KIND_SOURCE_SCHEMAS = [iface.InterfaceSourceSchema] as const;

export type KindSourceConfig = iface.InterfaceSourceConfig;

/** The kind table a shorthand string stands for ("interface:eth0"), or undefined for names and URLs. */
export function parseKindShorthand(text: string): KindSourceConfig | undefined {
  return iface.parseInterfaceShorthand(text);
}

export function createKindSource(config: KindSourceConfig, context: SourceContext): DetectionSource {
  switch (config.kind) {
    case "interface":
      return iface.create(config, context);
  }
}

/** The interfaces the config's `interface` sources read ("*" = every interface), for the daemon's watcher. */
export function watchedInterfaces(sources: readonly unknown[], _family?: IpFamily): Set<string> {
  const out = new Set<string>();
  for (const spec of sources) {
    const config = typeof spec === "string" ? parseKindShorthandSafe(spec) : (spec as { kind?: unknown });
    if (config && (config as { kind?: unknown }).kind === "interface") {
      out.add((config as KindSourceConfig).interface ?? "*");
    }
  }
  return out;
}

function parseKindShorthandSafe(text: string): KindSourceConfig | undefined {
  try {
    return parseKindShorthand(text);
  } catch {
    return undefined;
  }
}
