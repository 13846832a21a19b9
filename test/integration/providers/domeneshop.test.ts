import { domeneshop } from "../../emulators/services/domeneshop.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(domeneshop);
