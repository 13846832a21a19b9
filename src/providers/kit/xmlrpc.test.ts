import { describe, expect, it } from "vitest";
import { readXmlRpc, readXmlRpcCall, xmlRpcCall, xmlRpcResponse } from "./xmlrpc.ts";

describe("XML-RPC", () => {
  it("writes a call with escaped strings, ints, booleans, arrays and structs, and reads it back", () => {
    const params = [
      "user@loopiaapi",
      "p<&>'\"",
      7,
      true,
      ["a", 2],
      { type: "A", rdata: "1.2.3.4", ttl: 300 },
    ];
    const body = xmlRpcCall("addZoneRecord", params);
    expect(body).toContain("<methodName>addZoneRecord</methodName>");
    expect(body).toContain("<string>p&lt;&amp;&gt;&apos;&quot;</string>");
    expect(body).toContain("<int>7</int>");
    expect(readXmlRpcCall(body)).toEqual({ method: "addZoneRecord", params });
  });

  it("reads a response value: arrays of structs, untyped strings, i4 and booleans", () => {
    const text = `<?xml version="1.0"?>
<methodResponse><params><param><value><array><data>
  <value><struct>
    <member><name>type</name><value><string>A</string></value></member>
    <member><name>ttl</name><value><i4>300</i4></value></member>
    <member><name>rdata</name><value>1.2.3.4</value></member>
    <member><name>ok</name><value><boolean>1</boolean></value></member>
  </struct></value>
</data></array></value></param></params></methodResponse>`;
    expect(readXmlRpc(text)).toEqual({ value: [{ type: "A", ttl: 300, rdata: "1.2.3.4", ok: true }] });
    expect(readXmlRpc(xmlRpcResponse({ value: "OK" }))).toEqual({ value: "OK" });
  });

  it("reads a fault", () => {
    const text = xmlRpcResponse({ fault: { faultCode: 623, faultString: "Method not allowed" } });
    expect(readXmlRpc(text)).toEqual({ fault: { faultCode: 623, faultString: "Method not allowed" } });
  });

  it("refuses what is not a method response or holds a broken value", () => {
    expect(() => readXmlRpc("<html></html>")).toThrow(/methodResponse/);
    expect(() => readXmlRpc("<methodResponse><params/></methodResponse>")).toThrow(/without a value/);
    expect(() =>
      readXmlRpc(
        "<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
      ),
    ).toThrow(/<int>/);
    expect(() => readXmlRpc('<!DOCTYPE x [<!ENTITY a "b">]><methodResponse/>')).toThrow();
  });
});
