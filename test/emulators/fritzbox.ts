/**
 * An AVM Fritz!Box as homing's `fritzbox` source sees it, built from the reference (§5):
 * - `/igddesc.xml` (IGD, no auth; off when "Statusinformationen über UPnP" is off) with the
 *   WANIPConnection:1 service at `/igdupnp/control/WANIPConn1` (or WANPPPConnection:1 at
 *   `/igdupnp/control/WANPPPConn1` for a DSL box), answering GetExternalIPAddress,
 *   X_AVM_DE_GetExternalIPv6Address and X_AVM_DE_GetIPv6Prefix;
 * - `/tr64desc.xml` (TR-064; off when app access is off) with urn:dslforum-org:service:
 *   WANIPConnection:1 at `/upnp/control/wanipconnection1`, behind HTTP digest auth (RFC 7616,
 *   MD5 or SHA-256, qop=auth), checked here independently of homing's client code.
 * Binds to 127.0.0.1 only. Every request is recorded (method, path, SOAPAction, Authorization).
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FritzboxState {
  /** The WAN IPv4 address; "" while not connected. */
  ipv4: string;
  ipv6: string;
  prefix: { address: string; length: number } | undefined;
  username: string;
  password: string;
  algorithm: "MD5" | "SHA-256";
  /** "Statusinformationen über UPnP übertragen". */
  igd: boolean;
  /** "Zugriff für Anwendungen zulassen" (TR-064). */
  tr064: boolean;
  /** A DSL box: the WAN service is WANPPPConnection:1. */
  ppp: boolean;
  /** Answer GetExternalIPAddress with a SOAP fault (501 Action Failed). */
  fault: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  soapAction: string | undefined;
  authorization: string | undefined;
  body: string;
}

