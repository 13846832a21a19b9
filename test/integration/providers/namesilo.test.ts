import { namesilo } from "../../emulators/services/namesilo.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(namesilo);
