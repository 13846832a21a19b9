import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeXml, find, parseXml, textAt } from "./xml.ts";

describe("parseXml", () => {
  it("reads a Route 53 reply with a namespace, a declaration and nested elements", () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>',
    );
    expect(root.name).toBe("ChangeResourceRecordSetsResponse");
    expect(root.attributes.xmlns).toContain("route53");
    expect(textAt(root, "ChangeInfo", "Status")).toBe("PENDING");
    expect(find(root, "ChangeInfo", "Missing")).toBeUndefined();
  });

  it("decodes entities and CDATA, and reads self-closing elements and attributes", () => {
    const root = parseXml(`<a x='1 &amp; 2'><b/><c><![CDATA[<raw>]]> &lt;&#65;&#x42;</c></a>`);
    expect(root.attributes.x).toBe("1 & 2");
    expect(textAt(root, "c")).toBe("<raw> <AB");
    expect(root.children.map((child) => child.name)).toEqual(["b", "c"]);
  });

  it("refuses DTDs, unknown entities, mismatched tags and trailing content", () => {
    for (const bad of [
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
      "<x>&e;</x>",
      "<x><y></x></y>",
      "<x></x><y/>",
      "<x>",
      "",
    ])
      expect(() => parseXml(bad), bad).toThrow();
  });

  it("round-trips any text through escapeXml", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(parseXml(`<v>${escapeXml(text)}</v>`).text).toBe(text.replace(/\r\n?/g, (m) => m));
      }),
    );
  });

  it("never hangs or throws anything but an Error on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseXml(text);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