export interface FritzboxEmulator {
  host: string;
  port: number;
  state: FritzboxState;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const REALM = "F!Box SOAP-Auth";

function envelope(inner: string): string {
  return `<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">\n<s:Body>\n${inner}\n</s:Body>\n</s:Envelope>\n`;
}

function fault(code: number, description: string): string {
  return envelope(
    `<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>${description}</errorDescription></UPnPError></detail></s:Fault>`,
  );
}

function igdDescription(ppp: boolean): string {
  const service = ppp
    ? "<serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><serviceId>urn:upnp-org:serviceId:WANPPPConn1</serviceId><controlURL>/igdupnp/control/WANPPPConn1</controlURL><eventSubURL>/igdupnp/control/WANPPPConn1</eventSubURL><SCPDURL>/igdconnSCPD.xml</SCPDURL>"
    : "<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/igdupnp/control/WANIPConn1</controlURL><eventSubURL>/igdupnp/control/WANIPConn1</eventSubURL><SCPDURL>/igdconnSCPD.xml</SCPDURL>";
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>FRITZ!Box 7590</friendlyName>
<manufacturer>AVM Berlin</manufacturer>
<UDN>uuid:75802409-bccb-40e7-8e6c-3431C4A1B2C3</UDN>
<serviceList><service><serviceType>urn:schemas-any-com:service:Any:1</serviceType><serviceId>urn:any-com:serviceId:any1</serviceId><controlURL>/igdupnp/control/any</controlURL><eventSubURL>/igdupnp/control/any</eventSubURL><SCPDURL>/any.xml</SCPDURL></service></serviceList>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><controlURL>/igdupnp/control/WANCommonIFC1</controlURL><eventSubURL>/igdupnp/control/WANCommonIFC1</eventSubURL><SCPDURL>/igdicfgSCPD.xml</SCPDURL></service></serviceList>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service>${service}</service></serviceList>
</device></deviceList>
</device></deviceList>
<presentationURL>http://fritz.box</presentationURL>
</device>
</root>
`;
}

function tr64Description(ppp: boolean): string {
  const [type, control] = ppp
    ? ["urn:dslforum-org:service:WANPPPConnection:1", "/upnp/control/wanpppconn1"]
    : ["urn:dslforum-org:service:WANIPConnection:1", "/upnp/control/wanipconnection1"];
  return `<?xml version="1.0"?>
<root xmlns="urn:dslforum-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:dslforum-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>FRITZ!Box 7590</friendlyName>
<serviceList><service><serviceType>urn:dslforum-org:service:DeviceInfo:1</serviceType><serviceId>urn:DeviceInfo-com:serviceId:DeviceInfo1</serviceId><controlURL>/upnp/control/deviceinfo</controlURL><eventSubURL>/upnp/control/deviceinfo</eventSubURL><SCPDURL>/deviceinfoSCPD.xml</SCPDURL></service></serviceList>
<deviceList><device><deviceType>urn:dslforum-org:device:WANDevice:1</deviceType>
<deviceList><device><deviceType>urn:dslforum-org:device:WANConnectionDevice:1</deviceType>
<serviceList><service><serviceType>${type}</serviceType><serviceId>urn:WANIPConnection-com:serviceId:WANIPConnection1</serviceId><controlURL>${control}</controlURL><eventSubURL>${control}</eventSubURL><SCPDURL>/wanipconnSCPD.xml</SCPDURL></service></serviceList>
</device></deviceList>
</device></deviceList>
</device>
</root>
`;
}

/** Digest parameters of an Authorization header. */
function digestParams(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const match of header.replace(/^Digest\s+/i, "").matchAll(/([a-z0-9_-]+)=(?:"([^"]*)"|([^,\s]*))/gi)) {
    out.set((match[1] as string).toLowerCase(), match[2] ?? match[3] ?? "");
  }
  return out;
}

export async function startFritzbox(initial: Partial<FritzboxState> = {}): Promise<FritzboxEmulator> {
  const state: FritzboxState = {
    ipv4: "81.2.69.142",
    ipv6: "2a00:1450:4001:81b::200e",
    prefix: { address: "2a00:1450:4001:8100::", length: 56 },
    username: "homing",
    password: "correct horse battery staple",
    algorithm: "MD5",
    igd: true,
    tr064: true,
    ppp: false,
    fault: false,
    ...initial,
  };
  const requests: RecordedRequest[] = [];
  const nonces = new Set<string>();
  const sockets = new Set<Socket>();

  const hash = (text: string) =>
    createHash(state.algorithm === "SHA-256" ? "sha256" : "md5")
      .update(text)
      .digest("hex");

  const authorized = (request: IncomingMessage, path: string): boolean => {
    const header = request.headers.authorization;
    if (!header?.startsWith("Digest ")) return false;
    const p = digestParams(header);
    const nonce = p.get("nonce") ?? "";
    if (!nonces.has(nonce) || p.get("realm") !== REALM || p.get("uri") !== path) return false;
    if (p.get("username") !== state.username || p.get("qop") !== "auth") return false;
    if ((p.get("algorithm") ?? "MD5").toUpperCase() !== state.algorithm) return false;
    const ha1 = hash(`${state.username}:${REALM}:${state.password}`);
    const ha2 = hash(`${request.method}:${path}`);
    const expected = hash(`${ha1}:${nonce}:${p.get("nc")}:${p.get("cnonce")}:auth:${ha2}`);
    return p.get("response") === expected;
  };

  const soap = (action: string, response: ServerResponse) => {
    const send = (status: number, body: string) => {
      response.writeHead(status, {
        "content-type": 'text/xml; charset="utf-8"',
        server: "FRITZ!Box 7590 UPnP/1.0 AVM",
      });
      response.end(body);
    };
    const type = state.ppp
      ? "urn:schemas-upnp-org:service:WANPPPConnection:1"
      : "urn:schemas-upnp-org:service:WANIPConnection:1";
    switch (action) {
      case "GetExternalIPAddress":
        if (state.fault) return send(500, fault(501, "Action Failed"));
        return send(
          200,
          envelope(
            `<u:GetExternalIPAddressResponse xmlns:u="${type}">\n<NewExternalIPAddress>${state.ipv4}</NewExternalIPAddress>\n</u:GetExternalIPAddressResponse>`,
          ),
        );
      case "X_AVM_DE_GetExternalIPv6Address":
        return send(
          200,
          envelope(
            `<u:X_AVM_DE_GetExternalIPv6AddressResponse xmlns:u="${type}">\n<NewExternalIPv6Address>${state.ipv6}</NewExternalIPv6Address>\n<NewPrefixLength>${state.ipv6 ? 64 : 0}</NewPrefixLength>\n<NewValidLifetime>${state.ipv6 ? 7200 : 0}</NewValidLifetime>\n<NewPreferedLifetime>${state.ipv6 ? 3600 : 0}</NewPreferedLifetime>\n</u:X_AVM_DE_GetExternalIPv6AddressResponse>`,
          ),
        );
      case "X_AVM_DE_GetIPv6Prefix":
        return send(
          200,
          envelope(
            `<u:X_AVM_DE_GetIPv6PrefixResponse xmlns:u="${type}">\n<NewIPv6Prefix>${state.prefix?.address ?? ""}</NewIPv6Prefix>\n<NewPrefixLength>${state.prefix?.length ?? 0}</NewPrefixLength>\n<NewValidLifetime>${state.prefix ? 7200 : 0}</NewValidLifetime>\n<NewPreferedLifetime>${state.prefix ? 3600 : 0}</NewPreferedLifetime>\n</u:X_AVM_DE_GetIPv6PrefixResponse>`,
          ),
        );
      default:
        return send(500, fault(401, "Invalid Action"));
    }
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 64 * 1024) chunks.push(chunk);
    });
    request.on("end", () => {
      const path = request.url ?? "/";
      const soapAction = request.headers.soapaction as string | undefined;
      requests.push({
        method: request.method ?? "",
        path,
        soapAction,
        authorization: request.headers.authorization,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const action = /#([A-Za-z0-9_]+)"?$/.exec(soapAction ?? "")?.[1] ?? "";
      const xml = (body: string) => {
        response.writeHead(200, { "content-type": "text/xml" });
        response.end(body);
      };
      const notFound = () => {
        response.writeHead(404, { "content-type": "text/html" });
        response.end("<html><body>404 Not Found</body></html>");
      };
      if (request.method === "GET" && path === "/igddesc.xml")
        return state.igd ? xml(igdDescription(state.ppp)) : notFound();
      if (request.method === "GET" && path === "/tr64desc.xml")
        return state.tr064 ? xml(tr64Description(state.ppp)) : notFound();
      const igdControl = state.ppp ? "/igdupnp/control/WANPPPConn1" : "/igdupnp/control/WANIPConn1";
      if (request.method === "POST" && path === igdControl && state.igd) return soap(action, response);
      const trControl = state.ppp ? "/upnp/control/wanpppconn1" : "/upnp/control/wanipconnection1";
      if (request.method === "POST" && path === trControl && state.tr064) {
        if (!authorized(request, path)) {
          const nonce = randomBytes(8).toString("hex").toUpperCase();
          nonces.add(nonce);
          response.writeHead(401, {
            "www-authenticate": `Digest realm="${REALM}", nonce="${nonce}", algorithm=${state.algorithm}, qop="auth"`,
            "content-type": "text/html",
          });
          return response.end(
            "<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD><BODY>401 Unauthorized</BODY></HTML>",
          );
        }
        return soap(action, response);
      }
      notFound();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: "127.0.0.1",
    port,
    state,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
