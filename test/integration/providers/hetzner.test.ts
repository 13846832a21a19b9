import { hetzner } from "../../emulators/services/hetzner.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(hetzner);
