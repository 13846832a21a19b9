import { gcloud } from "../../emulators/services/gcloud.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(gcloud);
