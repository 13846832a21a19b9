import { describe, expect, it } from "vitest";
import { absoluteName } from "./names.ts";
import { relativeName } from "./zones.ts";

describe("absoluteName", () => {
  it('reads the apex as "" or "@", and puts labels in front of the zone', () => {
    expect(absoluteName("", "example.com")).toBe("example.com");
    expect(absoluteName("@", "example.com")).toBe("example.com");
    expect(absoluteName("Home", "example.com")).toBe("home.example.com");
    expect(absoluteName("a.b.", "example.com")).toBe("a.b.example.com");
  });

  it("is the inverse of relativeName", () => {
    for (const name of ["example.com", "home.example.com", "a.b.example.com"])
      expect(absoluteName(relativeName(name, "example.com"), "example.com")).toBe(name);
  });
});
