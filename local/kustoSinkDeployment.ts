// The ADX side the stack deploys, set up on the local pipeline with the stack's own code: the KQL
// model applied by the KqlSchema provider to the ADX test double, and the real Kusto sink connector
// registered by the KafkaConnector provider with the stack's sink config builder. Only the
// endpoints and the auth strategy differ from the stack (az_dev_token: the double has no Entra).
import { E2E_CONNECT_GROUP_ID, LocalPipeline } from "./localPipeline";
import { kafkaConnectorProvider } from "../connectors/kafkaConnector";
import { buildKustoSinkConfig, KustoSinkInput } from "../connectors/kustoSink";
import { sinkReadPartitions } from "../connectors/kafkaTopics";
import { flatRecordReservedFields } from "../contract/recordFields";
import { workerSecretReference } from "../connectors/workerSettings";
import { KAFKA_REPLICATION_FACTOR } from "../components/kafkaPlatform";
import { kqlSchemaProvider } from "../kql/kqlSchema";
import { KqlScript, loadOverlayScripts } from "../kql/kqlModel";
import { adxModelScripts, AdxTableNames, changeTableGenerations, heartbeatModelScripts } from "../kql/adxModel";
import { PlannedTable, planPipeline, plannedTableOf, sinkTargets, workerHealthSinkTarget } from "../plan/pipelinePlan";
import { workerHealthModelScripts } from "../kql/workerHealthModel";
import { sourceCatalogProvider, SourceCatalogOutputs } from "../postgres/sourceCatalogResource";
import { getKustoAccessToken, rowsOf, runKustoQuery } from "../kql/kustoRestClient";

export const ADX_DATABASE = "cdc";

/** Where the model goes and the sink sends. */
export interface KustoTarget {
    queryUri: string;
    ingestionUri: string;
    database: string;
}

