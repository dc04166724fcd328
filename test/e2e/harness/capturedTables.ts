// Captures a set of tables on the local pipeline as the stack does, in the stack's order: the source
// bootstrap (publication, replication user, replica identity), then (once the test has written the
// rows the snapshot should read) the ADX model and sink, then the Debezium source connector.
import { LocalPipeline } from "../../../local/localPipeline";
import { deployKustoSink, KustoSinkDeployment } from "../../../local/kustoSinkDeployment";
import { buildDebeziumSourceConfig } from "../../../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../../../postgres/scramVerifier";
import { OPERATOR_USER } from "../../../postgres/sourceSchema";
import { planPipeline } from "../../../plan/pipelinePlan";
import { sourceConnectorInput } from "../../../plan/sourceConnectorInput";

export interface TableCapture {
    /** The bootstrap provider's inputs, for a later update (a `pulumi up`). */
    bootstrapInputs: any;
    /** Deploys the ADX model and the sink, then starts the source connector; resolves once both run. */
    start(): Promise<{ sink: KustoSinkDeployment; connectorInputs: any }>;
}

/** Runs the source bootstrap for `tables` under `prefix`; `start()` then deploys the sink and the source connector. */
export async function bootstrapCapture(
    pipeline: LocalPipeline,
    options: {
        prefix: string;
        tables: string[];
        keys?: Record<string, string[]>;
        createDemoTables?: boolean;
        scramSalt: string;
        walGuardMaxRetainedWalBytes?: number;
        bootstrapTimeoutSeconds?: number;
        /** pg-adx-cdc:capture.replicaIdentity's "default" tables. */
        defaultIdentityTables?: string[];
    },
): Promise<TableCapture> {
    const plan = planPipeline({ topicPrefix: options.prefix, tables: options.tables });
    const names = plan.postgres;
    const connectorName = plan.connectors.source;
    const bootstrapInputs = {
        connection: pipeline.adminConnection,
        bootstrap: {
            tables: options.tables,
            ...(options.defaultIdentityTables ? { defaultIdentityTables: options.defaultIdentityTables } : {}),
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, options.scramSalt),
            // The operator commands' role, as the stack creates it (the operator commands under test connect as it).
            operator: { user: OPERATOR_USER, passwordVerifier: buildScramSha256Verifier(pipeline.operatorPassword, options.scramSalt) },
            ...(options.createDemoTables ? { createDemoTables: true } : {}),
        },
        slotName: names.slotName,
        ...(options.walGuardMaxRetainedWalBytes ? { walGuard: { ...names.walGuard, maxRetainedWalBytes: options.walGuardMaxRetainedWalBytes } } : {}),
        timeoutSeconds: options.bootstrapTimeoutSeconds ?? 60,
    };
    await sourceBootstrapProvider.create!(bootstrapInputs);
    return {
        bootstrapInputs,
        async start() {
            const sink = await deployKustoSink(pipeline, { topicPrefix: options.prefix, tables: options.tables, keys: options.keys, heartbeat: true });
            const connectorInputs = {
                connectUrl: pipeline.connectUrl,
                connectCredentials: pipeline.connectCredentials,
                connectorName,
                timeoutSeconds: 120,
                config: buildDebeziumSourceConfig(
                    sourceConnectorInput(
                        plan,
                        sink.models.map((m) => m.described),
                        pipeline.sourceDeployment,
                    ),
                ),
            };
            await kafkaConnectorProvider.create!(connectorInputs);
            return { sink, connectorInputs };
        },
    };
}
