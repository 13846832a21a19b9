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
import { Api, endpointUrl } from "../kit/http.ts";
import { parseReply, ttlNumber } from "../kit/reply.ts";
import { type Proof, RestProvider, type Row } from "../kit/rest.ts";
import { signAwsV4 } from "../kit/signing.ts";
import { childrenNamed, escapeXml, parseXml, textAt, type XmlElement } from "../kit/xml.ts";
import { type Zone, Zones } from "../kit/zones.ts";
import type { ProviderContext } from "../provider.ts";
import type { Route53Schema } from "./schema.ts";

type Config = v.InferOutput<typeof Route53Schema>;

const XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/";
const HELP =
  "create an access key (IAM console → Users → Security credentials) for a user whose policy allows only route53:ListHostedZonesByName, route53:ListResourceRecordSets and route53:ChangeResourceRecordSets on the hosted zone, and check this host's clock";
const AUTH_CODES =
  /^(SignatureDoesNotMatch|InvalidSignatureException|IncompleteSignature|InvalidClientTokenId|UnrecognizedClientException|AccessDenied|ExpiredToken|RequestExpired|MissingAuthenticationToken)/;

const Zones_ = v.object({
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
const unescapeName = (name: string) =>
  name.replace(/\\(\d{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

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
    const reply = await api.call(
      { method: "GET", path, query, headers: { accept: "application/xml" }, what },
      signal,
    );
    const root = xml(reply.text);
    if (!root)
      throw api.error(
        `Route 53 sent a reply homing cannot read when asked to ${what}: not XML ("${api.shown(reply.text, 40)}"); homing retries later`,
        "transient",
      );
    return root;
  };
  const texts = (element: XmlElement, ...names: string[]) =>
    Object.fromEntries(
      names.flatMap((n) => {
        const t = textAt(element, n);
        return t === undefined ? [] : [[n, t]];
      }),
    );

  const zoneId = config.zone_id?.replace(/^\/hostedzone\//, "");
  const zones = new Zones(
    api,
    zoneId && config.zone
      ? { all: async () => [{ name: config.zone!.toLowerCase().replace(/\.$/, ""), id: zoneId }] }
      : zoneId
        ? {
            all: async (signal) => {
              const root = await get(`hostedzone/${zoneId}`, {}, `read the hosted zone ${zoneId}`, signal);
              const name = textAt(root, "HostedZone", "Name");
              if (!name)
                throw api.error(
                  `Route 53 sent a reply homing cannot read when asked to read the hosted zone ${zoneId}: HostedZone.Name: missing; homing retries later`,
                  "transient",
                );
              return [{ name: unescapeName(name).toLowerCase().replace(/\.$/, ""), id: zoneId }];
            },
          }
        : {
            lookup: async (name, signal) => {
              const what = `find the hosted zone ${name}`;
              const root = await get(
                "hostedzonesbyname",
                { dnsname: `${name}.`, maxitems: "10" },
                what,
                signal,
              );
              const list = childrenNamed(childrenNamed(root, "HostedZones")[0] ?? root, "HostedZone").map(
                (z) => ({
                  ...texts(z, "Id", "Name"),
                  ...(textAt(z, "Config", "PrivateZone") !== undefined
                    ? { PrivateZone: textAt(z, "Config", "PrivateZone") }
                    : {}),
                }),
              );
              const { HostedZones } = parseReply(api, Zones_, { HostedZones: list }, what);
              const hit = HostedZones.find(
                (z) =>
                  z.PrivateZone === "false" && unescapeName(z.Name).toLowerCase().replace(/\.$/, "") === name,
              );
              return hit ? { name, id: hit.Id.replace(/^\/hostedzone\//, "") } : null;
            },
          },
    config.zone,
    `create a public hosted zone for it in the Route 53 console${zoneId ? `, or fix providers.${id}.zone_id` : ""}`,
  );

  /** The listed sets, "name TYPE" → TTL and values: a DELETE must repeat them exactly. */
  const sets = new Map<string, { ttl: number; values: string[] }>();
  const change = async (
    zone: Zone,
    action: string,
    name: string,
    type: string,
    ttl: number,
    values: readonly string[],
    what: string,
    signal: AbortSignal,
  ): Promise<Proof> => {
    const records = values
      .map((value) => `<ResourceRecord><Value>${escapeXml(value)}</Value></ResourceRecord>`)
      .join("");
    const body = `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Comment>homing</Comment><Changes><Change><Action>${action}</Action><ResourceRecordSet><Name>${escapeXml(name)}.</Name><Type>${type}</Type><TTL>${ttl}</TTL><ResourceRecords>${records}</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const reply = await api.call(
      {
        method: "POST",
        path: `hostedzone/${zone.id}/rrset`,
        body,
        contentType: "application/xml",
        headers: { accept: "application/xml" },
        what,
      },
      signal,
    );
    const status = textAt(
      xml(reply.text) ?? { name: "", attributes: {}, children: [], text: "" },
      "ChangeInfo",
      "Status",
    );
    if (action === "DELETE") sets.delete(`${name} ${type}`);
    else sets.set(`${name} ${type}`, { ttl, values: [...values] });
    // The reply only says the change was accepted (PENDING): the kit re-lists to see the values.
    return { reply: status ? `ChangeInfo Status ${status}` : `"${api.shown(reply.text, 80)}"` };
  };
  const write = (
    zone: Zone,
    name: string,
    type: string,
    values: readonly string[],
    signal: AbortSignal,
  ): Promise<Proof> => {
    const known = sets.get(`${name} ${type}`);
    if (values.length === 0) {
      if (!known) return Promise.resolve(true);
      return change(
        zone,
        "DELETE",
        name,
        type,
        known.ttl,
        known.values,
        `delete the ${type} set of ${name}`,
        signal,
      );
    }
    const ttl = config.ttl ?? known?.ttl ?? 300;
    return change(
      zone,
      "UPSERT",
      name,
      type,
      ttl,
      values,
      `set ${name} ${type} to ${values.join(", ")}`,
      signal,
    );
  };
  const rowsOf = (name: string, type: string) => sets.get(`${name} ${type}`)?.values ?? [];

  return new RestProvider({
    api,
    zones,
    change: "rrset",
    async list(zone, _names, signal) {
      const rows: Row[] = [];
      let start: Record<string, string> = { name: `${zone.name}.` };
      for (let page = 0; page < 1000; page++) {
        const what = `list the record sets of ${zone.name}`;
        const root = await get(`hostedzone/${zone.id}/rrset`, { ...start, maxitems: "300" }, what, signal);
        const list = childrenNamed(
          childrenNamed(root, "ResourceRecordSets")[0] ?? root,
          "ResourceRecordSet",
        ).map((set) => ({
          ...texts(set, "Name", "Type", "TTL"),
          Values: childrenNamed(childrenNamed(set, "ResourceRecords")[0] ?? set, "ResourceRecord").map((r) =>
            textAt(r, "Value"),
          ),
        }));
        const reply = parseReply(
          api,
          Sets,
          { ...texts(root, "IsTruncated", "NextRecordName", "NextRecordType"), ResourceRecordSets: list },
          what,
        );
        for (const set of reply.ResourceRecordSets) {
          const name = unescapeName(set.Name).toLowerCase().replace(/\.$/, "");
          const type = set.Type.toUpperCase();
          if (type === "A" || type === "AAAA")
            sets.set(`${name} ${type}`, { ttl: set.TTL ?? 300, values: set.Values });
          for (const value of set.Values)
            rows.push({
              id: `${name} ${type} ${value}`,
              name,
              type,
              value,
              ...(set.TTL !== undefined ? { ttl: set.TTL } : {}),
            });
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
        [...new Set([...rowsOf(place.name, place.type), value])],
        signal,
      ),
    async remove(zone, row, signal) {
      await write(
        zone,
        row.name,
        row.type,
        rowsOf(row.name, row.type).filter((value) => value !== row.value),
        signal,
      );
    },
    async verify(names, signal) {
      const found = await Promise.all(names.map(async (name) => (await zones.of(name, signal)).zone));
      if (found.length > 0)
        return `Route 53 accepted the access key; hosted zones: ${[...new Set(found.map((z) => `${z.name} (${z.id})`))].join(", ")}`;
      await get("hostedzonesbyname", { maxitems: "1" }, "check the access key", signal);
      return "Route 53 accepted the access key";
    },
  });
}
