/**
 * AWS Route 53 (API 2013-04-01, reference §9): REST with XML bodies, every request signed with SigV4
 * (region us-east-1, service route53). Zones are found with ListHostedZonesByName (same Name, public
 * only) or configured as `zone_id`; a zone is listed with ListResourceRecordSets from its apex,
 * following IsTruncated/NextRecordName/NextRecordType; a change is one UPSERT of the whole A or AAAA
 * set (DELETE of the exact set when nothing is left). homing does not wait for GetChange to say
 * INSYNC: ListResourceRecordSets shows an accepted change at once, and INSYNC only tracks how far it
 * has spread to Route 53's name servers.
 */
import * as v from "valibot";
import { parseDuration } from "../../core/duration.ts";
import { ConfigError } from "../../errors.ts";
import { Api, endpointUrl } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { signAwsV4 } from "../kit/signing.ts";
import { childrenNamed, escapeXml, find, parseXml, textAt, type XmlElement } from "../kit/xml.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { Route53Schema } from "./schema.ts";

type Config = v.InferOutput<typeof Route53Schema>;

const XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/";
const HELP =
  "create an access key (IAM console → Users → Security credentials) for a user whose policy allows only route53:ListHostedZonesByName, route53:ListResourceRecordSets and route53:ChangeResourceRecordSets on the hosted zone, and check this host's clock";
const AUTH_CODES =
  /^(SignatureDoesNotMatch|InvalidSignatureException|IncompleteSignature|InvalidClientTokenId|UnrecognizedClientException|AccessDenied|ExpiredToken|RequestExpired|MissingAuthenticationToken)/;

const HostedZoneList = v.object({
  HostedZones: v.array(
    v.object({ Id: v.string(), Name: v.string(), PrivateZone: v.picklist(["true", "false"]) }),
  ),
});
const Sets = v.object({
  ResourceRecordSets: v.array(
    v.object({ Name: v.string(), Type: v.string(), TTL: v.optional(ttlNumber), Values: v.array(v.string()) }),
  ),
  IsTruncated: v.picklist(["true", "false"]),
  NextRecordName: v.optional(v.string()),
  NextRecordType: v.optional(v.string()),
});

