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
import { ConfigError } from "../../errors.ts";
import { apiFor } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Place, type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { signAwsV4 } from "../kit/signing.ts";
import { childrenNamed, escapeXml, find, textAt } from "../kit/xml.ts";
import { callXml, fields, itemsOf, tryParseXml } from "../kit/xml-reply.ts";
import { Zones } from "../kit/zones.ts";
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
    v.object({
      Name: v.string(),
      Type: v.string(),
      TTL: v.optional(ttlNumber),
      Values: v.array(v.string()),
      SetIdentifier: v.optional(v.string()),
      Alias: v.optional(v.string()),
    }),
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

export async function create(id: string, config: Config, context: ProviderContext): Promise<RestProvider> {
  const secret = await context.secret("secret_access_key");
  const hasToken = config.session_token !== undefined || config.session_token_file !== undefined;
  const token = hasToken ? await context.secret("session_token") : undefined;
  const api = apiFor(id, config, context, {
    label: "Route 53",
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
      const root = tryParseXml(reply.text);
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
  const get = async (path: string, query: Record<string, string>, what: string, signal: AbortSignal) =>
    (await callXml(api, { method: "GET", path, query, what }, signal)).root;

  // A configured zone_id needs the zone's name too: homing then asks nothing to find the zone.
  if (config.zone_id !== undefined && config.zone === undefined)
    throw new ConfigError([`providers.${id}.zone_id: set zone (the hosted zone's name) as well`]);
  const zoneId = config.zone_id?.replace(/^\/hostedzone\//, "");
  const lookup = async (name: string, signal: AbortSignal) => {
    const what = `find the hosted zone ${name}`;
    const root = await get("hostedzonesbyname", { dnsname: `${name}.`, maxitems: "10" }, what, signal);
    const list = itemsOf(root, "HostedZones", "HostedZone").map((z) => ({
      ...fields(z, "Id", "Name"),
      ...fields(find(z, "Config") ?? z, "PrivateZone"),
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
  /** Alias sets and sets with a routing policy (SetIdentifier): an UPSERT would overwrite them. */
  const special = new Map<string, string>();
  const write = async (
    at: Pick<Place, "zone" | "name" | "type">,
    values: readonly string[],
    signal: AbortSignal,
  ): Promise<Proof> => {
    const key = `${at.name} ${at.type}`;
    const known = sets.get(key);
    const kind = special.get(key);
    if (kind)
      throw api.error(
        `${key} is ${kind} in Route 53, which homing does not change: remove it, or let homing manage another name`,
        "permanent",
      );
    if (values.length === 0 && !known) return true;
    const [action, ttl, sent] =
      known && values.length === 0
        ? ["DELETE", known.ttl, known.values]
        : ["UPSERT", config.ttl ?? known?.ttl ?? 300, values];
    const records = sent
      .map((value) => `<ResourceRecord><Value>${escapeXml(value)}</Value></ResourceRecord>`)
      .join("");
    const set = `<Name>${escapeXml(at.name)}.</Name><Type>${at.type}</Type><TTL>${ttl}</TTL><ResourceRecords>${records}</ResourceRecords>`;
    const body = `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Comment>homing</Comment><Changes><Change><Action>${action}</Action><ResourceRecordSet>${set}</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const what =
      values.length === 0 ? `delete the ${at.type} set of ${at.name}` : `set ${key} to ${values.join(", ")}`;
    const path = `hostedzone/${at.zone.id}/rrset`;
    const { root } = await callXml(
      api,
      { method: "POST", path, body, contentType: "application/xml", what },
      signal,
    );
    if (values.length === 0) sets.delete(key);
    else sets.set(key, { ttl, values: [...values] });
    // The reply only says the change was accepted (PENDING): the kit lists again to see the values.
    return { reply: `ChangeInfo Status ${api.shown(textAt(root, "ChangeInfo", "Status") ?? "missing", 20)}` };
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
        const list = itemsOf(root, "ResourceRecordSets", "ResourceRecordSet").map((set) => ({
          ...fields(set, "Name", "Type", "TTL", "SetIdentifier"),
          ...(find(set, "AliasTarget") ? { Alias: textAt(set, "AliasTarget", "DNSName") || "?" } : {}),
          Values: itemsOf(set, "ResourceRecords", "ResourceRecord").map((r) => textAt(r, "Value")),
        }));
        const paging = fields(root, "IsTruncated", "NextRecordName", "NextRecordType");
        const reply = parseReply(api, Sets, { ...paging, ResourceRecordSets: list }, what);
        for (const set of reply.ResourceRecordSets) {
          const [name, type, ttl] = [fq(set.Name), set.Type.toUpperCase(), set.TTL ?? 300];
          const kind = set.Alias
            ? `an alias to ${set.Alias}`
            : set.SetIdentifier
              ? "a record set with a routing policy"
              : "";
          if (kind) special.set(`${name} ${type}`, kind);
          else if (type === "A" || type === "AAAA") sets.set(`${name} ${type}`, { ttl, values: set.Values });
          const values = set.Alias ? [`ALIAS ${set.Alias}`] : set.Values;
          for (const value of values)
            rows.push({ id: `${name} ${type} ${value}`, name, type, value, ttl, owned: !kind });
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
    write,
    create: (place, value, signal) =>
      write(place, [...new Set([...valuesAt(place.name, place.type), value])], signal),
    async remove(zone, row, signal) {
      const kept = valuesAt(row.name, row.type).filter((value) => value !== row.value);
      await write({ zone, name: row.name, type: row.type as Place["type"] }, kept, signal);
    },
    async verify(names, signal) {
      const seen = new Set<string>();
      for (const name of names) {
        const { zone } = await zones.of(name, signal);
        seen.add(`${zone.name} (${zone.id})`);
      }
      if (seen.size === 0) await get("hostedzonesbyname", { maxitems: "1" }, "check the access key", signal);
      return `Route 53 accepted the access key${seen.size ? `; hosted zones: ${[...seen].join(", ")}` : ""}`;
    },
  });
}