export interface KustoSinkDeployment {
    connectorName: string;
    connectorInputs: any;
    /** Per captured table: the catalog's description and the ADX model generated from it (plus its overlay). */
    models: { table: string; names: AdxTableNames; scripts: KqlScript[]; described: SourceCatalogOutputs["described"][number] }[];
    /**
     * What `pulumi up` does on the ADX side after a refresh, through each provider's own update path: the
     * catalog re-read, every changed model updated in place (a new table's created), the sink's topics re-set.
     */
    redeploy(tables: string[], keys?: Record<string, string[]>): Promise<void>;
    /** Per captured table, its ADX change table's generation as the KqlSchema provider's state holds it. */
    adxTableGenerations(): Record<string, string>;
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
        /**
         * Route the stack's heartbeat table (with its freshness function) and the Connect workers' health topic
         * (kql/workerHealthModel.ts) to ADX as well, as the stack does.
         */
        heartbeat?: boolean;
        connectorName?: string;
        sink?: Partial<Pick<KustoSinkInput, "flushIntervalMs" | "flushSizeBytes" | "retryWindowMs" | "maxTasks">>;
        /** false: queued ingestion only (the free cluster's path): no streaming policy, `streaming: false` per topic. */
        streamingIngestion?: boolean;
        /** "managedIdentity": the sink authenticates as the worker host's managed identity (the stack's default), not with a token from the environment. */
        auth?: "managedIdentity" | "accessToken";
        /** Partitions of each table's topic as the source creates them (default the pipeline's): the sink's tasks follow them. */
        tablePartitions?: number;
        /** A real cluster instead of the pipeline's ADX test double (`demo --adx-cluster`); its token comes from the Azure credential chain. */
        adx?: KustoTarget;
    },
): Promise<KustoSinkDeployment> {
    const adx: KustoTarget = options.adx ?? { queryUri: pipeline.adx.url, ingestionUri: pipeline.adx.url, database: ADX_DATABASE };
    // The KQL provider and the queries authenticate to the double with a token, as AZURE_KUSTO_ACCESS_TOKEN does.
    if (!options.adx) process.env.AZURE_KUSTO_ACCESS_TOKEN = pipeline.adxAccessToken;
    const streaming = options.streamingIngestion ?? true;
    // Every name (topics, ADX objects, connector, dead letters) from the pipeline's plan, as the stack takes them.
    const planFor = (tables: string[]) => planPipeline({ topicPrefix: options.topicPrefix, tables });
    const heartbeatTable = options.heartbeat ? planFor([]).heartbeat.table : undefined;
    // The stack's path: the SourceCatalog provider reads the catalog, the generator builds each model.
    const catalogInputsFor = (tables: string[], keys: Record<string, string[]>) => ({
        connection: pipeline.adminConnection,
        tables: [...tables, ...(heartbeatTable ? [heartbeatTable] : [])],
        keys,
        reservedColumns: flatRecordReservedFields(),
    });
    const modelsOf = (tables: string[], described: SourceCatalogOutputs["described"]) => {
        const plan = planFor(tables);
        return described.map((table) => {
            const planned = plannedTableOf(plan, table.qualifiedName);
            return {
                table: table.qualifiedName,
                // The names the plan gives the table's ADX objects, as the generator uses them (never read back from the KQL).
                names: planned.adx,
                planned,
                described: table,
                scripts:
                    table.qualifiedName === heartbeatTable
                        ? heartbeatModelScripts(table, { streamingIngestion: streaming })
                        : adxModelScripts(table, { key: table.key, streamingIngestion: streaming }, loadOverlayScripts(table.qualifiedName)),
            };
        });
    };
    const kqlInputsOf = (model: { scripts: KqlScript[] }) => ({ clusterUri: adx.queryUri, database: adx.database, scripts: model.scripts, retainData: false });
    const connectorName = options.connectorName ?? planFor([]).connectors.sink;
    const connectorInputsOf = (models: { planned: PlannedTable }[]) => ({
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName,
        timeoutSeconds: 120,
        config: buildKustoSinkConfig({
            connectorName,
            ingestionUrl: adx.ingestionUri,
            queryUrl: adx.queryUri,
            auth:
                options.auth === "managedIdentity"
                    ? { strategy: "managed_identity", clientId: pipeline.managedIdentity.clientId }
                    : { strategy: "az_dev_token", accessTokenReference: workerSecretReference(pipeline.secretsDir, "kustoAccessToken") },
            targets: [
                ...sinkTargets(
                    models.map((m) => m.planned),
                    adx.database,
                    streaming,
                ),
                ...(options.heartbeat ? [workerHealthSinkTarget(E2E_CONNECT_GROUP_ID, adx.database, streaming)] : []),
            ],
            topicPartitions: sinkReadPartitions(models.filter((m) => m.planned.table !== heartbeatTable).length, options.tablePartitions ?? pipeline.tablePartitions, {
                heartbeat: heartbeatTable !== undefined,
                workerHealth: options.heartbeat === true,
            }),
            deadLetterTopic: planFor([]).deadLetterTopic,
            deadLetterReplicationFactor: KAFKA_REPLICATION_FACTOR,
            ...options.sink,
        }),
    });

    let catalogInputs = catalogInputsFor(options.tables, options.keys ?? {});
    const checkedCatalog: any = await sourceCatalogProvider.check!({}, catalogInputs);
    if (checkedCatalog.failures) throw new Error(`catalog check failed: ${JSON.stringify(checkedCatalog.failures)}`);
    const { outs } = await sourceCatalogProvider.create!(catalogInputs);
    const models = modelsOf(options.tables, outs.described);
    // Each table's KqlSchema state, as Pulumi keeps it: what read (refresh) and update start from.
    const kqlState = new Map<string, any>();
    for (const model of models) {
        const checked: any = await kqlSchemaProvider.check!({}, kqlInputsOf(model));
        if (checked.failures) throw new Error(`KQL check failed: ${JSON.stringify(checked.failures)}`);
        kqlState.set(model.table, (await kqlSchemaProvider.create!(kqlInputsOf(model))).outs);
    }
    // The workers' health table, as the stack's kql-worker-health (shared by the deployments on this database: never dropped here).
    if (options.heartbeat) await kqlSchemaProvider.create!({ ...kqlInputsOf({ scripts: workerHealthModelScripts({ streamingIngestion: streaming }) }), retainData: true });
    let connectorInputs = connectorInputsOf(models);
    const checked: any = await kafkaConnectorProvider.check!({}, connectorInputs);
    if (checked.failures) throw new Error(`sink connector check failed: ${JSON.stringify(checked.failures)}`);
    await kafkaConnectorProvider.create!(connectorInputs);
    const deployment: KustoSinkDeployment = {
        connectorName,
        connectorInputs,
        models,
        async redeploy(tables: string[], keys: Record<string, string[]> = options.keys ?? {}) {
            // `pulumi up` after a refresh: the catalog read again, then each resource's own update path.
            const nextCatalog = catalogInputsFor(tables, keys);
            const { outs: next } = await sourceCatalogProvider.update!("catalog", { ...catalogInputs, described: undefined }, nextCatalog);
            const nextModels = modelsOf(tables, next.described);
            for (const model of nextModels) {
                const previous = kqlState.get(model.table);
                if (!previous) {
                    kqlState.set(model.table, (await kqlSchemaProvider.create!(kqlInputsOf(model))).outs);
                    continue;
                }
                // The refresh: drift in ADX (a table dropped by hand) reads back as a changed script.
                const refreshed = (await kqlSchemaProvider.read!("kql", previous)).props;
                if ((await kqlSchemaProvider.diff!("kql", refreshed, kqlInputsOf(model))).changes)
                    kqlState.set(model.table, (await kqlSchemaProvider.update!("kql", refreshed, kqlInputsOf(model))).outs);
                else kqlState.set(model.table, refreshed);
            }
            const nextConnector = connectorInputsOf(nextModels);
            if ((await kafkaConnectorProvider.diff!(connectorName, connectorInputs, nextConnector)).changes)
                await kafkaConnectorProvider.update!(connectorName, connectorInputs, nextConnector);
            catalogInputs = nextCatalog;
            connectorInputs = nextConnector;
            deployment.connectorInputs = nextConnector;
            deployment.models.splice(0, deployment.models.length, ...nextModels);
        },
        adxTableGenerations() {
            const generations = Object.assign({}, ...[...kqlState.values()].map((state) => state.tableGenerations ?? {}));
            return changeTableGenerations(
                deployment.models.map((m) => m.table),
                generations,
            );
        },
        async currentRows(table: string) {
            const model = deployment.models.find((m) => m.table === table);
            if (!model) throw new Error(`${table} is not captured by this deployment`);
            const token = await getKustoAccessToken(adx.queryUri);
            return rowsOf((await runKustoQuery(adx.queryUri, adx.database, `${model.names.currentState}()`, token))[0]);
        },
        async delete() {
            await kafkaConnectorProvider.delete!(connectorName, connectorInputs);
        },
    };
    return deployment;
}
