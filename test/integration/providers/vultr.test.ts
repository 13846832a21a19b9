import { vultr } from "../../emulators/services/vultr.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(vultr);
