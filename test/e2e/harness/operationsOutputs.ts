// The `operations` stack output (contract/stackOutputs.ts) as the stack would export it for a
// pipeline the harness runs: what the operator commands under test read with --outputs.
import { LocalPipeline } from "../../../local/localPipeline";
import { topicForTable } from "../../../connectors/debeziumSource";
import { deadLetterTopicFor } from "../../../connectors/kafkaTopics";
import { adxNamesFor, freshnessFunctionName } from "../../../kql/adxModel";
import { sourceObjectNames } from "../../../postgres/sourceSchema";
import { OperationsOutputs } from "../../../contract/stackOutputs";
import { ADX_DATABASE } from "../../../local/kustoSinkDeployment";

export function localOperationsOutputs(
    pipeline: LocalPipeline,
    options: { topicPrefix: string; sourceConnector: string; sinkConnector: string; tables: { name: string; keys: string[] }[]; queryUri?: string },
): OperationsOutputs {
    const objects = sourceObjectNames(options.topicPrefix);
    const adxTable = (name: string, keys: string[]) => {
        const names = adxNamesFor(name);
        return {
            sourceTable: name,
            rawTable: names.changes,
            functionName: names.currentState,
            view: names.latest,
            fences: names.fences,
            keys,
            recordColumn: "record",
            partitionColumn: "kafka_partition",
            offsetColumn: "kafka_offset",
        };
    };
    return {
        connectRestUrl: pipeline.connectUrl,
        connectWorkerUrls: pipeline.connectUrls,
        connectors: { source: options.sourceConnector, sink: options.sinkConnector },
        kafkaBootstrapServers: pipeline.kafka.bootstrapServers,
        ...(pipeline.kafka.authentication ? { kafkaAuthentication: pipeline.kafka.authentication } : {}),
        topics: options.tables.map((t) => topicForTable(options.topicPrefix, t.name)),
        deadLetterTopic: deadLetterTopicFor(options.topicPrefix),
        postgres: {
            host: "127.0.0.1",
            port: pipeline.postgres.port,
            database: pipeline.postgres.database,
            user: pipeline.postgres.adminUser,
            sslMode: "disable",
            slotName: objects.slotName,
            signalTable: objects.signalTable,
            walGuardLogTable: objects.walGuard.logTable,
        },
        adx: {
            queryUri: options.queryUri ?? pipeline.adx.url,
            database: ADX_DATABASE,
            tables: options.tables.map((t) => adxTable(t.name, t.keys)),
            heartbeat: { ...adxTable(objects.heartbeatTable, ["id"]), freshnessFunction: freshnessFunctionName(objects.heartbeatTable), sourceTsColumn: "source_ts" },
        },
    };
}
