import { describe, expect, it } from "vitest";
import { askInit, parseNames, parseSources, pickService, serviceMenu } from "./init-wizard.ts";
import { PromptAborted, type Prompter } from "./prompt.ts";
import { initServices } from "./providers.ts";

const services = initServices();

describe("pickService", () => {
  it.each([
    ["1", "dreamhost"],
    ["2", "cloudflare"],
    ["cloudflare", "cloudflare"],
    ["Cloudflare", "cloudflare"],
    ["No-IP", "noip"],
    ["noip", "noip"],
    ["desec", "desec"],
    ["dyndns2:desec", "dyndns2:desec"],
    [" ovh ", "ovh"],
  ])("%s picks %s", (text, name) => {
    const picked = pickService(text, services);
    expect(picked.ok && picked.service.name).toBe(name);
  });

  it.each([
    ["cloudfare", 'did you mean "cloudflare"?'],
    ["0", "no number 0: pick 1 to"],
    [String(services.length + 1), "no number"],
    ["", "type a number or a name"],
    ["zzzzzzzzzz", 'no provider "zzzzzzzzzz" (a number'],
  ])("%j is refused: %s", (text, message) => {
    const picked = pickService(text, services);
    expect(picked.ok).toBe(false);
    if (!picked.ok) expect(picked.error).toContain(message);
  });
});

describe("parseNames", () => {
  it("takes names separated by commas or spaces, normalised and deduplicated", () => {
    expect(parseNames("Home.Example.com., nas.example.com home.example.com")).toEqual({
      ok: true,
      names: ["home.example.com", "nas.example.com"],
    });
  });
  it.each(["", "localhost", "bad..example.com", "-x.example.com"])("refuses %j", (text) => {
    expect(parseNames(text).ok).toBe(false);
  });
});

describe("parseSources", () => {
  it("Enter means the default echo services; typed sources are checked", () => {
    expect(parseSources("")).toEqual({ ok: true, sources: ["cloudflare", "ipify", "ipinfo"] });
    expect(parseSources("upnp, interface:eth0 https://ip.example.net/")).toEqual({
      ok: true,
      sources: ["upnp", "interface:eth0", "https://ip.example.net/"],
    });
    const bad = parseSources("upnpp");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('did you mean "upnp"?');
  });
});

describe("serviceMenu", () => {
  it("numbers every service once, in columns that fit the width", () => {
    const menu = serviceMenu(services, 100);
    for (const [index, service] of services.entries())
      expect(menu).toContain(`${index + 1}) ${service.service}`);
    for (const line of menu.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });
});

/** A prompter answering from a script; it fails the test on a question it has no answer for. */
function scripted(answers: string[]): Prompter & { said: string[]; hidden: string[] } {
  const said: string[] = [];
  const hidden: string[] = [];
  const next = (question: string) => {
    said.push(question);
    const answer = answers.shift();
    if (answer === undefined) return Promise.reject(new PromptAborted(`no answer for "${question}"`));
    return Promise.resolve(answer);
  };
  return {
    said,
    hidden,
    say: (text) => said.push(text),
    ask: next,
    askHidden: (question) => {
      hidden.push(question);
      return next(question);
    },
    close: () => undefined,
  };
}

describe("askInit", () => {
  const base = {
    services,
    width: 120,
    host: { ipv6Interfaces: [] },
    secretFile: (id: string, key: string) => ({ path: `/s/${id}.${key}`, exists: false }),
    existingFile: (path: string) => (path === "/keys/sa.json" ? path : undefined),
  };

  it("asks the provider, its settings, hidden secrets, names, families and sources, in that order", async () => {
    const prompter = scripted(["noip", "me", "pw-1", "a.example.com", "3", "", "upnp"]);
    const answers = await askInit(prompter, base);
    expect(answers.service.name).toBe("noip");
    expect(answers.providerId).toBe("noip");
    expect(answers.values).toEqual({ username: "me" });
    expect(answers.secrets).toEqual([{ key: "password", path: "/s/noip.password", value: "pw-1" }]);
    expect(prompter.hidden).toHaveLength(1);
    expect(answers.records).toEqual([{ name: "a.example.com", ipv4: true, ipv6: true }]);
    expect(answers.detect.ipv4).toEqual({ sources: ["cloudflare", "ipify", "ipinfo"], quorum: 2 });
    expect(answers.detect.ipv6).toEqual({ sources: ["upnp"], quorum: 1 });
  });

  it("a required key asked again on an empty answer; a later secret may be left out; IPv4-only services ask no family", async () => {
    const prompter = scripted(["route53", "", "AKIAEXAMPLE", "secret", "", "a.example.com", "", ""]);
    const answers = await askInit(prompter, base);
    expect(answers.values).toEqual({ access_key_id: "AKIAEXAMPLE" });
    expect(answers.secrets.map((secret) => secret.key)).toEqual(["secret_access_key"]);
    expect(prompter.said).toContain("  access_key_id is required");

    const ipv4Only = scripted(["opendns", "me", "pw", "net.example.com", ""]);
    const v4 = await askInit(ipv4Only, base);
    expect(v4.records).toEqual([{ name: "net.example.com", ipv4: true, ipv6: false }]);
    expect(ipv4Only.said.join("\n")).toContain("takes IPv4 addresses only");
  });

  it("offers to keep an existing secret file instead of asking for the secret", async () => {
    const prompter = scripted(["dreamhost", "", "a.example.com", "1", ""]);
    const answers = await askInit(prompter, {
      ...base,
      secretFile: (id, key) => ({ path: `/s/${id}.${key}`, exists: true }),
    });
    expect(answers.secrets).toEqual([{ key: "api_key", path: "/s/dreamhost.api_key", value: undefined }]);
    expect(prompter.hidden).toEqual([]);
  });

  it("a dyndns2 preset named like a type keeps the preset id for its table and secret file", async () => {
    const answers = await askInit(scripted(["dyndns2:desec", "pw", "a.dedyn.io", "1", ""]), base);
    expect(answers.service.preset).toBe("desec");
    expect(answers.providerId).toBe("desec");
    expect(answers.secrets[0]?.path).toBe("/s/desec.password");
  });

  it("@FILE at a secret's prompt uses that file as it is", async () => {
    const prompter = scripted([
      "gcloud",
      "my-project",
      "@/nope.json",
      "@/keys/sa.json",
      "a.example.com",
      "1",
      "",
    ]);
    const answers = await askInit(prompter, base);
    expect(answers.values).toEqual({ project: "my-project" });
    expect(answers.secrets).toEqual([{ key: "service_account", path: "/keys/sa.json", value: undefined }]);
    expect(prompter.said.join("\n")).toContain("no readable file /nope.json");
  });

  it("rejects with PromptAborted when the input ends", async () => {
    await expect(askInit(scripted(["cloudflare"]), base)).rejects.toBeInstanceOf(PromptAborted);
  });
});
