import { scaleway } from "../../emulators/services/scaleway.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(scaleway);
