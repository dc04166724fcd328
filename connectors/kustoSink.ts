// The Kusto (ADX) sink connector config. Records are already flat JSON (see debeziumSource.ts); the
// sink reads them schemaless and adds their Kafka position before writing each as a JSON line.
import { assertSecretReference, CONNECTOR_CLIENT_OVERRIDES } from "./workerSettings";
import { KAFKA_POSITION_FIELDS } from "../contract/recordFields";

export const KUSTO_SINK_CLASS = "com.microsoft.azure.kusto.kafka.connect.sink.KustoSinkConnector";

export interface KustoTopicTarget {
    topic: string;
    database: string;
    table: string;
    /** Name of the table's JSON ingestion mapping (declared in kql/). */
    mapping: string;
    /** Streaming ingestion (default true); false for a queued-only cluster such as an ADX free cluster. */
    streaming?: boolean;
}

/**
 * How the sink authenticates to ADX:
 * - `managed_identity`: the Connect host's user-assigned managed identity (a Docker host in Azure);
 *   no secret exists anywhere, the token comes from the host's identity endpoint (IMDS on a VM).
 * - `application`: the sink's Entra application, its client secret in a worker secret file.
 * - `az_dev_token`: a bearer token from a worker secret file (the e2e runs against the ADX test
 *   double, and `demo --adx-cluster` with the operator's own token).
 */
export type KustoSinkAuth =
    | { strategy: "managed_identity"; clientId: string }
    | { strategy: "application"; tenantId: string; appId: string; appKeyReference: string }
    | { strategy: "az_dev_token"; accessTokenReference: string };

export interface KustoSinkInput {
    connectorName: string;
    /** "https://ingest-<cluster>.<region>.kusto.windows.net" */
    ingestionUrl: string;
    /** "https://<cluster>.<region>.kusto.windows.net" */
    queryUrl: string;
    auth: KustoSinkAuth;
    targets: KustoTopicTarget[];
    /** Topic for records Connect cannot hand to the sink (conversion failures), with their error in headers. */
    deadLetterTopic: string;
    /** Replication factor of the dead-letter topic Connect creates; at most the broker count (1 for the stack's single broker). */
    deadLetterReplicationFactor: number;
    /** Buffer flush interval; about a second by default (the connector's own default is 30 s). */
    flushIntervalMs?: number;
    /** Buffer size that triggers a flush; SINK_FLUSH_SIZE_BYTES by default. */
    flushSizeBytes?: number;
    /** How long the sink retries a batch ADX does not accept before the task fails (default 5 minutes). */
    retryWindowMs?: number;
    /** Partitions of the targets' topics in all (kafkaTopics.ts sinkReadPartitions); one per target when unset. */
    topicPartitions?: number;
    /** Sink tasks (Connect gives each partition to one task); one per partition up to SINK_MAX_TASKS by default. */
    maxTasks?: number;
}

/** Per partition buffer that triggers a flush before the interval does (see buildKustoSinkConfig). */
export const SINK_FLUSH_SIZE_BYTES = 1024 * 1024;

/** The sink's retry window and backoff by default: an ADX outage shorter than this heals without anyone. */
/** Most sink tasks the stack asks for by default (see buildKustoSinkConfig: measured with 200 tables). */
export const SINK_MAX_TASKS = 8;

export const SINK_RETRY_DEFAULTS = { windowMs: 300_000, backoffMs: 5_000 } as const;

