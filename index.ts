// pg-adx-cdc: PostgreSQL → Debezium → Kafka → Azure Data Explorer, one `pulumi up` per stack.
// Composition only: read config, build the components, register connectors, export outputs.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import * as authorization from "@pulumi/azure-native/authorization";
import { loadStackConfig, requirePostgresAdminPassword, resourceNames } from "./components/config";
import { lookupDeployerIp } from "./components/deployerIp";
import { AdxCluster } from "./components/adx";
import { SinkIdentity } from "./components/sinkIdentity";
import { PostgresSource } from "./components/postgres";
import { KafkaPlatform } from "./components/kafkaPlatform";
import { OrdersGenerator } from "./components/ordersGenerator";
import { KafkaConnector } from "./connectors/kafkaConnector";
import { buildDebeziumSourceConfig, topicForTable } from "./connectors/debeziumSource";
import { buildKustoSinkConfig } from "./connectors/kustoSink";
import { WORKER_SECRET_ENV } from "./connectors/workerSettings";
import { KqlSchema } from "./kql/kqlSchema";
import { loadKqlScripts, sinkTargetOf } from "./kql/kqlModel";
import { adxWebUiLinks } from "./components/adxLinks";

const config = loadStackConfig();
const stack = pulumi.getStack();
const names = resourceNames(stack);
const adminPassword = requirePostgresAdminPassword();
const client = authorization.getClientConfigOutput();
// ADX cluster and PostgreSQL server names are global DNS names: a short random suffix keeps them unique.
const suffix = new random.RandomString("name-suffix", { length: 6, special: false, upper: false });
const resourceGroup = new resources.ResourceGroup("resource-group", { resourceGroupName: names.resourceGroup });
const kqlModels = config.capture.tables.map((table) => ({ table, scripts: loadKqlScripts(table) }));

const adx = new AdxCluster("adx", {
    resourceGroupName: resourceGroup.name,
    location: resourceGroup.location,
    clusterName: pulumi.interpolate`${names.adxCluster}${suffix.result}`.apply((n) => n.slice(0, 22)),
    skuName: config.adx.skuName,
    capacity: config.adx.capacity,
    autoStop: config.adx.autoStop,
    databaseName: config.adx.databaseName,
    softDeletePeriod: config.adx.softDeletePeriod,
    hotCachePeriod: config.adx.hotCachePeriod,
    deployerPrincipalId: config.deployer.principalType === "App" ? client.clientId : client.objectId,
    deployerPrincipalType: config.deployer.principalType,
    tenantId: client.tenantId,
});

const sinkIdentity = new SinkIdentity("sink-identity", {
    displayName: names.sinkApplication,
    rotationTrigger: config.sinkSecretRotation,
    tenantId: client.tenantId,
    resourceGroupName: resourceGroup.name,
    clusterName: adx.cluster.name,
    databaseName: config.adx.databaseName,
}, { dependsOn: [adx.database] });

const postgres = new PostgresSource("postgres", {
    resourceGroupName: resourceGroup.name,
    location: resourceGroup.location,
    serverName: pulumi.interpolate`${names.postgresServer}-${suffix.result}`,
    settings: config.postgres,
    tables: config.capture.tables,
    topicPrefix: config.capture.topicPrefix,
    administratorPassword: adminPassword,
    deployerIp: config.postgres.allowDeployerIp ? pulumi.output(lookupDeployerIp()) : undefined,
});

const kafka = new KafkaPlatform("kafka", {
    settings: config.kafka,
    networkName: names.dockerNetwork,
    kafkaContainerName: names.kafkaContainer,
    connectContainerName: names.connectContainer,
    connectImageName: names.connectImage,
    postgresReplicationPassword: postgres.replicationPassword,
    kustoSinkAppKey: sinkIdentity.clientSecret,
});

const kqlSchemas = kqlModels.map(
    (m) => new KqlSchema(`kql-${m.table}`, { clusterUri: adx.queryUri, database: config.adx.databaseName, scripts: m.scripts, retainData: config.adx.retainDataOnDestroy }, { dependsOn: [adx.deployerAdmin] }),
);

const sourceConnectorName = `${config.capture.topicPrefix}-postgres-source`;
const sourceConnector = new KafkaConnector(
    "debezium-source",
    {
        connectUrl: kafka.connectRestUrl,
        connectorName: sourceConnectorName,
        config: postgres.host.apply((host) =>
            buildDebeziumSourceConfig({
                connectorName: sourceConnectorName,
                database: { host, port: 5432, name: postgres.databaseName, user: postgres.replicationUser, passwordEnvVar: WORKER_SECRET_ENV.postgresReplicationPassword, sslMode: "require" },
                tables: config.capture.tables,
                topicPrefix: config.capture.topicPrefix,
                slotName: postgres.slotName,
                publicationName: postgres.publicationName,
                heartbeatTable: postgres.heartbeatTable,
            }),
        ),
    },
    { dependsOn: [postgres.bootstrap, kafka.connect] },
);

const sinkConnectorName = `${config.capture.topicPrefix}-adx-sink`;
const sinkConnector = new KafkaConnector(
    "kusto-sink",
    {
        connectUrl: kafka.connectRestUrl,
        connectorName: sinkConnectorName,
        config: pulumi.all([adx.ingestionUri, adx.queryUri, sinkIdentity.appId, client.tenantId]).apply(([ingestionUrl, queryUrl, appId, tenantId]) =>
            buildKustoSinkConfig({
                connectorName: sinkConnectorName,
                ingestionUrl,
                queryUrl,
                tenantId,
                appId,
                appKeyEnvVar: WORKER_SECRET_ENV.kustoSinkAppKey,
                targets: kqlModels.map((m) => {
                    const target = sinkTargetOf(m.scripts);
                    return { topic: topicForTable(config.capture.topicPrefix, m.table), database: config.adx.databaseName, table: target.table, mapping: target.mapping };
                }),
                bootstrapServers: kafka.internalBootstrapServers,
                deadLetterTopic: `${config.capture.topicPrefix}.adx-sink.dlq`,
            }),
        ),
    },
    { dependsOn: [...kqlSchemas, sinkIdentity.ingestorAssignment, kafka.connect] },
);

if (config.generator.enabled) {
    new OrdersGenerator("orders-generator", {
        settings: config.generator,
        imageName: names.generatorImage,
        containerName: names.generatorContainer,
        networkName: kafka.network.name,
        postgresHost: postgres.host,
        database: postgres.databaseName,
        user: config.postgres.administratorLogin,
        password: adminPassword,
    }, { dependsOn: [sourceConnector] });
}

export const adxQueryUri = adx.queryUri;
export const adxIngestionUri = adx.ingestionUri;
export const adxDatabase = config.adx.databaseName;
export const postgresHost = postgres.host;
export const postgresDatabase = postgres.databaseName;
export const replicationSlot = postgres.slotName;
export const connectRestUrl = kafka.connectRestUrl;
export const topics = config.capture.tables.map((t) => topicForTable(config.capture.topicPrefix, t));
export const connectorNames = { source: sourceConnector.connectorName, sink: sinkConnector.connectorName };
export const analyticsLinks = adxWebUiLinks(adx.queryUri, config.adx.databaseName);
