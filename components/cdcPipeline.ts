// The whole pipeline as one component: PostgreSQL (Azure flexible server, existing server or
// container) → Debezium → Kafka (broker container or Event Hubs) → Kafka Connect → the Kusto sink
// → the ADX model, and the operations contract `status`, `verify` and `reconcile` read. index.ts
// instantiates it from stack config; another Pulumi program imports it with its own settings.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import { existingAdxEndpoints, resolveAdxTarget } from "../config/adxSettings";
import { defaultIdentityTables } from "../config/captureSettings";
import { sourceTopicCreation, stackTopics, tablePartitions } from "../config/kafkaSettings";
import { sinkReadPartitions } from "../connectors/kafkaTopics";
import { eventHubsAllowedCidrs, parseStackConfig, StackConfig, StackConfigInput } from "../config/stackConfig";
import { EventHubsKafka } from "./eventHubsKafka";
import { TopicPartitionsGuard } from "../connectors/topicPartitionsGuard";
import { resourceNames } from "./resourceNames";
import { lookupDeployerIp } from "./deployerIp";
import { AdxCluster } from "./adx";
import { SinkIdentity } from "./sinkIdentity";
import { AdxDatabaseAccess } from "./adxDatabaseRole";
import { ReplicationCredentials } from "./replicationCredentials";
import { PostgresServerPlacement, PostgresSource } from "./postgres";
import { postgresContainerImage } from "./postgresContainer";
import { KAFKA_REPLICATION_FACTOR, KafkaBrokerTarget, KafkaPlatform } from "./kafkaPlatform";
import { OrdersGenerator } from "./ordersGenerator";
import { KafkaConnector } from "../connectors/kafkaConnector";
import { buildDebeziumSourceConfig } from "../connectors/debeziumSource";
import { flatRecordReservedFields } from "../contract/recordFields";
import { buildKustoSinkConfig } from "../connectors/kustoSink";
import { STACK_CONNECT_GROUP_ID, STACK_WORKER_SECRETS_DIR, workerSecretReference } from "../connectors/workerSettings";
import { KqlSchema } from "../kql/kqlSchema";
import { FAILED_TASK_ALERT, failedTasksQuery, initialSnapshotRunning, WORKER_HEALTH_ADX, workerHealthModelScripts } from "../kql/workerHealthModel";
import { functionsDefinedIn, loadOverlayScripts } from "../kql/kqlModel";
import { adxModelScripts, adxTableReference, changeTableGenerations, heartbeatModelScripts, heartbeatStalledQuery } from "../kql/adxModel";
import { describedTable, SourceCatalog } from "../postgres/sourceCatalogResource";
import { capturedTableShapes, IncrementalSnapshot } from "../postgres/incrementalSnapshot";
import { adxWebUiLinks } from "./adxLinks";
import { alertActionGroup } from "./alertRecipients";
import { PipelineStalledAlert } from "./pipelineStalledAlert";
import { buildAzureServerParameters, buildLogicalReplicationParameters, needsFailoverSlot } from "../postgres/serverParameters";
import { walGuardLimitBytes } from "../postgres/walGuard";
import { GENERATOR_USER, OPERATOR_USER } from "../postgres/sourceSchema";
import { OperationsOutputs } from "../contract/stackOutputs";
import { eventHubsOperatorAuthentication, eventHubsTokenResource } from "../connectors/workerSettings";
import { brokerHostOperatorAuthentication } from "./kafkaBrokerSettings";
import { buildOperationsOutputs } from "../plan/operationsOutputs";
import { planPipeline, sinkTargets, workerHealthSinkTarget } from "../plan/pipelinePlan";
import { sourceConnectorInput } from "../plan/sourceConnectorInput";

/**
 * The settings of one pipeline: the shape of the stack config's `pg-adx-cdc:*` keys (every section
 * optional but `postgres`; docs/configuration.md lists each key, its default and its rules).
 */
export type CdcPipelineSettings = StackConfigInput;

export interface CdcPipelineArgs {
    /**
     * Validated and defaulted as the stack's config is, with the same errors naming the setting and the
     * fix. Plain values, not Inputs: the modes and the table list decide which resources exist, so they
     * must be known when the program runs (preview included).
     */
    settings: CdcPipelineSettings;
    /** The PostgreSQL administrator's password (a secret; never stored as a resource input). */
    postgresAdminPassword: pulumi.Input<string>;
    /** Goes into the Azure and Docker names (resource group, server, containers); 1-12 lower-case letters, digits or -. Default: the stack name. */
    environment?: string;
    /**
     * For stacks deployed before this component existed, whose resources sat at the stack's top level
     * under the part names (`postgres`, `kafka`, ...): aliases to those URNs, so `pulumi up` moves them
     * under the component instead of replacing them. index.ts sets it; a new program does not need it.
     */
    aliasTopLevel?: boolean;
}

