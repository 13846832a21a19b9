import { njalla } from "../../emulators/services/njalla.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(njalla);
