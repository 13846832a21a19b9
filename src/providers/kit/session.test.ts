import { describe, expect, it } from "vitest";
import { Secret } from "../../core/secret.ts";
import { memoryLogger } from "../../platform/log.ts";
import { Api } from "./http.ts";
import { Session, SessionExpired } from "./session.ts";

const api = new Api({
  id: "acct",
  label: "Service",
  endpoint: new URL("http://127.0.0.1:9/"),
  timeoutMs: 1000,
  context: {
    sleep: async () => {},
    random: () => 0,
    logger: memoryLogger(),
  },
  secrets: [new Secret("hunter2-password", "the password file")],
  authHelp: "check the password",
});
const signal = new AbortController().signal;

describe("Session", () => {
  it("logs in once for concurrent calls and reuses the session", async () => {
    let logins = 0;
    const session = new Session(api, async () => `s${++logins}`);
    const seen = await Promise.all([1, 2, 3].map(() => session.run(signal, async (s) => s, "list")));
    expect(seen).toEqual(["s1", "s1", "s1"]);
    expect(logins).toBe(1);
  });

  it("logs in again once when the session expired, and repeats the call", async () => {
    let logins = 0;
    const session = new Session(api, async () => `s${++logins}`);
    await session.get(signal);
    const used: string[] = [];
    const result = await session.run(
      signal,
      async (s) => {
        used.push(s);
        if (s === "s1") throw new SessionExpired("session expired");
        return "done";
      },
      "list",
    );
    expect(result).toBe("done");
    expect(used).toEqual(["s1", "s2"]);
    expect(session.logins).toBe(2);
  });

  it("turns a second expiry right after a fresh login into an auth error, redacted", async () => {
    const session = new Session(api, async () => "s");
    const failing = session.run(
      signal,
      async () => {
        throw new SessionExpired("invalid session hunter2-password");
      },
      "list the records",
    );
    await expect(failing).rejects.toMatchObject({ kind: "auth" });
    await expect(failing).rejects.toThrow(
      /refused a fresh session when asked to list the records.*check the password/,
    );
    await expect(failing).rejects.not.toThrow(/hunter2/);
  });

  it("does not keep a failed login", async () => {
    let logins = 0;
    const session = new Session(api, async () => {
      logins++;
      if (logins === 1) throw new Error("down");
      return "ok";
    });
    await expect(session.get(signal)).rejects.toThrow("down");
    expect(await session.get(signal)).toBe("ok");
  });

  it("passes other errors through", async () => {
    const session = new Session(api, async () => "s");
    await expect(
      session.run(
        signal,
        async () => {
          throw new Error("boom");
        },
        "x",
      ),
    ).rejects.toThrow("boom");
  });
});
