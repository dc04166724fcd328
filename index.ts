// pg-adx-cdc: PostgreSQL → Debezium → Kafka → Azure Data Explorer, one `pulumi up` per stack.
// Composition only: read config, build the components, register connectors, export outputs.
// Each side runs one of two ways (config decides): ADX owned by the stack or an existing/free
// cluster; PostgreSQL as an Azure flexible server or as a container next to Kafka.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import { existingAdxEndpoints, loadStackConfig, requirePostgresAdminPassword, resolveAdxTarget, stackTopics } from "./components/config";
import { EventHubsKafka } from "./components/eventHubsKafka";
import { deadLetterTopicFor } from "./connectors/kafkaTopics";
import { TopicPartitionsGuard } from "./connectors/topicPartitionsGuard";
import { resourceNames } from "./components/resourceNames";
import { lookupDeployerIp } from "./components/deployerIp";
import { AdxCluster } from "./components/adx";
import { SinkIdentity } from "./components/sinkIdentity";
import { ReplicationCredentials } from "./components/replicationCredentials";
import { PostgresServerPlacement, PostgresSource } from "./components/postgres";
import { postgresContainerImage } from "./components/postgresContainer";
import { KAFKA_REPLICATION_FACTOR, KafkaBrokerTarget, KafkaPlatform } from "./components/kafkaPlatform";
import { OrdersGenerator } from "./components/ordersGenerator";
import { KafkaConnector } from "./connectors/kafkaConnector";
import { buildDebeziumSourceConfig, flatRecordReservedFields, topicForTable } from "./connectors/debeziumSource";
import { buildKustoSinkConfig } from "./connectors/kustoSink";
import { WORKER_SECRET_ENV } from "./connectors/workerSettings";
import { KqlSchema } from "./kql/kqlSchema";
import { functionsDefinedIn, loadOverlayScripts } from "./kql/kqlModel";
import { adxModelScripts, adxNamesFor, changeMetadataColumns, freshnessFunctionName, heartbeatModelScripts } from "./kql/adxModel";
import { describedTable, SourceCatalog } from "./postgres/sourceCatalogResource";
import { IncrementalSnapshot } from "./postgres/incrementalSnapshot";
import { adxWebUiLinks } from "./components/adxLinks";
import { buildAzureServerParameters, buildLogicalReplicationParameters, needsFailoverSlot } from "./postgres/serverParameters";
import { walGuardLimitBytes } from "./postgres/walGuard";
import { eventHubsOperatorAuthentication, OperationsOutputs } from "./operations/stackOutputs";

const config = loadStackConfig();
const stack = pulumi.getStack();
const names = resourceNames(stack);
const adminPassword = requirePostgresAdminPassword();
// Entra (not ARM) identity of the deployer: works without an Azure subscription (free path).
const client = azuread.getClientConfigOutput();
const adxTarget = resolveAdxTarget(config.adx);
let home: { suffix: random.RandomString; resourceGroup: resources.ResourceGroup } | undefined;
/** The resource group and the name suffix of what the stack creates in Azure; made when first needed (never on the free path). */
function azureHome() {
    // ADX cluster and PostgreSQL server names are global DNS names: a short random suffix keeps them unique.
    home ??= {
        suffix: new random.RandomString("name-suffix", { length: 6, special: false, upper: false }),
        resourceGroup: new resources.ResourceGroup("resource-group", { resourceGroupName: names.resourceGroup }),
    };
    return home;
}
// Per captured table: its topic and ADX names (from the name alone) and its hand-written overlay, if any.
const captured = config.capture.tables.map((table) => ({
    table,
    topic: topicForTable(config.capture.topicPrefix, table),
    names: adxNamesFor(table),
    overlay: loadOverlayScripts(table),
}));

const adx =
    adxTarget.mode === "owned"
        ? new AdxCluster("adx", {
              resourceGroupName: azureHome().resourceGroup.name,
              location: azureHome().resourceGroup.location,
              clusterName: pulumi.interpolate`${names.adxCluster}${azureHome().suffix.result}`.apply((n) => n.slice(0, 22)),
              skuName: config.adx.skuName,
              capacity: config.adx.capacity,
              autoStop: config.adx.autoStop,
              databaseName: config.adx.databaseName,
              softDeletePeriod: config.adx.softDeletePeriod,
              hotCachePeriod: config.adx.hotCachePeriod,
              deployerPrincipalId: config.deployer.principalType === "App" ? client.clientId : client.objectId,
              deployerPrincipalType: config.deployer.principalType,
              tenantId: client.tenantId,
          })
        : undefined;