/** The sink's topic-to-table mapping in the connector's own single-quoted JSON dialect. */
export function renderKustoTopicMapping(targets: KustoTopicTarget[]): string {
    const quote = (s: string) => {
        if (/['\\]/.test(s)) throw new Error(`Kusto sink mapping value ${JSON.stringify(s)} must not contain quotes or backslashes`);
        return `'${s}'`;
    };
    const entries = targets.map(
        (t) =>
            `{${[
                ["topic", t.topic],
                ["db", t.database],
                ["table", t.table],
                ["format", "json"],
                ["mapping", t.mapping],
                ["streaming", String(t.streaming ?? true)],
            ]
                .map(([k, v]) => `${quote(k)}: ${quote(v)}`)
                .join(", ")}}`,
    );
    return `[${entries.join(", ")}]`;
}

/**
 * Kafka Connect's own error handling for a sink (framework `errors.*` settings, valid for any sink):
 * a record that fails conversion before it reaches the sink is kept, with the failure in its
 * headers, in a dead-letter topic. Connect creates that topic when the task starts, with
 * `errors.deadletterqueue.topic.replication.factor` (default 3): on fewer brokers the task fails at
 * start, so the factor is always set.
 */
export function buildSinkErrorHandlingSettings(input: { deadLetterTopic: string; deadLetterReplicationFactor: number }): Record<string, string> {
    if (!Number.isInteger(input.deadLetterReplicationFactor) || input.deadLetterReplicationFactor < 1) {
        throw new Error(`deadLetterReplicationFactor must be a positive integer (got ${input.deadLetterReplicationFactor})`);
    }
    return {
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": input.deadLetterTopic,
        "errors.deadletterqueue.topic.replication.factor": String(input.deadLetterReplicationFactor),
        "errors.deadletterqueue.context.headers.enable": "true",
    };
}

function authSettings(auth: KustoSinkAuth): Record<string, string> {
    // The identity's client id selects it among the host's identities (a system-assigned one is not used).
    if (auth.strategy === "managed_identity") return { "aad.auth.strategy": "managed_identity", "aad.auth.appid": auth.clientId };
    if (auth.strategy === "application") {
        return {
            "aad.auth.strategy": "application",
            "aad.auth.authority": auth.tenantId,
            "aad.auth.appid": auth.appId,
            "aad.auth.appkey": assertSecretReference(auth.appKeyReference, "aad.auth.appkey"),
        };
    }
    return { "aad.auth.strategy": "az_dev_token", "aad.auth.accesstoken": assertSecretReference(auth.accessTokenReference, "aad.auth.accesstoken") };
}

/**
 * Builds the sink config. Failure semantics first, because settings that look safe lose data
 * (read in the sink's TopicPartitionWriter/FileWriter at the pinned commit, proven in
 * test/e2e/faults.test.ts):
 * - `behavior.on.error=fail`. With `log`, a batch that exhausts the retry window goes to the sink's
 *   own dead-letter producer (closed for good at the first rebalance, after which the write fails
 *   silently) and a batch ADX rejects as permanent is neither retried nor dead-lettered; either way
 *   later offsets commit past it: lost. With `fail`, the sink commits only offsets ADX took; a batch
 *   it could not deliver fails the task, which re-reads it from Kafka once restarted.
 * - Retry window `errors.retry.max.time.ms` (5 min) / `errors.retry.backoff.time.ms` (5 s), the
 *   sink's own keys: an ADX outage or throttling shorter than the window heals by itself. Longer,
 *   the task fails, `status` says so with the trace, and `npm run restart-sink` resumes it.
 * - `consumer.override.max.poll.interval.ms` = window + 5 min: the sink retries inside the consumer's
 *   poll loop; past Kafka's default 5 min the consumer would leave the group mid-retry.
 * - `streaming: true` per topic: ADX streaming ingestion (the SDK's managed client falls back to
 *   queued ingestion for large batches or when streaming keeps failing).
 * - `flush.interval.ms` ~1 s instead of 30 s (the other large latency term), `flush.size.bytes`
 *   SINK_FLUSH_SIZE_BYTES (1 MiB): every buffer streams, under ADX's 4 MB request limit. Larger
 *   buffers would send a bulk load (an initial snapshot) queued (over the Kusto SDK's streaming
 *   limit, one blob per buffer): measured by `npm run bench:initial-load`, no faster here (2 M rows
 *   handed to ADX at 11,419 rows/s with 16 MiB against 11,338 with 1 MiB) for 12× fewer requests, and
 *   a queued blob ADX fails to ingest is past the sink (its offsets committed; only `status` and
 *   `reconcile` see it), where a refused streaming request is retried and holds the offsets.
 * - `tasks.max` = one per partition read up to SINK_MAX_TASKS (a task more would hold no partition; the
 *   workers deal partitions round robin, SINK_ASSIGNOR in workerSettings.ts, so each task holds a share):
 *   with DEFAULT_TABLE_PARTITIONS a large table's initial load is shared by several tasks. Every sink task is a consumer and a Kusto
 *   client with threads and buffers of its own. Measured by `npm run bench:many-tables` (200 tables,
 *   5 hot at 100/s and 195 quiet; docs/benchmark.md), one task per table: commit→ADX p99 6.4 s in one
 *   run and 101 s in another (the sink fell behind); 8 tasks: 1.1 s and 2.3 s. One task carries about
 *   5,000 changes/s (`npm run bench`), so 8 are not what limits a worker.
 * - `kusto.validation.table.enable=false`: the stack creates the table and mapping itself before
 *   the sink starts (and detects their drift); the connector's own check needs more than `Ingestor`.
 * - Secrets are `${dir:...}` references to worker secret files, resolved by the worker's DirectoryConfigProvider.
 */

export function buildKustoSinkConfig(input: KustoSinkInput): Record<string, string> {
    if (input.targets.length === 0) throw new Error("buildKustoSinkConfig: at least one topic target is required");
    const flushIntervalMs = input.flushIntervalMs ?? 1000;
    const retryWindowMs = input.retryWindowMs ?? SINK_RETRY_DEFAULTS.windowMs;
    const backoffMs = Math.min(SINK_RETRY_DEFAULTS.backoffMs, retryWindowMs);
    return {
        "connector.class": KUSTO_SINK_CLASS,
        name: input.connectorName,
        "tasks.max": String(input.maxTasks ?? Math.min(input.topicPartitions ?? input.targets.length, SINK_MAX_TASKS)),
        topics: input.targets.map((t) => t.topic).join(","),
        "kusto.ingestion.url": input.ingestionUrl,
        "kusto.query.url": input.queryUrl,
        ...authSettings(input.auth),
        "kusto.tables.topics.mapping": renderKustoTopicMapping(input.targets),
        "kusto.validation.table.enable": "false",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        // Parsed (schemaless) so that the record's Kafka position can be added to it: each change's
        // partition and offset order the changes of a key exactly as Debezium emitted them (see KAFKA_POSITION_FIELDS).
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        transforms: "kafkaPosition",
        "transforms.kafkaPosition.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.kafkaPosition.partition.field": KAFKA_POSITION_FIELDS.partition,
        "transforms.kafkaPosition.offset.field": KAFKA_POSITION_FIELDS.offset,
        "flush.interval.ms": String(flushIntervalMs),
        "flush.size.bytes": String(input.flushSizeBytes ?? SINK_FLUSH_SIZE_BYTES),
        "behavior.on.error": "fail",
        "errors.retry.max.time.ms": String(retryWindowMs),
        "errors.retry.backoff.time.ms": String(backoffMs),
        [CONNECTOR_CLIENT_OVERRIDES.sinkMaxPollIntervalMs]: String(retryWindowMs + 300_000),
        ...buildSinkErrorHandlingSettings(input),
    };
}
