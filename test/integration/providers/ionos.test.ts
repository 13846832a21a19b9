import { ionos } from "../../emulators/services/ionos.ts";
import { verifyScenario } from "../../support/provider-direct.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(ionos);
verifyScenario(ionos, /IONOS accepted the API key \(0 zones/);
