// The ADX side the stack deploys, set up on the local pipeline with the stack's own code: the KQL
// model applied by the KqlSchema provider to the ADX test double, and the real Kusto sink connector
// registered by the KafkaConnector provider with the stack's sink config builder. Only the
// endpoints and the auth strategy differ from the stack (az_dev_token: the double has no Entra).
import { LocalPipeline } from "./localPipeline";
import { kafkaConnectorProvider } from "../../../connectors/kafkaConnector";
import { buildKustoSinkConfig, KustoSinkInput } from "../../../connectors/kustoSink";
import { topicForTable } from "../../../connectors/debeziumSource";
import { WORKER_SECRET_ENV } from "../../../connectors/workerSettings";
import { KAFKA_REPLICATION_FACTOR } from "../../../components/kafkaPlatform";
import { kqlSchemaProvider } from "../../../kql/kqlSchema";
import { currentStateOf, KqlScript, loadOverlayScripts, sinkTargetOf } from "../../../kql/kqlModel";
import { adxModelScripts, heartbeatModelScripts } from "../../../kql/adxModel";
import { sourceCatalogProvider, SourceCatalogOutputs } from "../../../postgres/sourceCatalogResource";
import { getKustoAccessToken, rowsOf, runKustoQuery } from "../../../kql/kustoRestClient";

export const ADX_DATABASE = "cdc";

export interface KustoSinkDeployment {
    connectorName: string;
    connectorInputs: any;
    /** Per captured table: the catalog's description and the ADX model generated from it (plus its overlay). */
    models: { table: string; scripts: KqlScript[]; described: SourceCatalogOutputs["described"][number] }[];
    /** The current-state function's rows for a captured table, asked over ADX's v1 query endpoint. */
    currentRows(table: string): Promise<Record<string, unknown>[]>;
    delete(): Promise<void>;
}

export async function deployKustoSink(
    pipeline: LocalPipeline,
    options: {
        topicPrefix: string;
        tables: string[];
        keys?: Record<string, string[]>;
        /** Route the stack's heartbeat table to ADX as well (with its freshness function), as the stack does. */
        heartbeatTable?: string;
        connectorName?: string;
        sink?: Partial<Pick<KustoSinkInput, "flushIntervalMs" | "retryWindowMs">>;
    },
): Promise<KustoSinkDeployment> {
    // The KQL provider and the queries authenticate to the double with a token, as AZURE_KUSTO_ACCESS_TOKEN does.
    process.env.AZURE_KUSTO_ACCESS_TOKEN = pipeline.adxAccessToken;
    // The stack's path: the SourceCatalog provider reads the catalog, the generator builds each model.
    const catalogInputs = {
        connection: pipeline.adminConnection,
        tables: [...options.tables, ...(options.heartbeatTable ? [options.heartbeatTable] : [])],
        keys: options.keys ?? {},
    };
    const checkedCatalog: any = await sourceCatalogProvider.check!({}, catalogInputs);
    if (checkedCatalog.failures) throw new Error(`catalog check failed: ${JSON.stringify(checkedCatalog.failures)}`);
    const { outs } = await sourceCatalogProvider.create!(catalogInputs);
    const models = (outs.described as SourceCatalogOutputs["described"]).map((described) => ({
        table: described.qualifiedName,
        described,
        scripts:
            described.qualifiedName === options.heartbeatTable
                ? heartbeatModelScripts(described, { streamingIngestion: true })
                : adxModelScripts(described, { key: described.key, streamingIngestion: true }, loadOverlayScripts(described.qualifiedName)),
    }));
    for (const model of models) {
        const inputs = { clusterUri: pipeline.adx.url, database: ADX_DATABASE, scripts: model.scripts, retainData: false };
        const checked: any = await kqlSchemaProvider.check!({}, inputs);
        if (checked.failures) throw new Error(`KQL check failed: ${JSON.stringify(checked.failures)}`);
        await kqlSchemaProvider.create!(inputs);
    }
    const connectorName = options.connectorName ?? `${options.topicPrefix}-adx-sink`;
    const connectorInputs = {
        connectUrl: pipeline.connectUrl,
        connectorName,
        timeoutSeconds: 120,
        config: buildKustoSinkConfig({
            connectorName,
            ingestionUrl: pipeline.adx.url,
            queryUrl: pipeline.adx.url,
            auth: { strategy: "az_dev_token", accessTokenEnvVar: WORKER_SECRET_ENV.kustoAccessToken },
            targets: models.map((m) => {
                const target = sinkTargetOf(m.scripts);
                return { topic: topicForTable(options.topicPrefix, m.table), database: ADX_DATABASE, table: target.table, mapping: target.mapping };
            }),
            deadLetterTopic: `${options.topicPrefix}.adx-sink.dlq`,
            deadLetterReplicationFactor: KAFKA_REPLICATION_FACTOR,
            ...options.sink,
        }),
    };
    const checked: any = await kafkaConnectorProvider.check!({}, connectorInputs);
    if (checked.failures) throw new Error(`sink connector check failed: ${JSON.stringify(checked.failures)}`);
    await kafkaConnectorProvider.create!(connectorInputs);
    return {
        connectorName,
        connectorInputs,
        models,
        async currentRows(table: string) {
            const model = models.find((m) => m.table === table);
            if (!model) throw new Error(`${table} is not captured by this deployment`);
            const { functionName } = currentStateOf(model.scripts);
            const token = await getKustoAccessToken(pipeline.adx.url);
            return rowsOf((await runKustoQuery(pipeline.adx.url, ADX_DATABASE, `${functionName}()`, token))[0]);
        },
        async delete() {
            await kafkaConnectorProvider.delete!(connectorName, connectorInputs);
        },
    };
}
