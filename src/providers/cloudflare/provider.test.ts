/**
 * The Cloudflare provider against its emulator, for what the daemon meets over many rounds: one
 * instance serves every round of a config generation, so nothing a single reply said may stick
 * beyond what it proves.
 */

import * as v from "valibot";
import { afterEach, expect, it } from "vitest";
import { startCloudflareEmulator } from "../../../test/emulators/cloudflare.ts";
import { Secret } from "../../core/secret.ts";
import { memoryLogger } from "../../platform/log.ts";
import type { ProviderContext } from "../provider.ts";
import { CloudflareProvider } from "./provider.ts";
import { CloudflareSchema } from "./schema.ts";

const TOKEN = "chaos-soak-token_0123456789abcdefghijkl";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

function context(): ProviderContext {
  return {
    logger: memoryLogger(),
    sleep: async () => {},
    random: () => 0,
    secret: async () => new Secret(TOKEN, "test"),
  };
}

it.each([
  ["found among the token's zones", {}],
  ["configured", { zone: "example.com" }],
])(
  "asks for the zone again after a reply that showed none (zone %s; found by the chaos soak)",
  async (_, extra) => {
    const cf = await startCloudflareEmulator({
      tokens: { [TOKEN]: { zones: "*" } },
      zones: [{ name: "example.com" }],
      records: [{ name: "home.example.com", type: "A", content: "81.2.69.142" }],
    });
    cleanups.push(() => cf.close());
    // A success with an empty zone list, once: a lie, or a token whose zone access has not propagated.
    cf.addFault({
      route: "zones",
      kind: "http",
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({
        success: true,
        errors: [],
        messages: [],
        result: [],
        result_info: { page: 1, per_page: 50, count: 0, total_count: 0, total_pages: 1 },
      }),
    });
    const config = v.parse(CloudflareSchema, {
      type: "cloudflare",
      api_token: TOKEN,
      endpoint: cf.url,
      ...extra,
    });
    const provider = await CloudflareProvider.create("cf", config, context());
    const signal = new AbortController().signal;
    await expect(provider.list(["home.example.com"], { signal })).rejects.toThrow(/no zone/);
    // The next round of the same daemon: the zone is there, and the provider must see it.
    const rows = await provider.list(["home.example.com"], { signal });
    expect(rows.map((row) => row.value)).toEqual(["81.2.69.142"]);
  },
);