const { queryUri: adxQueryUri, ingestionUri: adxIngestionUri } = adx ?? existingAdxEndpoints(adxTarget);

const sinkIdentity = new SinkIdentity(
    "sink-identity",
    {
        displayName: names.sinkApplication,
        identity:
            config.sinkIdentity.kind === "managedIdentity"
                ? {
                      kind: "managedIdentity",
                      clientId: config.sinkIdentity.managedIdentityClientId,
                      home: config.sinkIdentity.managedIdentityClientId
                          ? undefined
                          : { resourceGroupName: azureHome().resourceGroup.name, location: azureHome().resourceGroup.location },
                  }
                : { kind: "clientSecret", rotationTrigger: config.sinkSecretRotation },
        tenantId: client.tenantId,
        databaseAccess: adx
            ? { kind: "arm", resourceGroupName: azureHome().resourceGroup.name, clusterName: adx.cluster.name, databaseName: config.adx.databaseName }
            : { kind: "kql", clusterUri: adxQueryUri, databaseName: config.adx.databaseName },
    },
    { dependsOn: adx ? [adx.database] : [] },
);

const replicationCredentials = new ReplicationCredentials("replication-credentials");

// Every topic the pipeline uses; on Event Hubs each is an event hub created before Connect starts.
const kafkaTopics = stackTopics(config.capture, config.kafka);
/** Event Hubs (namespace and one event hub per topic) or the broker container, as kafka.mode says. */
function kafkaBroker(): { eventHubs?: EventHubsKafka; broker: KafkaBrokerTarget } {
    const kafkaConfig = config.kafka;
    if (kafkaConfig.mode === "container") return { broker: { kind: "container", hostPort: kafkaConfig.kafkaPort } };
    // A captured table's partition count is fixed for the stack's life: a change is refused at preview.
    const dataTopics = config.capture.tables.map((t) => topicForTable(config.capture.topicPrefix, t));
    const partitionsGuard = new TopicPartitionsGuard("topic-partitions", {
        topics: kafkaTopics.filter((t) => dataTopics.includes(t.name)).map((t) => ({ name: t.name, partitions: t.partitions })),
    });
    const hubs = new EventHubsKafka(
        "event-hubs",
        {
            resourceGroupName: azureHome().resourceGroup.name,
            location: azureHome().resourceGroup.location,
            namespaceName: pulumi.interpolate`${names.eventHubsNamespace}-${azureHome().suffix.result}`,
            // Basic is refused by config validation (no Kafka endpoint).
            tier: kafkaConfig.eventHubs.tier === "Premium" ? "Premium" : "Standard",
            capacity: kafkaConfig.eventHubs.capacity,
            zoneRedundant: kafkaConfig.eventHubs.zoneRedundant,
            topics: kafkaTopics,
        },
        { dependsOn: [partitionsGuard] },
    );
    return { eventHubs: hubs, broker: { kind: "eventhubs", bootstrapServers: hubs.bootstrapServers, connectionString: hubs.connectionString, topicsReady: hubs.eventHubs } };
}
const { eventHubs, broker } = kafkaBroker();

const kafka = new KafkaPlatform("kafka", {
    broker,
    connectWorkers: config.kafka.mode === "eventhubs" ? config.kafka.connectWorkers : 1,
    connectPort: config.kafka.connectPort,
    connectRestUrl: config.kafka.connectRestUrl,
    networkName: names.dockerNetwork,
    kafkaContainerName: names.kafkaContainer,
    connectContainerName: names.connectContainer,
    connectImageName: names.connectImage,
    postgresReplicationPassword: replicationCredentials.password,
    kustoSinkAppKey: sinkIdentity.clientSecret,
});

/** A state config validation rules out; reaching it is a bug in the validation. */
function unreachable(what: string): never {
    throw new Error(`internal error: ${what}`);
}

