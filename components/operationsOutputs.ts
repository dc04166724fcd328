// The `operations` stack output (contract/stackOutputs.ts) from what the pipeline is made of: one
// pure builder, used by CdcPipeline and by the e2e harness for the pipeline it runs, so what the
// operator commands are tested against is what a stack exports.
import type { OperationsOutputs } from "../contract/stackOutputs";
import type { SslMode } from "../contract/sslMode";
import type { CatalogTable } from "../contract/typeTable";
import { topicForTable } from "../connectors/debeziumSource";
import { connectorNamesFor, deadLetterTopicFor } from "../connectors/kafkaTopics";
import { adxNamesFor, changeMetadataColumns, freshnessFunctionName } from "../kql/adxModel";
import { sourceObjectNames } from "../postgres/sourceSchema";

export interface OperationsOutputsInput {
    topicPrefix: string;
    /** Captured tables ("schema.table"), in the stack's order. */
    tables: string[];
    /** Every captured table and the heartbeat table as the catalog describes them, each with its current-state key. */
    described: (CatalogTable & { key: string[] })[];
    connect: { restUrl: string; workerUrls: string[] };
    kafka: { bootstrapServers: string; authentication?: OperationsOutputs["kafkaAuthentication"] };
    postgres: { host: string; port: number; database: string; user: string; sslMode: SslMode };
    adx: { queryUri: string; database: string };
    sinkIdentity?: OperationsOutputs["sinkIdentity"];
}

export function buildOperationsOutputs(input: OperationsOutputsInput): OperationsOutputs {
    const objects = sourceObjectNames(input.topicPrefix);
    const describedTable = (name: string) => input.described.find((t) => t.qualifiedName === name);
    const metadataOf = (name: string) => changeMetadataColumns((describedTable(name)?.columns ?? []).map((c) => c.name));
    // The ADX objects of one table (named by the generator's own function) and the change table's columns for the record and the Kafka position.
    const adxTable = (name: string) => {
        const names = adxNamesFor(name);
        const metadata = metadataOf(name);
        return {
            sourceTable: name,
            rawTable: names.changes,
            functionName: names.currentState,
            view: names.latest,
            fences: names.fences,
            keys: describedTable(name)?.key ?? [],
            recordColumn: metadata.record.column,
            partitionColumn: metadata.kafkaPartition.column,
            offsetColumn: metadata.kafkaOffset.column,
        };
    };
    return {
        connectRestUrl: input.connect.restUrl,
        connectWorkerUrls: input.connect.workerUrls,
        connectors: connectorNamesFor(input.topicPrefix),
        kafkaBootstrapServers: input.kafka.bootstrapServers,
        ...(input.kafka.authentication ? { kafkaAuthentication: input.kafka.authentication } : {}),
        topics: input.tables.map((t) => topicForTable(input.topicPrefix, t)),
        deadLetterTopic: deadLetterTopicFor(input.topicPrefix),
        ...(input.sinkIdentity ? { sinkIdentity: input.sinkIdentity } : {}),
        postgres: {
            host: input.postgres.host,
            port: input.postgres.port,
            database: input.postgres.database,
            user: input.postgres.user,
            sslMode: input.postgres.sslMode,
            slotName: objects.slotName,
            signalTable: objects.signalTable,
            publicationName: objects.publicationName,
            walGuardLogTable: objects.walGuard.logTable,
        },
        adx: {
            queryUri: input.adx.queryUri,
            database: input.adx.database,
            tables: input.tables.map(adxTable),
            heartbeat: {
                // The heartbeat's model has no fences (no TRUNCATE, no re-read to fence).
                ...(({ fences: _none, ...table }) => table)(adxTable(objects.heartbeatTable)),
                keys: ["id"],
                sourceTsColumn: metadataOf(objects.heartbeatTable).sourceTs.column,
                freshnessFunction: freshnessFunctionName(objects.heartbeatTable),
            },
        },
    };
}
