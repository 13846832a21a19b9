import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../core/secret.ts";
import { ProviderError } from "../../errors.ts";
import { memoryLogger } from "../../platform/log.ts";
import { clientCredentials, jwtBearer, type TokenEndpoint, tokenUrl } from "./oauth.ts";

interface Seen {
  headers: IncomingMessage["headers"];
  form: URLSearchParams;
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

/** A token endpoint on loopback that answers each request with `reply(n)`. */
async function tokenServer(reply: (n: number) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      seen.push({ headers: request.headers, form: new URLSearchParams(body) });
      const { status, body: out } = reply(seen.length);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  servers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { seen, url: new URL(`http://127.0.0.1:${port}/tenant/oauth2/v2.0/token`) };
}

const SECRET = "CANARY-client-secret-1234";

function endpoint(url: URL, clock = { now: 1_000_000 }): TokenEndpoint {
  return {
    id: "p",
    label: "Service",
    url,
    timeoutMs: 5_000,
    context: { logger: memoryLogger(), random: () => 0.5, sleep: async () => {} },
    secrets: [new Secret(SECRET, "file /etc/homing/secret")],
    authHelp: "create a client secret at …",
    now: () => clock.now,
  };
}

const signal = () => new AbortController().signal;

describe("OAuth2 tokens", () => {
  it("exchanges client credentials with Basic auth once, and again shortly before expires_in", async () => {
    const { seen, url } = await tokenServer((n) => ({
      status: 200,
      body: { access_token: `token-${n}`, expires_in: 666, token_type: "bearer" },
    }));
    const clock = { now: 1_000_000 };
    const token = clientCredentials(endpoint(url, clock), {
      id: "keyid",
      secret: new Secret(SECRET, "x"),
      basic: true,
    });
    const [a, b] = await Promise.all([token.token(signal()), token.token(signal())]);
    expect([a, b]).toEqual(["token-1", "token-1"]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`keyid:${SECRET}`).toString("base64")}`);
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({ grant_type: "client_credentials" });
    clock.now += 600_000;
    expect(await token.token(signal())).toBe("token-1");
    clock.now += 10_000;
    expect(await token.token(signal())).toBe("token-2");
    token.forget();
    expect(await token.token(signal())).toBe("token-3");
    const refusal = token.refusal(() => ({ kind: "permanent", said: "inner" }));
    expect(refusal({ status: 403, headers: {}, text: "" }, undefined)).toEqual({
      kind: "permanent",
      said: "inner",
    });
    expect(await token.token(signal())).toBe("token-3");
    refusal({ status: 401, headers: {}, text: "" }, undefined);
    expect(await token.token(signal())).toBe("token-4");
  });

  it("sends client_id, client_secret and scope in the form, and sets the bearer header", async () => {
    const { seen, url } = await tokenServer(() => ({
      status: 200,
      body: { access_token: "abc", expires_in: "3599", token_type: "Bearer" },
    }));
    const token = clientCredentials(endpoint(url), {
      id: "app",
      secret: new Secret(SECRET, "x"),
      scope: "https://management.azure.com/.default",
    });
    const request = { method: "GET" as const, url, headers: {} as Record<string, string>, body: undefined };
    await token.authorize(request, signal());
    expect(request.headers.authorization).toBe("Bearer abc");
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      grant_type: "client_credentials",
      client_id: "app",
      client_secret: SECRET,
      scope: "https://management.azure.com/.default",
    });
  });

  it("sends a JWT-bearer assertion made anew for each exchange", async () => {
    const { seen, url } = await tokenServer(() => ({
      status: 200,
      body: { access_token: "t", expires_in: 1 },
    }));
    let n = 0;
    const clock = { now: 1_000_000 };
    const token = jwtBearer(endpoint(url, clock), () => `assertion-${++n}`);
    await token.token(signal());
    clock.now += 1_000;
    await token.token(signal());
    expect(seen.map((s) => Object.fromEntries(s.form))).toEqual([
      { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "assertion-1" },
      { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "assertion-2" },
    ]);
  });

  it.each([
    [400, "invalid_grant"],
    [401, "invalid_client"],
  ])("maps HTTP %i %s to an auth error that says what to fix and leaks no secret", async (status, error) => {
    const { url } = await tokenServer(() => ({
      status,
      body: { error, error_description: `bad secret ${SECRET}` },
    }));
    const token = clientCredentials(endpoint(url), { id: "app", secret: new Secret(SECRET, "x") });
    const failure = await token.token(signal()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).kind).toBe("auth");
    expect((failure as ProviderError).message).toContain(error);
    expect((failure as ProviderError).message).toContain("create a client secret at");
    expect((failure as ProviderError).message).not.toContain(SECRET);
  });

  it("answers the retries of a call from memory after an exchange failed for a while, then exchanges again", async () => {
    const { seen, url } = await tokenServer((n) =>
      n <= 3
        ? { status: 503, body: { error: "temporarily_unavailable" } }
        : { status: 200, body: { access_token: "back" } },
    );
    const clock = { now: 1_000_000 };
    const token = clientCredentials(endpoint(url, clock), { id: "app", secret: new Secret(SECRET, "x") });
    const first = await token.token(signal()).catch((e: unknown) => e);
    expect((first as ProviderError).kind).toBe("transient");
    expect(seen).toHaveLength(3);
    clock.now += 3_000;
    expect(await token.token(signal()).catch((e: unknown) => e)).toBe(first);
    expect(seen).toHaveLength(3);
    clock.now += 10_000;
    expect(await token.token(signal())).toBe("back");
  });

  it("reads a reply without an access token as a transient error naming the field, and tries again later", async () => {
    const { seen, url } = await tokenServer((n) => ({
      status: 200,
      body: n === 1 ? { token_type: "Bearer" } : { access_token: "late" },
    }));
    const clock = { now: 1_000_000 };
    const token = clientCredentials(endpoint(url, clock), { id: "app", secret: new Secret(SECRET, "x") });
    const failure = await token.token(signal()).catch((e: unknown) => e);
    expect((failure as ProviderError).kind).toBe("transient");
    expect((failure as ProviderError).message).toMatch(/cannot read.*access_token/);
    clock.now += 10_000;
    expect(await token.token(signal())).toBe("late");
    expect(seen).toHaveLength(2);
  });
});

describe("tokenUrl", () => {
  it("keeps the endpoint's path as written, and names the key of a bad URL", () => {
    expect(tokenUrl("https://auth.mythic-beasts.com/login", "p", "token_endpoint").href).toBe(
      "https://auth.mythic-beasts.com/login",
    );
    expect(tokenUrl("https://oauth2.googleapis.com/token/", "p", "token_endpoint").href).toBe(
      "https://oauth2.googleapis.com/token/",
    );
    expect(() => tokenUrl("not a url", "p", "token_endpoint")).toThrow(/providers\.p\.token_endpoint/);
  });
});
