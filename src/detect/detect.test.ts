import { describe, expect, it } from "vitest";
import { shownUrl } from "./detect.ts";

describe("shownUrl", () => {
  it.each([
    ["https://api.ipify.org/", "https://api.ipify.org/"],
    ["http://127.0.0.1:38080/ip", "http://127.0.0.1:38080/ip"],
    ["http://127.0.0.1:38080/v4/echo", "http://127.0.0.1:38080/v4/echo"],
    [
      "https://ip.example.net/v4?key=s3cret&format=text",
      "https://ip.example.net/v4?key=[redacted]&format=[redacted]",
    ],
    ["https://user:pa55word@ip.example.net/ip#frag", "https://ip.example.net/ip"],
    ["https://[2606:4700:4700::1111]/cdn-cgi/trace", "https://[2606:4700:4700::1111]/cdn-cgi/trace"],
  ])("%s shows as %s", (input, shown) => {
    expect(shownUrl(new URL(input))).toBe(shown);
  });
});
