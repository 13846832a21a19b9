import { namecom, namecomCore } from "../../emulators/services/namecom.ts";
import { providerTable } from "../../support/provider-table.ts";

providerTable(namecom);
// The Core API (/core/v1) takes the same paths and fields: the same table through that base.
providerTable(namecomCore);
