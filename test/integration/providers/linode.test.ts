import { linode } from "../../emulators/services/linode.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(linode);
