// Takes each dynamic provider's `__provider` text as Pulumi mocks receive it, and rebuilds the
// provider with require-from-string(...).handler(), as the engine's provider host does.
import { installMocks, loadSerializedProvider, settle } from "./pulumiMocks";
import { KafkaConnector } from "../../connectors/kafkaConnector";
import { KqlSchema } from "../../kql/kqlSchema";
import { SourceCatalog } from "../../postgres/sourceCatalogResource";
import { PostgresReadiness } from "../../postgres/sourceReadiness";

export async function serializedProviders(): Promise<{ kafkaConnector: any; kqlSchema: any; sourceCatalog: any; readiness: any; texts: Record<string, string> }> {
    const resources = installMocks({});
    new KafkaConnector("probe-connector", { connectUrl: "http://127.0.0.1:1", connectorName: "probe", config: { "connector.class": "x" } });
    new KqlSchema("probe-kql", { clusterUri: "http://127.0.0.1:1", database: "db", scripts: [] });
    const connection = { host: "127.0.0.1", port: 1, database: "db", user: "u", sslMode: "disable" as const };
    new SourceCatalog("probe-catalog", { connection, tables: ["retail.orders_info"], keys: {} });
    new PostgresReadiness("probe-readiness", { connection, slotName: "s", restartHint: "restart it" });
    await settle(500);
    const text = (type: string) => {
        const found = resources.find((r) => r.type === type);
        if (!found || typeof found.inputs.__provider !== "string") throw new Error(`no serialized provider for ${type}`);
        return found.inputs.__provider as string;
    };
    const texts = {
        kafkaConnector: text("pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector"),
        kqlSchema: text("pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema"),
        sourceCatalog: text("pulumi-nodejs:dynamic/pg-adx-cdc:SourceCatalog"),
        readiness: text("pulumi-nodejs:dynamic/pg-adx-cdc:PostgresReadiness"),
    };
    return {
        kafkaConnector: loadSerializedProvider(texts.kafkaConnector),
        kqlSchema: loadSerializedProvider(texts.kqlSchema),
        sourceCatalog: loadSerializedProvider(texts.sourceCatalog),
        readiness: loadSerializedProvider(texts.readiness),
        texts,
    };
}
