import { describe, expect, it } from "vitest";
import { Secret } from "../../core/secret.ts";
import { memoryLogger } from "../../platform/log.ts";
import { Api } from "./http.ts";
import { absoluteName, listedZones } from "./listed-zones.ts";
import type { Row } from "./rest.ts";

const api = new Api({
  id: "acct",
  label: "Service",
  endpoint: new URL("http://127.0.0.1:9/"),
  timeoutMs: 1000,
  context: { sleep: async () => {}, random: () => 0, logger: memoryLogger() },
  secrets: [new Secret("s3cret-value", "a file")],
  authHelp: "check the key",
});
const signal = new AbortController().signal;

describe("listedZones", () => {
  it("finds the zone by listing candidates, and the first list of that zone costs no call", async () => {
    const asked: string[] = [];
    const rows: Row[] = [{ id: "1", name: "home.example.com", type: "A", value: "192.0.2.1" }];
    const { zones, list } = listedZones(
      api,
      async (domain) => {
        asked.push(domain);
        return domain === "example.com" ? rows : null;
      },
      undefined,
      "add the domain",
    );
    const found = await zones.of("home.example.com", signal);
    expect(found).toEqual({ zone: { name: "example.com", id: "example.com" }, relative: "home" });
    expect(await list(found.zone, new Set(), signal)).toEqual(rows);
    // Registered domains never nest: the shortest candidate is asked first, one call per zone.
    expect(asked).toEqual(["example.com"]);
    expect(await list(found.zone, new Set(), signal)).toEqual(rows);
    expect(asked).toEqual(["example.com", "example.com"]);
    const other = await zones.of("nas.example.com", signal);
    expect(other.relative).toBe("nas");
    expect(asked).toEqual(["example.com", "example.com"]);
  });

  it("probes longest first when zones can nest", async () => {
    const asked: string[] = [];
    const { zones } = listedZones(
      api,
      async (domain) => {
        asked.push(domain);
        return domain.endsWith("example.com") ? [] : null;
      },
      undefined,
      "add the domain",
      false,
    );
    expect((await zones.of("home.sub.example.com", signal)).zone.name).toBe("home.sub.example.com");
    expect(asked).toEqual(["home.sub.example.com"]);
  });

  it("fails a name whose zone no candidate answers for, naming it", async () => {
    const { zones } = listedZones(api, async () => null, undefined, "add the domain");
    await expect(zones.of("home.missing.net", signal)).rejects.toThrow(
      /no zone for home.missing.net.*add the domain/,
    );
  });
});

describe("absoluteName", () => {
  it("reads relative, apex and fully qualified names", () => {
    expect(absoluteName("@", "example.com")).toBe("example.com");
    expect(absoluteName("", "example.com")).toBe("example.com");
    expect(absoluteName("Home", "example.com")).toBe("home.example.com");
    expect(absoluteName("home.example.com.", "example.com")).toBe("home.example.com");
    expect(absoluteName("example.com", "example.com")).toBe("example.com");
  });
});
