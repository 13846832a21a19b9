/**
 * Prints each NAT-PMP/PCP announcement as a JSON line, "listening" once joined; for a test that
 * runs it inside a client namespace (`ip netns exec NS tsx test/support/announcement-listener-cli.ts
 * <local address>`). Exits after 20 s at most.
 */
import { watchAnnouncements } from "../../src/detect/sources/announcements.ts";

const watch = watchAnnouncements({
  localAddress: process.argv[2],
  onAnnouncement: (announcement) => process.stdout.write(`${JSON.stringify(announcement)}\n`),
  onError: (error) => process.stdout.write(`${JSON.stringify({ error: error.message })}\n`),
});
await watch.ready;
process.stdout.write("listening\n");
setTimeout(() => {
  watch.close();
  process.exit(0);
}, 20_000);
process.on("SIGTERM", () => {
  watch.close();
  process.exit(0);
});
