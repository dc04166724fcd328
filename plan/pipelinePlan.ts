// One pipeline's plan: every name its parts go by, from its topic prefix and captured tables alone
// (no cloud, no catalog, no resource). The stack (components/cdcPipeline.ts), the local pipeline, the
// demo and the operations contract all take their names from here, so a name is derived once and
// never recovered by parsing what another part generated.
import { topicForTable } from "../connectors/debeziumSource";
import { connectorNamesFor, deadLetterTopicFor } from "../connectors/kafkaTopics";
import type { KustoTopicTarget } from "../connectors/kustoSink";
import { adxNamesFor, AdxTableNames } from "../kql/adxModel";
import { SourceObjectNames, sourceObjectNames } from "../postgres/sourceSchema";
import { workerHealthTopic } from "../connectors/workerSettings";
import { WORKER_HEALTH_ADX } from "../kql/workerHealthModel";

/** A table whose changes travel the pipeline: its Kafka topic and its ADX objects. */
export interface PlannedTable {
    /** "schema.table" as captured. */
    table: string;
    topic: string;
    adx: AdxTableNames;
}

export interface PipelinePlan {
    topicPrefix: string;
    /** The captured tables, in the stack's order. */
    tables: PlannedTable[];
    /** The stack's heartbeat table: it travels the same path (verify and status measure with it). */
    heartbeat: PlannedTable;
    /** The stack's objects in PostgreSQL: slot, publication, heartbeat and signal tables, the WAL guard's. */
    postgres: SourceObjectNames;
    /** The Kafka Connect connectors' names. */
    connectors: { source: string; sink: string };
    /** Where the sink puts a record ADX cannot take. */
    deadLetterTopic: string;
}

function plannedTable(topicPrefix: string, table: string): PlannedTable {
    return { table, topic: topicForTable(topicPrefix, table), adx: adxNamesFor(table) };
}

/** The plan of a pipeline capturing `tables` under `topicPrefix` (config validation has checked both). */
export function planPipeline(capture: { topicPrefix: string; tables: readonly string[] }): PipelinePlan {
    const postgres = sourceObjectNames(capture.topicPrefix);
    return {
        topicPrefix: capture.topicPrefix,
        tables: capture.tables.map((t) => plannedTable(capture.topicPrefix, t)),
        heartbeat: plannedTable(capture.topicPrefix, postgres.heartbeatTable),
        postgres,
        connectors: connectorNamesFor(capture.topicPrefix),
        deadLetterTopic: deadLetterTopicFor(capture.topicPrefix),
    };
}

/** A captured table's (or the heartbeat's) plan; a name the plan does not hold is a bug worth naming. */
export function plannedTableOf(plan: PipelinePlan, table: string): PlannedTable {
    const found = [...plan.tables, plan.heartbeat].find((t) => t.table === table);
    if (!found) throw new Error(`${table} is not captured by pipeline ${plan.topicPrefix} (captured: ${plan.tables.map((t) => t.table).join(", ")})`);
    return found;
}

/** The Kusto sink's route for each table: its topic into its ADX change table, through its JSON mapping. */
export function sinkTargets(tables: readonly PlannedTable[], database: string, streaming: boolean): KustoTopicTarget[] {
    return tables.map((t) => ({ topic: t.topic, database, table: t.adx.changes, mapping: t.adx.mapping, streaming }));
}

/** The Kusto sink's route for the Connect workers' health topic into its ADX table (kql/workerHealthModel.ts). */
export function workerHealthSinkTarget(connectGroupId: string, database: string, streaming: boolean): KustoTopicTarget {
    return { topic: workerHealthTopic(connectGroupId), database, table: WORKER_HEALTH_ADX.table, mapping: WORKER_HEALTH_ADX.mapping, streaming };
}
