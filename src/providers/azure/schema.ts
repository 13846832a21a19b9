import * as v from "valibot";
import { secretKeys } from "../../config/schema-parts.ts";
import { defineProvider, restEntries } from "../kit/define.ts";

const text = (what: string) => v.pipe(v.string(), v.minLength(1), v.description(what));

export const AzureSchema = v.strictObject({
  type: v.literal("azure"),
  tenant_id: text("Directory (tenant) ID of the Microsoft Entra ID tenant"),
  client_id: text("Application (client) ID of the app registration homing signs in as"),
  ...secretKeys("client_secret", "client secret of the app registration"),
  subscription_id: text("Azure subscription ID that holds the DNS zone"),
  resource_group: text("Resource group of the DNS zone"),
  authority: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^https?:\/\/[^/\s]+/, "expected an http(s) URL"),
      v.description("Microsoft Entra ID authority (default https://login.microsoftonline.com)"),
    ),
    "https://login.microsoftonline.com",
  ),
  ...restEntries({ endpoint: "https://management.azure.com/", ttl: { min: 1, max: 2_147_483_647 } }),
});

export const definition = defineProvider({
  type: "azure",
  service: "Azure DNS",
  schema: AzureSchema,
  ipv6: true,
  change: "rrset",
  load: () => import("./provider.ts"),
});
