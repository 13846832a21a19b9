import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { writeInitFiles } from "./init-files.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "homing-init-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

function write(secrets: Parameters<typeof writeInitFiles>[0]["secrets"], warnings: string[] = []) {
  return writeInitFiles({
    target: join(dir, "homing.toml"),
    text: "# config\n",
    secretsDir: join(dir, "homing-secrets"),
    secrets,
    warn: (line) => warnings.push(line),
  });
}

describe("writeInitFiles", () => {
  it("writes each typed secret (0600, in a 0700 directory), then the config (0600)", () => {
    const key = join(dir, "homing-secrets", "dh.api-key");
    const kept = join(dir, "elsewhere.json");
    expect(
      write([
        { key: "api_key", path: key, value: "s3cret" },
        { key: "other", path: kept, value: undefined },
      ]),
    ).toEqual([key, join(dir, "homing.toml")]);
    expect(readFileSync(key, "utf8")).toBe("s3cret\n");
    expect(mode(key)).toBe(0o600);
    expect(mode(join(dir, "homing-secrets"))).toBe(0o700);
    expect(mode(join(dir, "homing.toml"))).toBe(0o600);
    expect(existsSync(kept)).toBe(false);
    expect(readdirSync(join(dir, "homing-secrets"))).toEqual(["dh.api-key"]);
  });

  it("replaces a secret file only when told to", () => {
    mkdirSync(join(dir, "homing-secrets"), { mode: 0o700 });
    const key = join(dir, "homing-secrets", "dh.api-key");
    writeFileSync(key, "old\n", { mode: 0o600 });
    expect(() => write([{ key: "api_key", path: key, value: "new" }])).toThrow(/appeared there meanwhile/);
    expect(readFileSync(key, "utf8")).toBe("old\n");
    expect(existsSync(join(dir, "homing.toml"))).toBe(false);
    write([{ key: "api_key", path: key, value: "new", replace: true }]);
    expect(readFileSync(key, "utf8")).toBe("new\n");
  });

  it("when the config exists after all, removes the secret files it created and says why", () => {
    writeFileSync(join(dir, "homing.toml"), "mine\n");
    const key = join(dir, "homing-secrets", "dh.api-key");
    let error: unknown;
    try {
      write([{ key: "api_key", path: key, value: "s3cret" }]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join("\n")).toMatch(
      /already exists; homing init never overwrites/,
    );
    expect(existsSync(key)).toBe(false);
    expect(readFileSync(join(dir, "homing.toml"), "utf8")).toBe("mine\n");
  });

  it("warns when the secrets directory can be listed by others", () => {
    mkdirSync(join(dir, "homing-secrets"), { mode: 0o755 });
    const warnings: string[] = [];
    write([{ key: "api_key", path: join(dir, "homing-secrets", "k"), value: "x" }], warnings);
    expect(warnings.join("\n")).toMatch(/can be listed by other users; chmod 700/);
  });
});