/** Where PostgreSQL runs, from `pg-adx-cdc:postgres` (its mode decides which server component the source creates). */
function postgresPlacement(pg: typeof config.postgres): PostgresServerPlacement {
    const deployerIp = pg.allowDeployerIp ? pulumi.output(lookupDeployerIp()) : undefined;
    switch (pg.mode) {
        case "azure":
            return {
                mode: "azure",
                resourceGroupName: azureHome().resourceGroup.name,
                location: azureHome().resourceGroup.location,
                serverName: pulumi.interpolate`${names.postgresServer}-${azureHome().suffix.result}`,
                version: pg.version,
                skuName: pg.skuName,
                skuTier: pg.skuTier,
                storageSizeGb: pg.storageSizeGb,
                highAvailability: pg.highAvailability,
                backupRetentionDays: pg.backupRetentionDays,
                geoRedundantBackup: pg.geoRedundantBackup,
                alertEmails: pg.alertEmails,
                parameters: buildAzureServerParameters(pg),
                allowedClientCidrs: pg.allowedClientCidrs,
                deployerIp,
            };
        case "existing":
            return {
                mode: "existing",
                // Config validation requires exactly one of existingServer and host.
                target: pg.existingServer
                    ? {
                          kind: "azure",
                          ...pg.existingServer,
                          parameters: buildAzureServerParameters(pg),
                          allowRestart: pg.allowRestart,
                          allowedClientCidrs: pg.allowedClientCidrs,
                          deployerIp,
                      }
                    : pg.host !== undefined
                      ? { kind: "host", host: pg.host, port: pg.port, sslMode: pg.sslMode }
                      : unreachable("pg-adx-cdc:postgres: existing mode without existingServer or host passed validation"),
            };
        case "container":
            return {
                mode: "container",
                image: postgresContainerImage(pg),
                parameters: buildLogicalReplicationParameters(pg),
                publishedPort: pg.containerPort,
                containerName: names.postgresContainer,
                networkName: kafka.network.name,
            };
    }
}

const postgres = new PostgresSource("postgres", {
    server: postgresPlacement(config.postgres),
    databaseName: config.postgres.databaseName,
    administratorLogin: config.postgres.administratorLogin,
    replicationUser: config.postgres.replicationUser,
    tables: config.capture.tables,
    createDemoTables: config.generator.enabled,
    topicPrefix: config.capture.topicPrefix,
    administratorPassword: adminPassword,
    replicationPasswordVerifier: replicationCredentials.scramVerifier,
    walGuardMaxRetainedWalBytes: config.postgres.walGuard ? walGuardLimitBytes(config.postgres.walGuard.maxRetainedWalGb) : undefined,
});

// The captured tables as PostgreSQL's catalog describes them (after the bootstrap, which checks they exist).
const sourceCatalog = new SourceCatalog(
    "source-catalog",
    {
        connection: postgres.adminConnection,
        tables: [...config.capture.tables, postgres.heartbeatTable],
        keys: config.capture.keys,
        reservedColumns: flatRecordReservedFields(),
    },
    { dependsOn: [postgres.bootstrap] },
);
// The heartbeat table reaches ADX too: verify measures latency with it, and its freshness function shows lag continuously.
const heartbeat = {
    table: postgres.heartbeatTable,
    topic: topicForTable(config.capture.topicPrefix, postgres.heartbeatTable),
    names: adxNamesFor(postgres.heartbeatTable),
    freshnessFunction: freshnessFunctionName(postgres.heartbeatTable),
};

// One KqlSchema per captured table: the model generated from the catalog, then the table's overlay.
const kqlSchemas = captured.map((m) => {
    const scripts = sourceCatalog.described.apply((described) => {
        const table = describedTable(described, m.table);
        return adxModelScripts(
            table,
            { key: table.key, streamingIngestion: config.adx.streamingIngestion, currentStateRetentionDays: config.adx.currentStateRetentionDays },
            m.overlay,
        );
    });
    return new KqlSchema(
        `kql-${m.table}`,
        { clusterUri: adxQueryUri, database: config.adx.databaseName, scripts, retainData: config.adx.retainDataOnDestroy },
        { dependsOn: adx ? [adx.deployerAdmin] : [] },
    );
});
kqlSchemas.push(
    new KqlSchema(
        "kql-heartbeat",
        {
            clusterUri: adxQueryUri,
            database: config.adx.databaseName,
            scripts: sourceCatalog.described.apply((described) =>
                heartbeatModelScripts(describedTable(described, heartbeat.table), { streamingIngestion: config.adx.streamingIngestion }),
            ),
            retainData: config.adx.retainDataOnDestroy,
        },
        { dependsOn: adx ? [adx.deployerAdmin] : [] },
    ),
);

