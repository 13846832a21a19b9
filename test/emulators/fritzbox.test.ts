/**
 * The fritzbox source against the Fritz!Box emulator: IGD without credentials, TR-064 with digest
 * auth (MD5 and SHA-256), IPv6 address and prefix, and what it refuses.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { create } from "../../src/detect/sources/fritzbox.ts";
import { SourceRefusal } from "../../src/detect/sources/source.ts";
import { memoryLogger } from "../../src/platform/log.ts";
import { type FritzboxEmulator, type FritzboxState, startFritzbox } from "./fritzbox.ts";

const boxes: FritzboxEmulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const box of boxes.splice(0)) await box.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function box(state: Partial<FritzboxState> = {}) {
  const emulator = await startFritzbox(state);
  boxes.push(emulator);
  return emulator;
}

function passwordFile(password: string): string {
  const dir = mkdtempSync(join(tmpdir(), "homing-fritz-"));
  dirs.push(dir);
  const file = join(dir, "fritzbox.pass");
  writeFileSync(file, `${password}\n`);
  chmodSync(file, 0o600);
  return file;
}

const options = () => ({ signal: new AbortController().signal, timeoutMs: 3000 });
const logger = memoryLogger();
const context = { logger, family: "ipv4" as const };

describe("fritzbox source", () => {
  it("asks the IGD service without credentials", async () => {
    const emulator = await box({ ipv4: "81.2.69.160" });
    const source = create({ kind: "fritzbox", host: emulator.host, port: emulator.port }, context);
    const answer = await source.ask("ipv4", options());
    expect(answer).toMatchObject({ address: "81.2.69.160" });
    expect(answer.evidence).toContain("IGD WANIPConnection:1");
    const soap = emulator.requests.find((r) => r.method === "POST");
    expect(soap?.path).toBe("/igdupnp/control/WANIPConn1");
    expect(soap?.soapAction).toBe('"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress"');
    expect(soap?.authorization).toBeUndefined();
  });

  it("finds WANPPPConnection on a DSL box", async () => {
    const emulator = await box({ ppp: true });
    const source = create({ kind: "fritzbox", host: emulator.host, port: emulator.port }, context);
    await expect(source.ask("ipv4", options())).resolves.toMatchObject({ address: "81.2.69.142" });
    expect(emulator.requests.at(-1)?.path).toBe("/igdupnp/control/WANPPPConn1");
  });

  it.each(["MD5", "SHA-256"] as const)("logs in over TR-064 with %s digest auth", async (algorithm) => {
    const emulator = await box({ algorithm, ipv4: "81.2.69.170", igd: false });
    const source = create(
      {
        kind: "fritzbox",
        host: emulator.host,
        port: emulator.port,
        username: "homing",
        password_file: passwordFile("correct horse battery staple"),
      },
      context,
    );
    const answer = await source.ask("ipv4", options());
    expect(answer).toMatchObject({ address: "81.2.69.170" });
    expect(answer.evidence).toContain("TR-064");
    const posts = emulator.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.path)).toEqual([
      "/upnp/control/wanipconnection1",
      "/upnp/control/wanipconnection1",
    ]);
    expect(posts[1]?.authorization).toMatch(new RegExp(`^Digest .*algorithm=${algorithm},`));
    for (const request of emulator.requests) {
      expect(JSON.stringify(request)).not.toContain("correct horse");
    }
  });

  it("says when the password is wrong, or TR-064 is off", async () => {
    const emulator = await box();
    const wrong = create(
      {
        kind: "fritzbox",
        host: emulator.host,
        port: emulator.port,
        username: "homing",
        password_file: passwordFile("nope"),
      },
      context,
    );
    await expect(wrong.ask("ipv4", options())).rejects.toThrow(/refused the login of user "homing"/);
    emulator.state.tr064 = false;
    await expect(wrong.ask("ipv4", options())).rejects.toThrow(/Zugriff für Anwendungen/);
  });

  it("says how to turn on the IGD status, when it is off", async () => {
    const emulator = await box({ igd: false });
    const source = create({ kind: "fritzbox", host: emulator.host, port: emulator.port }, context);
    await expect(source.ask("ipv4", options())).rejects.toThrow(/Statusinformationen über UPnP/);
  });

  it("refuses an empty address or a fault: the box is not connected", async () => {
    const emulator = await box({ ipv4: "" });
    const source = create({ kind: "fritzbox", host: emulator.host, port: emulator.port }, context);
    await expect(source.ask("ipv4", options())).rejects.toThrow(SourceRefusal);
    emulator.state.ipv4 = "0.0.0.0";
    await expect(source.ask("ipv4", options())).rejects.toThrow(/0\.0\.0\.0/);
    emulator.state.fault = true;
    await expect(source.ask("ipv4", options())).rejects.toThrow(/UPnP error 501: Action Failed/);
  });

  it("reads the IPv6 address and the delegated prefix", async () => {
    const emulator = await box();
    const source = create({ kind: "fritzbox", host: emulator.host, port: emulator.port }, context);
    await expect(source.ask("ipv6", options())).resolves.toMatchObject({
      address: "2a00:1450:4001:81b::200e",
      prefix: { address: "2a00:1450:4001:8100::", length: 56 },
    });
    emulator.state.ipv6 = "";
    await expect(source.ask("ipv6", options())).resolves.toEqual(
      expect.objectContaining({ prefix: { address: "2a00:1450:4001:8100::", length: 56 } }),
    );
    emulator.state.prefix = undefined;
    await expect(source.ask("ipv6", options())).rejects.toThrow(/no IPv6 address or prefix yet/);
  });

  it("needs a password with a username, and a username with a password", () => {
    const saved = process.env.HOMING_FRITZBOX_PASSWORD;
    delete process.env.HOMING_FRITZBOX_PASSWORD;
    try {
      expect(() =>
        create({ kind: "fritzbox", host: "127.0.0.1", port: 1, username: "homing" }, context),
      ).toThrow(/password_file/);
      expect(() => create({ kind: "fritzbox", host: "127.0.0.1", port: 1, password: "x" }, context)).toThrow(
        /without username/,
      );
    } finally {
      if (saved !== undefined) process.env.HOMING_FRITZBOX_PASSWORD = saved;
    }
  });
});
