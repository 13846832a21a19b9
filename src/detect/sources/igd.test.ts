/** Description and SOAP parsing on miniupnpd's captured replies, SSDP replies, and /proc/net/route. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseProcNetRoute } from "./default-gateway.ts";
import { readSoapReply, soapEnvelope, UPNP_WAN_SERVICES, wanServices } from "./igd.ts";
import { SourceRefusal } from "./source.ts";
import { replyLocation, searchMessage } from "./ssdp.ts";
import { externalAddress } from "./upnp.ts";

const ROOT_DESC = readFileSync(
  join(import.meta.dirname, "../../../test/fixtures/miniupnpd-rootDesc.xml"),
  "utf8",
);

describe("device description", () => {
  it("finds miniupnpd's WANIPConnection:2 control URL (captured rootDesc.xml)", () => {
    const services = wanServices(
      ROOT_DESC,
      new URL("http://192.168.77.1:5000/rootDesc.xml"),
      UPNP_WAN_SERVICES,
    );
    expect(services.map((s) => [s.serviceType, s.controlUrl.href])).toEqual([
      ["urn:schemas-upnp-org:service:WANIPConnection:2", "http://192.168.77.1:5000/ctl/IPConn"],
    ]);
  });

  it("resolves against URLBase, puts WANIPConnection before WANPPPConnection, skips non-http URLs", () => {
    const xml = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://10.0.0.1:49000/</URLBase><device><serviceList>
      <service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>ppp</controlURL></service>
      <service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/ip</controlURL></service>
      <service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>file:///etc/passwd</controlURL></service>
      <service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/l3f</controlURL></service>
    </serviceList></device></root>`;
    const services = wanServices(xml, new URL("http://192.168.1.1/desc.xml"), UPNP_WAN_SERVICES);
    expect(services.map((s) => s.controlUrl.href)).toEqual([
      "http://10.0.0.1:49000/ip",
      "http://10.0.0.1:49000/ppp",
    ]);
  });

  it("refuses a DTD (no entity expansion from a hostile device)", () => {
    expect(() =>
      wanServices(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><root/>',
        new URL("http://x/"),
        UPNP_WAN_SERVICES,
      ),
    ).toThrow(/DTD/);
  });
});

describe("SOAP", () => {
  it("reads miniupnpd's GetExternalIPAddress reply, whatever the prefix", () => {
    const reply = `<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewExternalIPAddress>11.22.33.44</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>`;
    const outcome = readSoapReply(reply, "GetExternalIPAddress");
    expect(outcome.kind === "reply" && outcome.fields.get("NewExternalIPAddress")).toBe("11.22.33.44");
    const other = reply.replaceAll("s:", "SOAP-ENV:").replace("xmlns:s=", "xmlns:SOAP-ENV=");
    expect(readSoapReply(other, "GetExternalIPAddress").kind).toBe("reply");
  });

  it("reads a fault's UPnP error", () => {
    const fault = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>501</errorCode><errorDescription>Action Failed</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`;
    expect(readSoapReply(fault, "GetExternalIPAddress")).toEqual({
      kind: "fault",
      reason: "UPnP error 501: Action Failed",
    });
  });

  it("rejects what is not a reply to the action", () => {
    expect(() => readSoapReply("<html/>", "GetExternalIPAddress")).toThrow(/not a SOAP envelope/);
    expect(() =>
      readSoapReply(
        '<s:Envelope xmlns:s="x"><s:Body><u:Other/></s:Body></s:Envelope>',
        "GetExternalIPAddress",
      ),
    ).toThrow(/no GetExternalIPAddressResponse/);
  });

  it("writes the envelope miniupnpc writes, escaping the service type", () => {
    expect(soapEnvelope("urn:a&b", "GetExternalIPAddress")).toContain(
      '<u:GetExternalIPAddress xmlns:u="urn:a&amp;b"></u:GetExternalIPAddress>',
    );
  });

  it("an empty address or 0.0.0.0 is a refusal; junk is an error", () => {
    expect(() => externalAddress("", "UPnP")).toThrow(SourceRefusal);
    expect(() => externalAddress("0.0.0.0", "UPnP")).toThrow(/does not know its external address yet/);
    expect(() => externalAddress("2001:db8::1", "UPnP")).toThrow(/not an IPv4 address/);
    expect(() => externalAddress(undefined, "UPnP")).toThrow(/no NewExternalIPAddress/);
    expect(externalAddress("11.22.33.44", "UPnP")).toBe("11.22.33.44");
  });
});

describe("SSDP", () => {
  it("reads LOCATION from miniupnpd's reply, header names in any case", () => {
    const reply =
      "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\nlocation: http://192.168.77.1:5000/rootDesc.xml\r\n\r\n";
    expect(replyLocation(reply)?.href).toBe("http://192.168.77.1:5000/rootDesc.xml");
    expect(replyLocation(reply.replace("200 OK", "404 Not Found"))).toBeUndefined();
    expect(replyLocation(reply.replace("http://", "ftp://"))).toBeUndefined();
    expect(replyLocation("NOTIFY * HTTP/1.1\r\nLOCATION: http://x/\r\n\r\n")).toBeUndefined();
  });

  it("writes M-SEARCH as miniupnpc does", () => {
    expect(searchMessage("upnp:rootdevice", 1)).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: upnp:rootdevice\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n\r\n',
    );
  });
});

describe("default gateway", () => {
  const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
  it("reads the lowest-metric default route, little-endian hex", () => {
    const table = `${header}eth0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\nwlan0\t00000000\t014DA8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`;
    expect(parseProcNetRoute(table)).toEqual({ gateway: "192.168.77.1", iface: "wlan0" });
  });
  it("has none without a default route through a gateway", () => {
    expect(
      parseProcNetRoute(`${header}eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`),
    ).toBeUndefined();
    expect(
      parseProcNetRoute(`${header}ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n`),
    ).toBeUndefined();
  });
});