const sourceConnectorName = `${config.capture.topicPrefix}-postgres-source`;
const sourceConnector = new KafkaConnector(
    "debezium-source",
    {
        connectUrl: kafka.connectRestUrl,
        standbyConnectUrls: kafka.connectRestUrls.slice(1),
        connectorName: sourceConnectorName,
        adoptExisting: config.kafka.adoptExistingConnectors,
        config: postgres.connectEndpoint.host.apply((host) =>
            buildDebeziumSourceConfig({
                connectorName: sourceConnectorName,
                database: {
                    host,
                    port: postgres.connectEndpoint.port,
                    name: postgres.databaseName,
                    user: postgres.replicationUser,
                    passwordEnvVar: WORKER_SECRET_ENV.postgresReplicationPassword,
                    sslMode: postgres.connectEndpoint.sslMode,
                },
                tables: config.capture.tables,
                keyColumns: config.capture.keys,
                topicPrefix: config.capture.topicPrefix,
                slotName: postgres.slotName,
                publicationName: postgres.publicationName,
                heartbeatTable: postgres.heartbeatTable,
                signalTable: postgres.signalTable,
                slotFailover: needsFailoverSlot(config.postgres),
                compression: config.kafka.compression,
            }),
        ),
    },
    { dependsOn: [postgres.bootstrap, ...kafka.connectWorkers] },
);

const sinkConnectorName = `${config.capture.topicPrefix}-adx-sink`;
const deadLetterTopic = deadLetterTopicFor(config.capture.topicPrefix);
const sinkConnector = new KafkaConnector(
    "kusto-sink",
    {
        connectUrl: kafka.connectRestUrl,
        standbyConnectUrls: kafka.connectRestUrls.slice(1),
        connectorName: sinkConnectorName,
        adoptExisting: config.kafka.adoptExistingConnectors,
        config: pulumi.all([adxIngestionUri, adxQueryUri, sinkIdentity.appId, client.tenantId]).apply(([ingestionUrl, queryUrl, appId, tenantId]) =>
            buildKustoSinkConfig({
                connectorName: sinkConnectorName,
                ingestionUrl,
                queryUrl,
                auth:
                    sinkIdentity.kind === "managedIdentity"
                        ? { strategy: "managed_identity", clientId: appId }
                        : { strategy: "application", tenantId, appId, appKeyEnvVar: WORKER_SECRET_ENV.kustoSinkAppKey },
                targets: [...captured, heartbeat].map((m) => ({
                    topic: m.topic,
                    database: config.adx.databaseName,
                    table: m.names.changes,
                    mapping: m.names.mapping,
                    streaming: config.adx.streamingIngestion,
                })),
                deadLetterTopic,
                deadLetterReplicationFactor: KAFKA_REPLICATION_FACTOR,
            }),
        ),
    },
    { dependsOn: [...kqlSchemas, sinkIdentity.ingestorGrant, ...kafka.connectWorkers] },
);

// A table that joins capture.tables later is backfilled by an incremental snapshot, requested once
// the source connector captures it and the sink delivers its topic to its ADX model.
new IncrementalSnapshot(
    "incremental-snapshot",
    {
        connection: postgres.adminConnection,
        signalTable: postgres.signalTable,
        connectUrl: kafka.connectRestUrl,
        connectorName: sourceConnectorName,
        tables: config.capture.tables,
        tableColumns: sourceCatalog.described.apply((described) =>
            Object.fromEntries(described.filter((t) => config.capture.tables.includes(t.qualifiedName)).map((t) => [t.qualifiedName, t.columns.map((c) => c.name)])),
        ),
    },
    { dependsOn: [sourceConnector, sinkConnector] },
);

if (config.generator.enabled) {
    new OrdersGenerator(
        "orders-generator",
        {
            rate: config.generator.rate,
            updates: config.generator.updates,
            deletes: config.generator.deletes,
            imageName: names.generatorImage,
            containerName: names.generatorContainer,
            networkName: kafka.network.name,
            postgresHost: postgres.connectEndpoint.host,
            postgresPort: postgres.connectEndpoint.port,
            sslMode: postgres.connectEndpoint.sslMode,
            database: postgres.databaseName,
            user: config.postgres.administratorLogin,
            password: adminPassword,
        },
        { dependsOn: [sourceConnector] },
    );
}

