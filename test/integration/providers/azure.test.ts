import { azure } from "../../emulators/services/azure.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(azure);
