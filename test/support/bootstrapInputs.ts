// The source bootstrap provider's inputs for a stack prefix, as components/postgres.ts shapes them:
// one fixture for the tests that drive the provider directly.
import { sourceObjectNames } from "../../postgres/sourceSchema";

export function bootstrapInputsFor(
    prefix: string,
    connection: { host: string; port: number; database: string; user: string; sslMode: string },
    replicationPasswordVerifier: string,
    extra: { createDemoTables?: boolean; timeoutSeconds?: number } = {},
) {
    const names = sourceObjectNames(prefix);
    return {
        connection,
        bootstrap: {
            tables: ["retail.orders_info"],
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier,
            ...(extra.createDemoTables ? { createDemoTables: true } : {}),
        },
        slotName: names.slotName,
        ...(extra.timeoutSeconds ? { timeoutSeconds: extra.timeoutSeconds } : {}),
    };
}
