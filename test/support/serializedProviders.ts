// Takes each dynamic provider's `__provider` text as Pulumi mocks receive it, and rebuilds the
// provider with require-from-string(...).handler(), as the engine's provider host does.
import { installMocks, loadSerializedProvider, settle } from "./pulumiMocks";
import { KafkaConnector } from "../../connectors/kafkaConnector";
import { KqlSchema } from "../../kql/kqlSchema";

export async function serializedProviders(): Promise<{ kafkaConnector: any; kqlSchema: any; texts: Record<string, string> }> {
    const resources = installMocks({});
    new KafkaConnector("probe-connector", { connectUrl: "http://127.0.0.1:1", connectorName: "probe", config: { "connector.class": "x" } });
    new KqlSchema("probe-kql", { clusterUri: "http://127.0.0.1:1", database: "db", scripts: [] });
    await settle(500);
    const text = (type: string) => {
        const found = resources.find((r) => r.type === type);
        if (!found || typeof found.inputs.__provider !== "string") throw new Error(`no serialized provider for ${type}`);
        return found.inputs.__provider as string;
    };
    const texts = { kafkaConnector: text("pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector"), kqlSchema: text("pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema") };
    return { kafkaConnector: loadSerializedProvider(texts.kafkaConnector), kqlSchema: loadSerializedProvider(texts.kqlSchema), texts };
}
