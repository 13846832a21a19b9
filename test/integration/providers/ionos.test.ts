import { ionos } from "../../emulators/services/ionos.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(ionos);
