import { infomaniak } from "../../emulators/services/infomaniak.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(infomaniak);
