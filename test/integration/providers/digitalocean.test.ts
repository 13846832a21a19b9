import { digitalocean } from "../../emulators/services/digitalocean.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(digitalocean);
