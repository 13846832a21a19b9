/** The strict XML reader moved to core/xml.ts (detection reads router descriptions with it too). */
export { childrenNamed, escapeXml, find, parseXml, textAt, type XmlElement } from "../../core/xml.ts";