/** What every part of one pipeline is built from: its validated settings, its names and plan, and how its children are named and placed. */
interface PipelineContext {
    name: string;
    config: StackConfig;
    names: ReturnType<typeof resourceNames>;
    plan: ReturnType<typeof planPipeline>;
    /** Per captured table: its plan and its hand-written overlay, if any. */
    captured: (ReturnType<typeof planPipeline>["tables"][number] & { overlay: ReturnType<typeof loadOverlayScripts> })[];
    client: pulumi.Output<azuread.GetClientConfigResult>;
    adxTarget: ReturnType<typeof resolveAdxTarget>;
    /** A child of this pipeline, named `${name}-<part>`; with aliasTopLevel, it keeps the URN it had at the stack's top level. */
    part: (suffix: string, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;
    childName: (suffix: string) => string;
    /** The resource group and the name suffix of what the stack creates in Azure; made when first needed (never on the free path). */
    azureHome: () => { suffix: random.RandomString; resourceGroup: resources.ResourceGroup };
    /** The action group every alert tells (alerts.emails), or none. */
    alertActions: () => { id: pulumi.Output<string> } | undefined;
    /** Whether the stack deploys into an Azure subscription (anything made azureHome). */
    hasAzureHome: () => boolean;
}

export class CdcPipeline extends pulumi.ComponentResource {
    public readonly adxQueryUri: pulumi.Output<string>;
    public readonly adxIngestionUri: pulumi.Output<string>;
    public readonly adxDatabase: string;
    public readonly postgresHost: pulumi.Output<string>;
    public readonly postgresDatabase: string;
    public readonly replicationSlot: string;
    public readonly connectRestUrl: string;
    /** The operator commands' PostgreSQL password (role cdc_operator; a secret, read by the CLI). */
    public readonly postgresOperatorPassword: pulumi.Output<string>;
    /** The Connect REST API's password (a secret; operators export it as CDC_CONNECT_REST_PASSWORD). */
    public readonly connectRestPassword: pulumi.Output<string>;
    /** The stack's broker's host-listener password (a secret; kafka.mode container), for the operator commands. */
    public readonly kafkaOperatorPassword?: pulumi.Output<string>;
    /** Event Hubs mode: the namespace. */
    public readonly eventHubsNamespace?: pulumi.Output<string>;
    /** Event Hubs mode: the operators' Listen-only connection string (a secret); the workers' is no output. */
    public readonly eventHubsConnectionString?: pulumi.Output<string>;
    /** The captured tables' topics. */
    public readonly topics: string[];
    public readonly connectorNames: { source: pulumi.Output<string>; sink: pulumi.Output<string> };
    /** The ADX web UI on each captured table's current state and on the functions of its overlay (kql/<table>/). */
    public readonly analyticsLinks: pulumi.Output<Record<string, string>>;
    /** A managed identity the stack created for the sink: attach it to the Docker host once (`az vm identity assign ... --identities <this>`). */
    public readonly sinkManagedIdentityResourceId?: pulumi.Output<string>;
    /** Everything `status`, `verify` and `reconcile` need (contract/stackOutputs.ts); no secrets. */
    public readonly operations: pulumi.Output<OperationsOutputs>;

