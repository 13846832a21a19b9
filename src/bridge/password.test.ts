import { describe, expect, it } from "vitest";
import { DUMMY_HASH, hashPassword, parseHash, verifyPassword } from "./password.ts";

describe("bridge passwords", () => {
  it("hashes with scrypt and verifies only the right password", async () => {
    const text = await hashPassword("correct horse");
    expect(text).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    const parsed = parseHash(text);
    if (typeof parsed === "string") throw new Error(parsed);
    expect(await verifyPassword("correct horse", parsed)).toBe(true);
    expect(await verifyPassword("correct horsE", parsed)).toBe(false);
    expect(await verifyPassword("", DUMMY_HASH)).toBe(false);
  });

  it("refuses hashes with absurd parameters", () => {
    expect(parseHash("scrypt$3$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")).toMatch(/power of two/);
    expect(parseHash(`scrypt$${2 ** 24}$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA`)).toMatch(/power of two/);
    expect(parseHash("bcrypt$x")).toMatch(/expected scrypt/);
  });
});
