import { mythicbeasts } from "../../emulators/services/mythicbeasts.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(mythicbeasts);