/** Route 53 names: trailing dot, some characters as \ddd octal escapes ("\052" for "*"). */
const fq = (name: string) =>
  name
    .replace(/\\(\d{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, "");
const XML_ACCEPT = { accept: "application/xml" };

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("secret_access_key");
  const hasToken = config.session_token !== undefined || config.session_token_file !== undefined;
  const token = hasToken ? await context.secret("session_token") : undefined;
  const xml = (text: string) => {
    try {
      return parseXml(text);
    } catch {
      return undefined;
    }
  };
  const api = new Api({
    id,
    label: "Route 53",
    endpoint: endpointUrl(config.endpoint, id),
    timeoutMs: parseDuration(config.timeout) ?? 30_000,
    context,
    secrets: token ? [secret, token] : [secret],
    authHelp: `check access_key_id and secret_access_key${token ? " (and session_token, which expires)" : ""}: ${HELP}`,
    authorize(request) {
      const signed = signAwsV4({
        method: request.method,
        url: request.url,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        accessKeyId: config.access_key_id,
        secretAccessKey: secret.reveal(),
        ...(token ? { sessionToken: token.reveal() } : {}),
        region: "us-east-1",
        service: "route53",
        now: new Date(),
      });
      Object.assign(request.headers, signed);
    },
    // Errors: <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>, or for a change batch
    // <InvalidChangeBatch><Messages><Message/>…</Messages></InvalidChangeBatch>.
    refusal(reply) {
      if (reply.status < 400) return undefined;
      const root = xml(reply.text);
      if (!root) return undefined;
      if (root.name === "InvalidChangeBatch") {
        const messages = childrenNamed(root.children[0] ?? root, "Message").map((m) => m.text.trim());
        return { kind: "permanent", said: `InvalidChangeBatch: ${messages.join("; ")}` };
      }
      const code = textAt(root, "Error", "Code") ?? "";
      const said = `${code}: ${textAt(root, "Error", "Message") ?? ""}`;
      if (AUTH_CODES.test(code)) return { kind: "auth", said };
      if (code === "Throttling" || code === "PriorRequestNotComplete") return { kind: "transient", said };
      return code ? { kind: "permanent", said } : undefined;
    },
  });
  const get = async (path: string, query: Record<string, string>, what: string, signal: AbortSignal) => {
    const reply = await api.call({ method: "GET", path, query, headers: XML_ACCEPT, what }, signal);
    const root = xml(reply.text);
    if (root) return root;
    throw api.error(
      `Route 53 sent a reply homing cannot read when asked to ${what}: not XML ("${api.shown(reply.text, 40)}"); homing retries later`,
      "transient",
    );
  };
  /** The texts of these children, as an object for parseReply (a missing child stays missing). */
  const texts = (element: XmlElement, ...names: string[]) =>
    Object.fromEntries(names.map((n) => [n, textAt(element, n)]).filter(([, t]) => t !== undefined));
  /** The `item` children of the `container` child. */
  const items = (element: XmlElement, container: string, item: string) =>
    childrenNamed(childrenNamed(element, container)[0] ?? element, item);

  // A configured zone_id needs the zone's name too: homing then asks nothing to find the zone.
  if (config.zone_id !== undefined && config.zone === undefined)
    throw new ConfigError([`providers.${id}.zone_id: set zone (the hosted zone's name) as well`]);
  const zoneId = config.zone_id?.replace(/^\/hostedzone\//, "");
  const lookup = async (name: string, signal: AbortSignal) => {
    const what = `find the hosted zone ${name}`;
    const root = await get("hostedzonesbyname", { dnsname: `${name}.`, maxitems: "10" }, what, signal);
    const list = items(root, "HostedZones", "HostedZone").map((z) => ({
      ...texts(z, "Id", "Name"),
      ...texts(find(z, "Config") ?? z, "PrivateZone"),
    }));
    const hit = parseReply(api, HostedZoneList, { HostedZones: list }, what).HostedZones.find(
      (z) => z.PrivateZone === "false" && fq(z.Name) === name,
    );
    return hit ? { name, id: hit.Id.replace(/^\/hostedzone\//, "") } : null;
  };
  const zones = new Zones(
    api,
    zoneId ? { lookup: async (name) => ({ name, id: zoneId }) } : { lookup },
    config.zone,
    `create a public hosted zone for it in the Route 53 console${zoneId ? `, or fix providers.${id}.zone_id` : ""}`,
  );

  /** The listed sets, "name TYPE" → TTL and values: a DELETE must repeat them exactly. */
  const sets = new Map<string, { ttl: number; values: string[] }>();
  const write = async (
    zone: Zone,
    name: string,
    type: string,
    values: readonly string[],
    signal: AbortSignal,
  ): Promise<Proof> => {
    const known = sets.get(`${name} ${type}`);
    if (values.length === 0 && !known) return true;
    const [action, ttl, sent] =
      values.length === 0 && known
        ? ["DELETE", known.ttl, known.values]
        : ["UPSERT", config.ttl ?? known?.ttl ?? 300, values];
    const records = sent.map(
      (value) => `<ResourceRecord><Value>${escapeXml(value)}</Value></ResourceRecord>`,
    );
    const body = `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Comment>homing</Comment><Changes><Change><Action>${action}</Action><ResourceRecordSet><Name>${escapeXml(name)}.</Name><Type>${type}</Type><TTL>${ttl}</TTL><ResourceRecords>${records.join("")}</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const what =
      action === "DELETE"
        ? `delete the ${type} set of ${name}`
        : `set ${name} ${type} to ${values.join(", ")}`;
    const path = `hostedzone/${zone.id}/rrset`;
    const reply = await api.call(
      { method: "POST", path, body, contentType: "application/xml", headers: XML_ACCEPT, what },
      signal,
    );
    if (action === "DELETE") sets.delete(`${name} ${type}`);
    else sets.set(`${name} ${type}`, { ttl, values: [...values] });
    // The reply only says the change was accepted (PENDING): the kit lists again to see the values.
    const answer = xml(reply.text);
    const status = answer && textAt(answer, "ChangeInfo", "Status");
    return { reply: status ? `ChangeInfo Status ${status}` : `"${api.shown(reply.text, 80)}"` };
  };
  const valuesAt = (name: string, type: string) => sets.get(`${name} ${type}`)?.values ?? [];

  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, _names, signal) {
      const rows: Row[] = [];
      const what = `list the record sets of ${zone.name}`;
      let start: Record<string, string> = { name: `${zone.name}.` };
      for (let page = 0; page < 1000; page++) {
        const root = await get(`hostedzone/${zone.id}/rrset`, { ...start, maxitems: "300" }, what, signal);
        const list = items(root, "ResourceRecordSets", "ResourceRecordSet").map((set) => ({
          ...texts(set, "Name", "Type", "TTL"),
          Values: items(set, "ResourceRecords", "ResourceRecord").map((r) => textAt(r, "Value")),
        }));
        const paging = texts(root, "IsTruncated", "NextRecordName", "NextRecordType");
        const reply = parseReply(api, Sets, { ...paging, ResourceRecordSets: list }, what);
        for (const set of reply.ResourceRecordSets) {
          const [name, type, ttl] = [fq(set.Name), set.Type.toUpperCase(), set.TTL ?? 300];
          if (type === "A" || type === "AAAA") sets.set(`${name} ${type}`, { ttl, values: set.Values });
          for (const value of set.Values)
            rows.push({ id: `${name} ${type} ${value}`, name, type, value, ttl });
        }
        if (reply.IsTruncated === "false" || !reply.NextRecordName) return rows;
        start = {
          name: reply.NextRecordName,
          ...(reply.NextRecordType ? { type: reply.NextRecordType } : {}),
        };
      }
      throw api.error(
        `Route 53 kept paging the record sets of ${zone.name}; homing retries later`,
        "transient",
      );
    },
    write: (place, values, signal) => write(place.zone, place.name, place.type, values, signal),
    create: (place, value, signal) =>
      write(
        place.zone,
        place.name,
        place.type,
        [...new Set([...valuesAt(place.name, place.type), value])],
        signal,
      ),
    async remove(zone, row, signal) {
      const kept = valuesAt(row.name, row.type).filter((value) => value !== row.value);
      await write(zone, row.name, row.type, kept, signal);
    },
    async verify(names, signal) {
      const found = new Set<string>();
      for (const name of names) found.add(JSON.stringify((await zones.of(name, signal)).zone));
      if (found.size === 0) await get("hostedzonesbyname", { maxitems: "1" }, "check the access key", signal);
      const list = [...found].map((z) => JSON.parse(z) as Zone).map((z) => `${z.name} (${z.id})`);
      return `Route 53 accepted the access key${list.length ? `; hosted zones: ${list.join(", ")}` : ""}`;
    },
  });
}
