import { porkbun } from "../../emulators/services/porkbun.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(porkbun);
