import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.ts";
import { parseListen } from "./server.ts";

describe("parseListen", () => {
  it.each([
    { listen: "127.0.0.1:8080", host: "127.0.0.1", port: 8080, wildcard: false, loopback: true },
    { listen: ":8080", host: "127.0.0.1", port: 8080, wildcard: false, loopback: true },
    { listen: "8080", host: "127.0.0.1", port: 8080, wildcard: false, loopback: true },
    { listen: "localhost:9000", host: "localhost", port: 9000, wildcard: false, loopback: true },
    { listen: "[::1]:8080", host: "::1", port: 8080, wildcard: false, loopback: true },
    { listen: "127.0.0.2:0", host: "127.0.0.2", port: 0, wildcard: false, loopback: true },
    { listen: "0.0.0.0:8080", host: "0.0.0.0", port: 8080, wildcard: true, loopback: false },
    { listen: "[::]:8080", host: "::", port: 8080, wildcard: true, loopback: false },
    { listen: "192.168.1.10:8080", host: "192.168.1.10", port: 8080, wildcard: false, loopback: false },
    { listen: " [fe80::1%eth0]:80 ", host: "fe80::1%eth0", port: 80, wildcard: false, loopback: false },
  ])("$listen", ({ listen, ...expected }) => {
    expect(parseListen(listen)).toEqual(expected);
  });

  it.each([
    ["127.0.0.1", /the port is missing/],
    ["127.0.0.1:http", /"http" is not a port number/],
    ["127.0.0.1:65536", /not a port number/],
    ["::1:8080", /an IPv6 address needs brackets/],
    ["*:8080", /write 0\.0\.0\.0/],
    ["a b:80", /not a host name or address/],
    ["", /the port is missing/],
  ])("%s is refused", (listen, message) => {
    expect(() => parseListen(listen)).toThrow(ConfigError);
    expect(() => parseListen(listen)).toThrow(message);
  });
});
