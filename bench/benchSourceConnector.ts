// The source connector each bench run registers: its own slot and topics, in the bench's shared
// publication, configured by the stack's own builder (connectors/debeziumSource.ts).
import { LocalPipeline } from "../local/localPipeline";
import { buildDebeziumSourceConfig, DebeziumSourceInput } from "../connectors/debeziumSource";
import { sourceObjectNames } from "../postgres/sourceSchema";

/** The KafkaConnector provider's inputs for a bench run's source connector: the pipeline's deployment, `settings` as the run varies it (profile, topic partitions). */
export function benchSourceConnectorInputs(
    pipeline: LocalPipeline,
    run: { name: string; prefix: string; slot: string; tables: string[]; shared: ReturnType<typeof sourceObjectNames> },
    settings: Partial<DebeziumSourceInput> = {},
) {
    return {
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName: run.name,
        timeoutSeconds: 120,
        config: buildDebeziumSourceConfig({
            connectorName: run.name,
            ...pipeline.sourceDeployment,
            tables: run.tables,
            topicPrefix: run.prefix,
            slotName: run.slot,
            publicationName: run.shared.publicationName,
            heartbeatTable: run.shared.heartbeatTable,
            signalTable: run.shared.signalTable,
            ...settings,
        }),
    };
}
