// The `operations` stack output (contract/stackOutputs.ts) from the pipeline's plan and what its parts
// became (endpoints, the catalog): one pure builder, used by CdcPipeline and by the e2e harness for the
// pipeline it runs, so what the operator commands are tested against is what a stack exports.
import type { OperationsOutputs } from "../contract/stackOutputs";
import type { SslMode } from "../contract/sslMode";
import type { CatalogTable } from "../contract/typeTable";
import { changeMetadataColumns, changeOrderColumn, freshnessFunctionName } from "../kql/adxModel";
import { PipelinePlan, PlannedTable } from "./pipelinePlan";

export interface OperationsOutputsInput {
    plan: PipelinePlan;
    /** Every captured table and the heartbeat table as the catalog describes them, each with its current-state key. */
    described: (CatalogTable & { key: string[] })[];
    /** Captured tables left at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity). */
    defaultIdentityTables?: string[];
    connect: { restUrl: string; workerUrls: string[] };
    kafka: { bootstrapServers: string; authentication?: OperationsOutputs["kafkaAuthentication"] };
    postgres: { host: string; port: number; database: string; user: string; sslMode: SslMode };
    adx: { queryUri: string; database: string };
    sinkIdentity?: OperationsOutputs["sinkIdentity"];
}

export function buildOperationsOutputs(input: OperationsOutputsInput): OperationsOutputs {
    const { plan } = input;
    const describedTable = (name: string) => input.described.find((t) => t.qualifiedName === name);
    const metadataOf = (name: string) => changeMetadataColumns((describedTable(name)?.columns ?? []).map((c) => c.name));
    // The ADX objects of one table (named by the plan) and the change table's columns for the record and the Kafka position.
    const adxTable = ({ table, adx }: PlannedTable) => {
        const metadata = metadataOf(table);
        return {
            sourceTable: table,
            rawTable: adx.changes,
            functionName: adx.currentState,
            view: adx.latest,
            fences: adx.fences,
            keys: describedTable(table)?.key ?? [],
            recordColumn: metadata.record.column,
            partitionColumn: metadata.kafkaPartition.column,
            offsetColumn: metadata.kafkaOffset.column,
            stampColumn: metadata.emissionStamp.column,
            sourceTsColumn: metadata.sourceTs.column,
            opColumn: metadata.op.column,
            lsnColumn: metadata.lsn.column,
            changeOrderColumn: changeOrderColumn((describedTable(table)?.columns ?? []).map((c) => c.name)),
            ...(describedTable(table)?.relationId ? { sourceRelation: describedTable(table)!.relationId } : {}),
            ...(describedTable(table)?.partitions ? { sourcePartitions: describedTable(table)!.partitions } : {}),
            ...(input.defaultIdentityTables?.includes(table) ? { replicaIdentity: "default" as const } : {}),
        };
    };
    return {
        connectRestUrl: input.connect.restUrl,
        connectWorkerUrls: input.connect.workerUrls,
        connectors: plan.connectors,
        kafkaBootstrapServers: input.kafka.bootstrapServers,
        ...(input.kafka.authentication ? { kafkaAuthentication: input.kafka.authentication } : {}),
        topics: plan.tables.map((t) => t.topic),
        deadLetterTopic: plan.deadLetterTopic,
        ...(input.sinkIdentity ? { sinkIdentity: input.sinkIdentity } : {}),
        postgres: {
            host: input.postgres.host,
            port: input.postgres.port,
            database: input.postgres.database,
            user: input.postgres.user,
            sslMode: input.postgres.sslMode,
            slotName: plan.postgres.slotName,
            signalTable: plan.postgres.signalTable,
            publicationName: plan.postgres.publicationName,
            walGuardLogTable: plan.postgres.walGuard.logTable,
        },
        adx: {
            queryUri: input.adx.queryUri,
            database: input.adx.database,
            tables: plan.tables.map(adxTable),
            heartbeat: {
                // The heartbeat's model has no fences (no TRUNCATE, no re-read to fence).
                ...(({ fences: _none, ...table }) => table)(adxTable(plan.heartbeat)),
                keys: ["id"],
                freshnessFunction: freshnessFunctionName(plan.heartbeat.table),
            },
        },
    };
}