    constructor(name: string, args: CdcPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
        // Bad settings fail here, naming each key and the fix, before anything is registered.
        const environment = args.environment ?? pulumi.getStack();
        const config = parseStackConfig(args.settings as Record<string, unknown>, environment);
        super("pg-adx-cdc:index:CdcPipeline", name, {}, opts);
        const names = resourceNames(environment);
        const adminPassword = args.postgresAdminPassword;
        /** A child of this pipeline, named `${name}-<part>`; with aliasTopLevel, it keeps the URN it had at the stack's top level. */
        const part = (suffix: string, opts: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            ...opts,
            parent: this,
            ...(args.aliasTopLevel ? { aliases: [{ name: suffix, parent: pulumi.rootStackResource }] } : {}),
        });
        const childName = (suffix: string) => `${name}-${suffix}`;
        const self = this;
        // Entra (not ARM) identity of the deployer: works without an Azure subscription (free path).
        const client = azuread.getClientConfigOutput();
        const adxTarget = resolveAdxTarget(config.adx);
        let home: { suffix: random.RandomString; resourceGroup: resources.ResourceGroup } | undefined;
        /** The resource group and the name suffix of what the stack creates in Azure; made when first needed (never on the free path). */
        function azureHome() {
            // ADX cluster and PostgreSQL server names are global DNS names: a short random suffix keeps them unique.
            home ??= {
                suffix: new random.RandomString(childName("name-suffix"), { length: 6, special: false, upper: false }, part("name-suffix")),
                resourceGroup: new resources.ResourceGroup(childName("resource-group"), { resourceGroupName: names.resourceGroup }, part("resource-group")),
            };
            return home;
        }
        let actionGroup: ReturnType<typeof alertActionGroup> | undefined;
        /** The action group every alert tells (alerts.emails); made when first needed, and only when someone is to be e-mailed. */
        function alertActions() {
            if (config.alerts.emails.length === 0) return undefined;
            actionGroup ??= alertActionGroup(
                childName("alert-actions"),
                { resourceGroupName: azureHome().resourceGroup.name, emails: config.alerts.emails },
                // It was the Azure server's child (postgres.alertEmails) before every alert shared it.
                { parent: self, aliases: movedActionGroupAliases(self, name, args.aliasTopLevel === true) },
            );
            return actionGroup;
        }
        // Every name the pipeline's parts go by (topics, ADX objects, connectors, PostgreSQL objects), from the capture settings alone.
        const plan = planPipeline(config.capture);
        // Per captured table: its plan and its hand-written overlay, if any.
        const captured = plan.tables.map((planned) => ({ ...planned, overlay: loadOverlayScripts(planned.table) }));
        const ctx: PipelineContext = { name, config, names, plan, captured, client, adxTarget, part, childName, azureHome, alertActions, hasAzureHome: () => home !== undefined };

        const { adx, adxQueryUri, adxIngestionUri, adxDatabaseAccess, sinkIdentity } = this.adxAndSinkIdentity(ctx);
        const replicationCredentials = new ReplicationCredentials(childName("replication-credentials"), {}, part("replication-credentials"));
        // The operator commands' own PostgreSQL role (status, verify, snapshot, reconcile): not the admin.
        const operatorCredentials = new ReplicationCredentials(childName("operator-credentials"), {}, part("operator-credentials"));
        // The orders generator's own role, when it runs: it writes the demo table only.
        const generatorCredentials = config.generator.enabled ? new ReplicationCredentials(childName("generator-credentials"), {}, part("generator-credentials")) : undefined;

        const { eventHubs, kafka } = this.kafkaPlatform(ctx, { replicationCredentials, sinkIdentity });
        const { postgres, sourceCatalog } = this.postgresSource(ctx, { kafka, adminPassword, replicationCredentials, operatorCredentials, generatorCredentials });
        const kqlSchemas = this.adxModel(ctx, { adx, adxQueryUri, sourceCatalog });
        const { sourceConnector, sinkConnector } = this.connectors(ctx, {
            adxQueryUri,
            adxIngestionUri,
            sinkIdentity,
            kafka,
            postgres,
            sourceCatalog,
            kqlSchemas,
            generatorCredentials,
        });

