import { freedns } from "../../emulators/services/freedns.ts";
import { updateUrlTable } from "../../support/update-url-table.ts";

updateUrlTable(freedns);
