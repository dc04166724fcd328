// The source side the stack deploys, set up on the local pipeline with the stack's own code:
// bootstrap provider (tables, publication, heartbeat, replication user via SCRAM verifier), the
// Debezium config builder, the KafkaConnector provider, and a reader on the table's topic.
import type { Client } from "pg";
import { connectPostgres } from "../postgres/postgresClient";
import { LocalPipeline } from "./localPipeline";
import { readTopic, TopicReader } from "./topicReader";
import { buildDebeziumSourceConfig } from "../connectors/debeziumSource";
import { planPipeline } from "../plan/pipelinePlan";
import { sourceConnectorInput } from "../plan/sourceConnectorInput";
import { kafkaConnectorProvider } from "../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";
import { GENERATOR_USER, OPERATOR_USER } from "../postgres/sourceSchema";

export const CAPTURED_TABLE = "retail.orders_info";

export interface CapturedSource {
    admin: Client;
    reader: TopicReader;
    bootstrapInputs: any;
    connectorInputs: any;
    slotName: string;
    /** Rows inserted before the connector starts (they arrive through the snapshot). */
    preexistingRows: number;
    close(): Promise<void>;
}

/** The harness's admin session (trust auth, no TLS), opened the way the stack opens every connection. */
export async function adminClient(pipeline: LocalPipeline): Promise<Client> {
    return connectPostgres(pipeline.adminConnection, undefined, "pg-adx-cdc-e2e", "The e2e harness's PostgreSQL should be running (see its log in the work directory).");
}

/**
 * A session as any role of the harness's cluster (trust auth), e.g. its superuser, which the Azure-like runs
 * keep for the parties that are not the stack: the application and its tables' owner.
 */
export async function sessionAs(pipeline: LocalPipeline, user: string): Promise<Client> {
    return connectPostgres(
        { ...pipeline.adminConnection, user },
        undefined,
        "pg-adx-cdc-e2e",
        "The e2e harness's PostgreSQL should be running (see its log in the work directory).",
    );
}

export async function setUpCapturedSource(pipeline: LocalPipeline, options: { topicPrefix: string; connectorName: string; preexistingRows: number }): Promise<CapturedSource> {
    const plan = planPipeline({ topicPrefix: options.topicPrefix, tables: [CAPTURED_TABLE] });
    const names = plan.postgres;
    const admin = await adminClient(pipeline);
    const bootstrapInputs = {
        connection: pipeline.adminConnection,
        bootstrap: {
            tables: [CAPTURED_TABLE],
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "ZTJlLXNhbHQtMTIzNDU2Nzg="),
            // The operator commands' role, as the stack creates it (the operator commands under test connect as it).
            operator: { user: OPERATOR_USER, passwordVerifier: buildScramSha256Verifier(pipeline.operatorPassword, "ZTJlLXNhbHQtMTIzNDU2Nzg=") },
            // The orders generator's role, as the stack creates it with the demo tables.
            generator: { user: GENERATOR_USER, passwordVerifier: buildScramSha256Verifier(pipeline.operatorPassword, "Z2VuZXJhdG9yLXNhbHQtMTI=") },
            createDemoTables: true,
        },
        slotName: names.slotName,
        timeoutSeconds: 60,
    };
    const checkedBootstrap: any = await sourceBootstrapProvider.check!({}, bootstrapInputs);
    if (checkedBootstrap.failures) throw new Error(`bootstrap check failed: ${JSON.stringify(checkedBootstrap.failures)}`);
    await sourceBootstrapProvider.create!(bootstrapInputs);
    if (options.preexistingRows > 0) {
        await admin.query(
            `INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT 1 + g % 500, (g % 997) + 0.5, (ARRAY['Austin','Boston','Denver'])[1 + g % 3] FROM generate_series(1, $1::int) g`,
            [options.preexistingRows],
        );
    }
    const connectorInputs = {
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName: options.connectorName,
        timeoutSeconds: 120,
        // The demo table needs no text form and no key columns: no catalog read.
        config: buildDebeziumSourceConfig(sourceConnectorInput(plan, [], { ...pipeline.sourceDeployment, connectorName: options.connectorName })),
    };
    const checked: any = await kafkaConnectorProvider.check!({}, connectorInputs);
    if (checked.failures) throw new Error(`connector check failed: ${JSON.stringify(checked.failures)}`);
    const reader = await readTopic(pipeline.kafka, plan.tables[0].topic, pipeline.tablePartitions);
    await kafkaConnectorProvider.create!(connectorInputs);
    return {
        admin,
        reader,
        bootstrapInputs,
        connectorInputs,
        slotName: names.slotName,
        preexistingRows: options.preexistingRows,
        async close() {
            await reader.stop().catch(() => undefined);
            await admin.end().catch(() => undefined);
        },
    };
}
