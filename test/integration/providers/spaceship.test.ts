import { spaceship } from "../../emulators/services/spaceship.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(spaceship);
