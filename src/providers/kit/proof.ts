/**
 * What a write proved. A reply that shows the value sent is a confirmation; any other success (an
 * empty 204, a reply without the value, another value) is quoted, and the kit re-lists before
 * anything is removed (`confirmAdd`).
 */
import { sameAddress } from "../../core/plan.ts";
import type { Api } from "./http.ts";
import type { Proof } from "./rest.ts";

/** `shown`: the address the reply holds, when it holds one in the expected place. */
export function proofOf(api: Api, body: unknown, shown: string | undefined, value: string): Proof {
  if (shown !== undefined && sameAddress(shown, value)) return true;
  return body === undefined ? { reply: "an empty reply" } : api.unproven(body);
}
