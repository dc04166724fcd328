// Every Kafka topic the pipeline uses, in one list. On Event Hubs each one is an event hub the stack
// creates before Connect starts (the Kafka admin API cannot create them there); the e2e run's
// SASL_SSL broker has topic auto-creation off and pre-creates exactly this list the same way.
import { connectInternalTopics, workerHealthTopic } from "./workerSettings";

export interface KafkaTopicSpec {
    name: string;
    partitions: number;
    /** "compact" for Connect's config, offset and status topics (Connect refuses anything else); "delete" for data. */
    cleanupPolicy: "compact" | "delete";
    /** Retention of a "delete" topic, in hours. */
    retentionHours?: number;
    /** What the topic is for (event hub descriptions, error messages). */
    purpose: string;
}

export interface PipelineTopicsInput {
    /** Captured tables ("schema.table") and their topics, as the pipeline's plan names them. */
    tables: { table: string; topic: string }[];
    /** The stack's heartbeat table and its topic: its changes reach ADX as the pipeline's freshness signal. */
    heartbeat: { table: string; topic: string };
    /** Connect's group id (prefix of its three internal topics). */
    connectGroupId: string;
    deadLetterTopic: string;
    /** Partitions of each captured table's topic. */
    tablePartitions: number;
    retentionHours: number;
}

/** The stack's two connectors for a topic prefix: the names Connect knows them by (the sink's consumer group is `connect-<sink>`). */
export function connectorNamesFor(topicPrefix: string): { source: string; sink: string } {
    return { source: `${topicPrefix}-postgres-source`, sink: `${topicPrefix}-adx-sink` };
}

/** The sink's dead-letter topic for a topic prefix. */
export function deadLetterTopicFor(topicPrefix: string): string {
    return `${topicPrefix}.adx-sink.dlq`;
}

/**
 * Partitions of each captured table's topic by default, on Event Hubs and on the stack's broker alike.
 * Connect hands each partition to one sink task, so one partition means one task per table: an initial
 * load of a large table then runs at what one task can hand to ADX. Measured by
 * `npm run bench:initial-load` (2 M rows; docs/benchmark.md): 4 partitions made the table complete in ADX
 * 2.20× as fast as Debezium's and the sink's defaults in the same run (one partition: 1.60×, another day). A key's changes
 * stay in one partition (Kafka hashes the key), so the current state orders them as before.
 */
export const DEFAULT_TABLE_PARTITIONS = 4;

/**
 * Partitions in all that the stack's broker gives table topics by default. Each partition is a writer of
 * its own in the sink, flushing on its own: measured by `npm run bench:many-tables` (docs/benchmark.md),
 * 200 tables at 4 partitions made 40.8 ADX requests/s and a quiet table's commit→ADX p99 26 s, where one
 * partition each kept 1 s. Past SINK_MAX_TASKS (8) tasks, more partitions add no parallelism anyway.
 */
export const TABLE_PARTITION_BUDGET = 32;

/** kafka.partitions' default on the stack's broker: DEFAULT_TABLE_PARTITIONS up to 8 tables, then fewer, at least 1. */
export function defaultTablePartitions(capturedTables: number): number {
    return Math.max(1, Math.min(DEFAULT_TABLE_PARTITIONS, Math.floor(TABLE_PARTITION_BUDGET / Math.max(1, capturedTables))));
}

/** The heartbeat table's topic has one partition: its changes are one row's, read in order. */
export const HEARTBEAT_TOPIC_PARTITIONS = 1;

/** The workers' health topic has one partition: a few records a minute. */
export const WORKER_HEALTH_TOPIC_PARTITIONS = 1;

/**
 * Partitions the sink reads (Connect gives each to one sink task): each captured table's topic, and where
 * it reads them the heartbeat's and the workers' health topic.
 */
export function sinkReadPartitions(capturedTables: number, tablePartitions: number, also: { heartbeat: boolean; workerHealth: boolean }): number {
    return capturedTables * tablePartitions + (also.heartbeat ? HEARTBEAT_TOPIC_PARTITIONS : 0) + (also.workerHealth ? WORKER_HEALTH_TOPIC_PARTITIONS : 0);
}

/** Topics the pipeline needs besides one per captured table: Connect's three, the dead letters, the heartbeat table's and the workers' health. */
export const FIXED_TOPIC_COUNT = 6;

export function pipelineTopics(input: PipelineTopicsInput): KafkaTopicSpec[] {
    const data = (name: string, partitions: number, purpose: string): KafkaTopicSpec => ({
        name,
        partitions,
        cleanupPolicy: "delete",
        retentionHours: input.retentionHours,
        purpose,
    });
    const topics: KafkaTopicSpec[] = [
        ...input.tables.map(({ table, topic }) => data(topic, input.tablePartitions, `changes of ${table}`)),
        data(input.heartbeat.topic, HEARTBEAT_TOPIC_PARTITIONS, `changes of the heartbeat table ${input.heartbeat.table}`),
        data(input.deadLetterTopic, 1, "records the Kusto sink could not hand to ADX"),
        data(
            workerHealthTopic(input.connectGroupId),
            WORKER_HEALTH_TOPIC_PARTITIONS,
            "the Connect workers' failed tasks, a record per worker a minute (to ADX, for the failed-task alert)",
        ),
        ...connectInternalTopics(input.connectGroupId).map((t) => ({ name: t.name, partitions: t.partitions, cleanupPolicy: "compact" as const, purpose: t.purpose })),
    ];
    if (topics.length !== input.tables.length + FIXED_TOPIC_COUNT) throw new Error("pipelineTopics: FIXED_TOPIC_COUNT is out of date");
    return topics;
}