        this.adxQueryUri = adxQueryUri;
        this.adxIngestionUri = adxIngestionUri;
        this.adxDatabase = config.adx.databaseName;
        this.postgresHost = postgres.adminEndpoint.host;
        this.postgresDatabase = postgres.databaseName;
        this.replicationSlot = postgres.slotName;
        this.connectRestUrl = kafka.connectRestUrl;
        this.postgresOperatorPassword = operatorCredentials.password;
        this.connectRestPassword = pulumi.secret(kafka.connectRestCredentials.apply((c) => c.password));
        this.kafkaOperatorPassword = kafka.brokerHostPassword;
        /** Event Hubs mode: the namespace, and the operators' Listen-only connection string (a secret; `pulumi stack output --show-secrets`); the workers' Listen+Send one is no output. */
        this.eventHubsNamespace = eventHubs?.namespace.name;
        this.eventHubsConnectionString = eventHubs?.operatorConnectionString;
        this.topics = captured.map((m) => m.topic);
        this.connectorNames = { source: sourceConnector.connectorName, sink: sinkConnector.connectorName };
        /** The ADX web UI on each captured table's current state and on the functions of its overlay (kql/<table>/). */
        this.analyticsLinks = adxWebUiLinks(adxQueryUri, config.adx.databaseName, [
            ...captured.map((m) => m.adx.currentState),
            ...captured.flatMap((m) => functionsDefinedIn(m.overlay)),
        ]);
        /** A managed identity the stack created for the sink: attach it to the Docker host once (`az vm identity assign ... --identities <this>`). */
        this.sinkManagedIdentityResourceId = sinkIdentity.managedIdentityResourceId;
        /** Everything `npm run status` and `npm run verify` need (contract/stackOutputs.ts); no secrets. */
        this.operations = this.operationsOutputs(ctx, { adxQueryUri, sinkIdentity, kafka, eventHubs, postgres, sourceCatalog });
        // Every stack that deploys into an Azure subscription (or captures an existing Azure server) is told when changes stop reaching ADX.
        if (ctx.hasAzureHome() || config.postgres.existingServer) {
            new PipelineStalledAlert(
                childName("stalled-alert"),
                {
                    resourceGroupName: azureHome().resourceGroup.name,
                    location: azureHome().resourceGroup.location,
                    resourceName: names.stalledAlert,
                    query: this.operations.apply((o) =>
                        heartbeatStalledQuery(
                            adxTableReference(o.adx.queryUri, o.adx.database, o.adx.heartbeat.rawTable),
                            o.adx.heartbeat.sourceTsColumn,
                            config.alerts.maxHeartbeatAgeSeconds,
                            // Quiet while the workers' health records say the initial snapshot runs (no heartbeat until it ends).
                            initialSnapshotRunning(adxTableReference(o.adx.queryUri, o.adx.database, WORKER_HEALTH_ADX.table), plan.topicPrefix),
                        ),
                    ),
                    maxHeartbeatAgeSeconds: config.alerts.maxHeartbeatAgeSeconds,
                    failedTasksQuery: this.operations.apply((o) =>
                        failedTasksQuery(
                            adxTableReference(o.adx.queryUri, o.adx.database, WORKER_HEALTH_ADX.table),
                            FAILED_TASK_ALERT.failingSeconds,
                            FAILED_TASK_ALERT.silenceSeconds,
                        ),
                    ),
                    databaseAccess: adxDatabaseAccess,
                    tenantId: client.tenantId,
                    actionGroupId: alertActions()?.id,
                },
                { parent: this, dependsOn: kqlSchemas },
            );
        }
        this.registerOutputs({
            adxQueryUri: this.adxQueryUri,
            adxIngestionUri: this.adxIngestionUri,
            topics: this.topics,
            connectorNames: this.connectorNames,
            operations: this.operations,
        });
    }