export { adxQueryUri, adxIngestionUri };
export const adxDatabase = config.adx.databaseName;
export const postgresHost = postgres.adminEndpoint.host;
export const postgresDatabase = postgres.databaseName;
export const replicationSlot = postgres.slotName;
export const connectRestUrl = kafka.connectRestUrl;
/** Event Hubs mode: the namespace, and the Kafka clients' connection string (a secret; `pulumi stack output --show-secrets`). */
export const eventHubsNamespace = eventHubs?.namespace.name;
export const eventHubsConnectionString = eventHubs?.connectionString;
export const topics = captured.map((m) => m.topic);
export const connectorNames = { source: sourceConnector.connectorName, sink: sinkConnector.connectorName };
/** The ADX web UI on each captured table's current state and on the functions of its overlay (kql/<table>/). */
export const analyticsLinks = adxWebUiLinks(adxQueryUri, config.adx.databaseName, [
    ...captured.map((m) => m.names.currentState),
    ...captured.flatMap((m) => functionsDefinedIn(m.overlay)),
]);
/** A managed identity the stack created for the sink: attach it to the Docker host once (`az vm identity assign ... --identities <this>`). */
export const sinkManagedIdentityResourceId = sinkIdentity.managedIdentityResourceId;
/** Everything `npm run status` and `npm run verify` need (operations/stackOutputs.ts); no secrets. */
export const operations: pulumi.Output<OperationsOutputs> = pulumi
    .all([
        postgres.adminEndpoint.host,
        adxQueryUri,
        sourceCatalog.described,
        kafka.hostBootstrapServers,
        sinkIdentity.appId,
        sinkIdentity.clientSecretExpiresAt ?? "",
        sinkIdentity.managedIdentityResourceId ?? "",
    ])
    .apply(([pgHost, queryUri, described, kafkaBootstrapServers, sinkClientId, clientSecretExpiresAt, managedIdentityResourceId]) => ({
        connectRestUrl: kafka.connectRestUrl,
        connectWorkerUrls: kafka.connectRestUrls,
        connectors: { source: sourceConnectorName, sink: sinkConnectorName },
        kafkaBootstrapServers,
        // Event Hubs: operator commands authenticate as the workers do, with the connection string from their environment.
        ...(eventHubs ? { kafkaAuthentication: eventHubsOperatorAuthentication() } : {}),
        topics,
        deadLetterTopic,
        sinkIdentity: {
            kind: sinkIdentity.kind,
            clientId: sinkClientId,
            ...(clientSecretExpiresAt ? { clientSecretExpiresAt } : {}),
            ...(managedIdentityResourceId ? { managedIdentityResourceId } : {}),
        },
        postgres: {
            host: pgHost,
            port: postgres.adminEndpoint.port,
            database: postgres.databaseName,
            user: postgres.administratorLogin,
            sslMode: postgres.adminEndpoint.sslMode,
            slotName: postgres.slotName,
            signalTable: postgres.signalTable,
            walGuardLogTable: postgres.walGuardLogTable,
        },
        adx: {
            queryUri,
            database: config.adx.databaseName,
            tables: captured.map((m) => {
                const metadata = changeMetadataColumns((described.find((t) => t.qualifiedName === m.table)?.columns ?? []).map((c) => c.name));
                return {
                    sourceTable: m.table,
                    rawTable: m.names.changes,
                    functionName: m.names.currentState,
                    view: m.names.latest,
                    fences: m.names.fences,
                    keys: described.find((t) => t.qualifiedName === m.table)?.key ?? [],
                    recordColumn: metadata.record.column,
                    partitionColumn: metadata.kafkaPartition.column,
                    offsetColumn: metadata.kafkaOffset.column,
                };
            }),
            heartbeat: {
                sourceTable: heartbeat.table,
                rawTable: heartbeat.names.changes,
                functionName: heartbeat.names.currentState,
                view: heartbeat.names.latest,
                keys: ["id"],
                ...(({ record, kafkaPartition, kafkaOffset, sourceTs }) => ({
                    recordColumn: record.column,
                    partitionColumn: kafkaPartition.column,
                    offsetColumn: kafkaOffset.column,
                    sourceTsColumn: sourceTs.column,
                }))(changeMetadataColumns(describedTable(described, heartbeat.table).columns.map((c) => c.name))),
                freshnessFunction: heartbeat.freshnessFunction,
            },
        },
    }));
