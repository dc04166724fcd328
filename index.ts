// pg-adx-cdc: PostgreSQL → Debezium → Kafka → Azure Data Explorer, one `pulumi up` per stack.
// Composition only: the stack's config into one CdcPipeline (components/cdcPipeline.ts), its
// outputs out. Another Pulumi program uses the same component with its own settings (examples/).
import * as pulumi from "@pulumi/pulumi";
import { CdcPipeline, CdcPipelineSettings } from "./components/cdcPipeline";
import { readStackSettings, requirePostgresAdminPassword } from "./config/stackConfigSource";
import type { OperationsOutputs } from "./contract/stackOutputs";

const pipeline = new CdcPipeline("cdc", {
    // Raw as the CLI hands it; CdcPipeline validates it (errors name the pg-adx-cdc:* key).
    settings: readStackSettings() as CdcPipelineSettings,
    postgresAdminPassword: requirePostgresAdminPassword(),
    environment: pulumi.getStack(),
    // Stacks deployed before the component existed keep every resource (their URNs carry aliases).
    aliasTopLevel: true,
});

export const adxQueryUri = pipeline.adxQueryUri;
export const adxIngestionUri = pipeline.adxIngestionUri;
export const adxDatabase = pipeline.adxDatabase;
export const postgresHost = pipeline.postgresHost;
export const postgresDatabase = pipeline.postgresDatabase;
export const replicationSlot = pipeline.replicationSlot;
export const connectRestUrl = pipeline.connectRestUrl;
/** The Connect REST API's password (a secret): `export CDC_CONNECT_REST_PASSWORD="$(pulumi stack output --show-secrets connectRestPassword)"` for the operator commands. */
export const connectRestPassword = pipeline.connectRestPassword;
/** The stack's broker's host-listener password (a secret; kafka.mode container): `export CDC_KAFKA_PASSWORD="$(pulumi stack output --show-secrets kafkaOperatorPassword)"`. */
export const kafkaOperatorPassword = pipeline.kafkaOperatorPassword;
/** The operator commands' PostgreSQL password (role cdc_operator, a secret): status, verify, snapshot and reconcile read it themselves. */
export const postgresOperatorPassword = pipeline.postgresOperatorPassword;
/** Event Hubs mode: the namespace, and the operators' Listen-only connection string (a secret; `pulumi stack output --show-secrets`). */
export const eventHubsNamespace = pipeline.eventHubsNamespace;
export const eventHubsConnectionString = pipeline.eventHubsConnectionString;
export const topics = pipeline.topics;
export const connectorNames = pipeline.connectorNames;
/** The ADX web UI on each captured table's current state and on the functions of its overlay (kql/<table>/). */
export const analyticsLinks = pipeline.analyticsLinks;
/** A managed identity the stack created for the sink: attach it to the Docker host once (`az vm identity assign ... --identities <this>`). */
export const sinkManagedIdentityResourceId = pipeline.sinkManagedIdentityResourceId;
/** Everything `npm run status`, `verify` and `reconcile` need (contract/stackOutputs.ts); no secrets. */
export const operations: pulumi.Output<OperationsOutputs> = pipeline.operations;
