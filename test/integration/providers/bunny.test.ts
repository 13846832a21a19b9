import { bunny } from "../../emulators/services/bunny.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(bunny);