    /** The ADX cluster (when the stack owns it) and the sink's identity with its Ingestor grant. */
    private adxAndSinkIdentity(ctx: PipelineContext) {
        const { config, names, client, adxTarget, part, childName, azureHome } = ctx;
        const adx =
            adxTarget.mode === "owned"
                ? new AdxCluster(
                      childName("adx"),
                      {
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
                      },
                      part("adx"),
                  )
                : undefined;
        const { queryUri: adxQueryUri, ingestionUri: adxIngestionUri } = adx ?? existingAdxEndpoints(adxTarget);

        /** How an identity is granted a role on the database: ARM on a cluster the stack owns, KQL on another. */
        const adxDatabaseAccess: AdxDatabaseAccess = adx
            ? { kind: "arm", resourceGroupName: azureHome().resourceGroup.name, clusterName: adx.cluster.name, databaseName: config.adx.databaseName }
            : { kind: "kql", clusterUri: adxQueryUri, databaseName: config.adx.databaseName };
        const sinkIdentity = new SinkIdentity(
            childName("sink-identity"),
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
                databaseAccess: adxDatabaseAccess,
            },
            part("sink-identity", { dependsOn: adx ? [adx.database] : [] }),
        );
        return { adx, adxQueryUri, adxIngestionUri, adxDatabaseAccess, sinkIdentity };
    }

    /** Kafka (Event Hubs or the broker container) and the Connect workers. */
    private kafkaPlatform(ctx: PipelineContext, deps: { replicationCredentials: ReplicationCredentials; sinkIdentity: SinkIdentity }) {
        const { config, names, plan, part, childName, azureHome, client } = ctx;
        const { replicationCredentials, sinkIdentity } = deps;
        // Every topic the pipeline uses; on Event Hubs each is an event hub created before Connect starts.
        const kafkaTopics = stackTopics(plan, config.kafka);
        /** Event Hubs (namespace and one event hub per topic) or the broker container, as kafka.mode says. */
        function kafkaBroker(): { eventHubs?: EventHubsKafka; broker: KafkaBrokerTarget } {
            const kafkaConfig = config.kafka;
            // A Connect host with a managed identity reaches Event Hubs through Entra ID, and no key exists;
            // a host outside Azure has no identity to present, so it keeps the namespace's SAS key.
            const entra = config.sinkIdentity.kind === "managedIdentity";
            if (kafkaConfig.mode === "container") return { broker: { mode: "container", hostPort: kafkaConfig.kafkaPort } };
            // A captured table's partition count is fixed for the stack's life: a change is refused at preview.
            const dataTopics = plan.tables.map((t) => t.topic);
            const partitionsGuard = new TopicPartitionsGuard(
                childName("topic-partitions"),
                { topics: kafkaTopics.filter((t) => dataTopics.includes(t.name)).map((t) => ({ name: t.name, partitions: t.partitions })) },
                part("topic-partitions"),
            );
            const hubs = new EventHubsKafka(
                childName("event-hubs"),
                {
                    resourceGroupName: azureHome().resourceGroup.name,
                    location: azureHome().resourceGroup.location,
                    namespaceName: pulumi.interpolate`${names.eventHubsNamespace}-${azureHome().suffix.result}`,
                    // Basic is refused by config validation (no Kafka endpoint).
                    tier: kafkaConfig.eventHubs.tier === "Premium" ? "Premium" : "Standard",
                    capacity: kafkaConfig.eventHubs.capacity,
                    zoneRedundant: kafkaConfig.eventHubs.zoneRedundant,
                    topics: kafkaTopics,
                    allowedClientCidrs: eventHubsAllowedCidrs(config),
                    authentication: entra
                        ? {
                              kind: "entra",
                              workersPrincipalId: sinkIdentity.principalObjectId(),
                              // The deployer runs `status` first; anyone else is listed in kafka.eventHubs.operatorObjectIds.
                              operators: [
                                  { principalId: client.objectId, principalType: config.deployer.principalType === "App" ? "ServicePrincipal" : "User" },
                                  ...kafkaConfig.eventHubs.operatorObjectIds.map((principalId) => ({ principalId })),
                              ],
                          }
                        : { kind: "sharedAccessKey", keyRotation: kafkaConfig.eventHubs.keyRotation },
                },
                part("event-hubs", { dependsOn: [partitionsGuard] }),
            );
            return {
                eventHubs: hubs,
                broker: {
                    mode: "eventhubs",
                    bootstrapServers: hubs.bootstrapServers,
                    authentication: entra ? { kind: "managedIdentity", clientId: sinkIdentity.appId } : { kind: "sharedAccessKey", connectionString: hubs.connectionString! },
                    // The workers start once their identity may use the namespace.
                    topicsReady: [...hubs.eventHubs, ...hubs.roleAssignments],
                },
            };
        }
        const { eventHubs, broker } = kafkaBroker();

        const kafka = new KafkaPlatform(
            childName("kafka"),
            {
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
            },
            part("kafka"),
        );
        // A key rotation ends the old key only once every worker has moved to the new one.
        eventHubs?.retirePreviousWorkersKey(kafka.connectWorkers);
        return { eventHubs, kafka };
    }

    /** The PostgreSQL source (server, bootstrap) and its catalog of the captured tables. */
    private postgresSource(
        ctx: PipelineContext,
        deps: {
            kafka: KafkaPlatform;
            adminPassword: pulumi.Input<string>;
            replicationCredentials: ReplicationCredentials;
            operatorCredentials: ReplicationCredentials;
            generatorCredentials?: ReplicationCredentials;
        },
    ) {
        const { config, names, plan, part, childName, azureHome, alertActions } = ctx;
        const { kafka, adminPassword, replicationCredentials, operatorCredentials, generatorCredentials } = deps;
        const postgres = new PostgresSource(
            childName("postgres"),
            {
                server: postgresPlacement(config.postgres, { azureHome, alertActions, names, networkName: kafka.network.name }),
                databaseName: config.postgres.databaseName,
                administratorLogin: config.postgres.administratorLogin,
                replicationUser: config.postgres.replicationUser,
                tables: config.capture.tables,
                defaultIdentityTables: defaultIdentityTables(config.capture),
                createDemoTables: config.generator.enabled,
                objects: plan.postgres,
                administratorPassword: adminPassword,
                replicationPasswordVerifier: replicationCredentials.scramVerifier,
                operatorPasswordVerifier: operatorCredentials.scramVerifier,
                generatorPasswordVerifier: generatorCredentials?.scramVerifier,
                walGuardMaxRetainedWalBytes: config.postgres.walGuard ? walGuardLimitBytes(config.postgres.walGuard.maxRetainedWalGb) : undefined,
            },
            part("postgres"),
        );

        // The captured tables as PostgreSQL's catalog describes them (after the bootstrap, which checks they exist).
        const sourceCatalog = new SourceCatalog(
            childName("source-catalog"),
            {
                connection: postgres.adminConnection,
                tables: [...config.capture.tables, postgres.heartbeatTable],
                keys: config.capture.keys,
                reservedColumns: flatRecordReservedFields(),
            },
            part("source-catalog", { dependsOn: [postgres.bootstrap] }),
        );
        return { postgres, sourceCatalog };
    }

    /** The ADX model: one KqlSchema per captured table (generated, then its overlay) and the heartbeat's. */
    private adxModel(ctx: PipelineContext, deps: { adx?: AdxCluster; adxQueryUri: pulumi.Output<string>; sourceCatalog: SourceCatalog }) {
        const { config, plan, captured, part, childName } = ctx;
        const { adx, adxQueryUri, sourceCatalog } = deps;
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
                childName(`kql-${m.table}`),
                { clusterUri: adxQueryUri, database: config.adx.databaseName, scripts, retainData: config.adx.retainDataOnDestroy },
                part(`kql-${m.table}`, { dependsOn: adx ? [adx.deployerAdmin] : [] }),
            );
        });
        // The heartbeat table reaches ADX too: verify measures latency with it, and its freshness function shows lag continuously.
        kqlSchemas.push(
            new KqlSchema(
                childName("kql-heartbeat"),
                {
                    clusterUri: adxQueryUri,
                    database: config.adx.databaseName,
                    scripts: sourceCatalog.described.apply((described) =>
                        heartbeatModelScripts(describedTable(described, plan.heartbeat.table), { streamingIngestion: config.adx.streamingIngestion }),
                    ),
                    retainData: config.adx.retainDataOnDestroy,
                },
                part("kql-heartbeat", { dependsOn: adx ? [adx.deployerAdmin] : [] }),
            ),
        );
        // The workers' health records (failed tasks per worker, a minute): the failed-task alert reads them.
        kqlSchemas.push(
            new KqlSchema(
                childName("kql-worker-health"),
                {
                    clusterUri: adxQueryUri,
                    database: config.adx.databaseName,
                    scripts: workerHealthModelScripts({ streamingIngestion: config.adx.streamingIngestion }),
                    retainData: config.adx.retainDataOnDestroy,
                },
                part("kql-worker-health", { dependsOn: adx ? [adx.deployerAdmin] : [] }),
            ),
        );
        return kqlSchemas;
    }

    /** Debezium's source connector, the Kusto sink, the incremental snapshot of tables added later, and the orders generator when enabled. */
    private connectors(
        ctx: PipelineContext,
        deps: {
            adxQueryUri: pulumi.Output<string>;
            adxIngestionUri: pulumi.Output<string>;
            sinkIdentity: SinkIdentity;
            kafka: KafkaPlatform;
            postgres: PostgresSource;
            sourceCatalog: SourceCatalog;
            kqlSchemas: KqlSchema[];
            generatorCredentials?: ReplicationCredentials;
        },
    ) {
        const { config, names, plan, client, part, childName } = ctx;
        const { adxQueryUri, adxIngestionUri, sinkIdentity, kafka, postgres, sourceCatalog, kqlSchemas, generatorCredentials } = deps;
        const { source: sourceConnectorName, sink: sinkConnectorName } = plan.connectors;
        const sourceConnector = new KafkaConnector(
            childName("debezium-source"),
            {
                connectUrl: kafka.connectRestUrl,
                standbyConnectUrls: kafka.connectRestUrls.slice(1),
                connectCredentials: kafka.connectRestCredentials,
                connectorName: sourceConnectorName,
                adoptExisting: config.kafka.adoptExistingConnectors,
                config: pulumi.all([postgres.connectEndpoint.host, sourceCatalog.described]).apply(([host, described]) =>
                    buildDebeziumSourceConfig(
                        sourceConnectorInput(plan, described, {
                            database: {
                                host,
                                port: postgres.connectEndpoint.port,
                                name: postgres.databaseName,
                                user: postgres.replicationUser,
                                passwordReference: workerSecretReference(STACK_WORKER_SECRETS_DIR, "postgresReplicationPassword"),
                                sslMode: postgres.connectEndpoint.sslMode,
                            },
                            slotFailover: needsFailoverSlot(config.postgres),
                            compression: config.kafka.compression,
                            topicCreation: sourceTopicCreation(config.kafka, plan.tables.length),
                        }),
                    ),
                ),
            },
            part("debezium-source", { dependsOn: [postgres.bootstrap, ...kafka.connectWorkers] }),
        );

        const sinkConnector = new KafkaConnector(
            childName("kusto-sink"),
            {
                connectUrl: kafka.connectRestUrl,
                standbyConnectUrls: kafka.connectRestUrls.slice(1),
                connectCredentials: kafka.connectRestCredentials,
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
                                : { strategy: "application", tenantId, appId, appKeyReference: workerSecretReference(STACK_WORKER_SECRETS_DIR, "kustoSinkAppKey") },
                        targets: [
                            ...sinkTargets([...plan.tables, plan.heartbeat], config.adx.databaseName, config.adx.streamingIngestion),
                            workerHealthSinkTarget(STACK_CONNECT_GROUP_ID, config.adx.databaseName, config.adx.streamingIngestion),
                        ],
                        topicPartitions: sinkReadPartitions(plan.tables.length, tablePartitions(config.kafka, plan.tables.length), { heartbeat: true, workerHealth: true }),
                        deadLetterTopic: plan.deadLetterTopic,
                        deadLetterReplicationFactor: KAFKA_REPLICATION_FACTOR,
                    }),
                ),
            },
            part("kusto-sink", { dependsOn: [...kqlSchemas, sinkIdentity.ingestorGrant, ...kafka.connectWorkers] }),
        );

        // A table that joins capture.tables later is backfilled by an incremental snapshot, requested once
        // the source connector captures it and the sink delivers its topic to its ADX model.
        new IncrementalSnapshot(
            childName("incremental-snapshot"),
            {
                connection: postgres.adminConnection,
                signalTable: postgres.signalTable,
                connectUrl: kafka.connectRestUrl,
                connectCredentials: kafka.connectRestCredentials,
                connectorName: sourceConnectorName,
                tables: config.capture.tables,
                tableColumns: sourceCatalog.described.apply((described) => capturedTableShapes(described, config.capture.tables).tableColumns),
                tableColumnTypes: sourceCatalog.described.apply((described) => capturedTableShapes(described, config.capture.tables).tableColumnTypes),
                tableRelations: sourceCatalog.described.apply((described) => capturedTableShapes(described, config.capture.tables).tableRelations),
                tableEnumLabels: sourceCatalog.described.apply((described) => capturedTableShapes(described, config.capture.tables).tableEnumLabels),
                tablePartitions: sourceCatalog.described.apply((described) => capturedTableShapes(described, config.capture.tables).tablePartitions),
                topicPrefix: config.capture.topicPrefix,
                defaultIdentityTables: defaultIdentityTables(config.capture),
                adxTableGenerations: pulumi
                    .all(kqlSchemas.map((s) => s.tableGenerations))
                    .apply((all) => changeTableGenerations(config.capture.tables, Object.assign({}, ...all.map((g) => g ?? {})))),
            },
            part("incremental-snapshot", { dependsOn: [sourceConnector, sinkConnector] }),
        );

        if (generatorCredentials) {
            new OrdersGenerator(
                childName("orders-generator"),
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
                    user: GENERATOR_USER,
                    password: generatorCredentials.password,
                },
                part("orders-generator", { dependsOn: [sourceConnector] }),
            );
        }
        return { sourceConnector, sinkConnector };
    }

    /** Everything `status`, `verify` and `reconcile` need (contract/stackOutputs.ts); no secrets. */
    private operationsOutputs(
        ctx: PipelineContext,
        deps: {
            adxQueryUri: pulumi.Output<string>;
            sinkIdentity: SinkIdentity;
            kafka: KafkaPlatform;
            eventHubs?: EventHubsKafka;
            postgres: PostgresSource;
            sourceCatalog: SourceCatalog;
        },
    ): pulumi.Output<OperationsOutputs> {
        const { config, plan } = ctx;
        const { adxQueryUri, sinkIdentity, kafka, eventHubs, postgres, sourceCatalog } = deps;
        const operations = pulumi
            .all([
                postgres.adminEndpoint.host,
                adxQueryUri,
                sourceCatalog.described,
                kafka.hostBootstrapServers,
                sinkIdentity.appId,
                sinkIdentity.clientSecretExpiresAt ?? "",
                sinkIdentity.managedIdentityResourceId ?? "",
            ])
            .apply(([pgHost, queryUri, described, kafkaBootstrapServers, sinkClientId, clientSecretExpiresAt, managedIdentityResourceId]) =>
                buildOperationsOutputs({
                    plan,
                    described,
                    defaultIdentityTables: defaultIdentityTables(config.capture),
                    connect: { restUrl: kafka.connectRestUrl, workerUrls: kafka.connectRestUrls },
                    // The stack's broker: its host listener's password from the operator's environment. Event Hubs: the
                    // operator's own Entra login (Data Receiver), or the Listen-only connection string where the namespace keeps SAS.
                    kafka: {
                        bootstrapServers: kafkaBootstrapServers,
                        authentication: !eventHubs
                            ? brokerHostOperatorAuthentication()
                            : eventHubs.connectionString
                              ? eventHubsOperatorAuthentication("sharedAccessKey")
                              : eventHubsOperatorAuthentication("managedIdentity", eventHubsTokenResource(kafkaBootstrapServers)),
                    },
                    postgres: {
                        host: pgHost,
                        port: postgres.adminEndpoint.port,
                        database: postgres.databaseName,
                        // The operator commands' own role (postgres/sourceSchema.ts OPERATOR_USER), not the admin.
                        user: OPERATOR_USER,
                        sslMode: postgres.adminEndpoint.sslMode,
                    },
                    adx: { queryUri, database: config.adx.databaseName },
                    sinkIdentity: {
                        kind: sinkIdentity.kind,
                        clientId: sinkClientId,
                        ...(clientSecretExpiresAt ? { clientSecretExpiresAt } : {}),
                        ...(managedIdentityResourceId ? { managedIdentityResourceId } : {}),
                    },
                }),
            );
        return operations;
    }
}

/**
 * The URNs the shared action group had as the Azure server's child (`<pipeline>-postgres-azure-alerts`),
 * and, for stacks from before the component, at the top level (`postgres-azure-alerts`): full URNs, since
 * the server registers after the group and an alias through its parent could not be resolved yet.
 */
function movedActionGroupAliases(pipeline: pulumi.Resource, name: string, topLevel: boolean): pulumi.Input<string>[] {
    const type = "azure-native:monitor:ActionGroup";
    const under = (pg: string, parent?: pulumi.Input<string>) =>
        pulumi.createUrn(
            `${pg}-azure-alerts`,
            type,
            pulumi.createUrn(`${pg}-azure`, "pg-adx-cdc:index:AzurePostgresServer", pulumi.createUrn(pg, "pg-adx-cdc:index:PostgresSource", parent)),
        );
    return [under(`${name}-postgres`, pipeline.urn), ...(topLevel ? [under("postgres")] : [])];
}

/** A state config validation rules out; reaching it is a bug in the validation. */
function unreachable(what: string): never {
    throw new Error(`internal error: ${what}`);
}

/**
 * Where PostgreSQL runs, from `pg-adx-cdc:postgres` (its mode decides which server component the source
 * creates). `azureHome` makes the resource group and name suffix when first needed (never on the free path).
 */
export function postgresPlacement(
    pg: StackConfig["postgres"],
    context: {
        azureHome: () => { suffix: random.RandomString; resourceGroup: resources.ResourceGroup };
        alertActions: () => { id: pulumi.Output<string> } | undefined;
        names: ReturnType<typeof resourceNames>;
        networkName: pulumi.Input<string>;
    },
): PostgresServerPlacement {
    const { azureHome, names } = context;
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
                actionGroupId: context.alertActions()?.id,
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
                          actionGroupId: context.alertActions()?.id,
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
                networkName: context.networkName,
            };
    }
}
