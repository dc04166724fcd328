// The Kusto (ADX) sink connector config. Records are already flat JSON lines (see
// debeziumSource.ts), so the sink passes them through with StringConverter.
import { envSecretReference } from "./workerSettings";

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

export interface KustoSinkInput {
    connectorName: string;
    /** "https://ingest-<cluster>.<region>.kusto.windows.net" */
    ingestionUrl: string;
    /** "https://<cluster>.<region>.kusto.windows.net" */
    queryUrl: string;
    tenantId: string;
    appId: string;
    /** Worker environment variable holding the application's client secret. */
    appKeyEnvVar: string;
    targets: KustoTopicTarget[];
    /** Kafka bootstrap servers the sink's dead-letter producer uses. */
    bootstrapServers: string;
    deadLetterTopic: string;
    /** Replication factor of the dead-letter topic Connect creates; at most the broker count (1 for the stack's single broker). */
    deadLetterReplicationFactor: number;
    /** Buffer flush interval; about a second by default (the connector's own default is 30 s). */
    flushIntervalMs?: number;
}

/** The sink's topic-to-table mapping in the connector's own single-quoted JSON dialect. */
export function renderKustoTopicMapping(targets: KustoTopicTarget[]): string {
    const quote = (s: string) => {
        if (/['\\]/.test(s)) throw new Error(`Kusto sink mapping value ${JSON.stringify(s)} must not contain quotes or backslashes`);
        return `'${s}'`;
    };
    const entries = targets.map(
        (t) => `{${[["topic", t.topic], ["db", t.database], ["table", t.table], ["format", "json"], ["mapping", t.mapping], ["streaming", String(t.streaming ?? true)]].map(([k, v]) => `${quote(k)}: ${quote(v)}`).join(", ")}}`,
    );
    return `[${entries.join(", ")}]`;
}

/**
 * Kafka Connect's own error handling for a sink (framework `errors.*` settings, valid for any sink):
 * tolerate a record that fails conversion or delivery and keep it, with the failure in its headers,
 * in a dead-letter topic. Connect creates that topic when the task starts, with
 * `errors.deadletterqueue.topic.replication.factor` (default 3): on fewer brokers the task fails at
 * start, so the factor is always set. The e2e run applies these same settings on a real worker.
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
        "errors.retry.max.time.ms": "60000",
        "errors.retry.backoff.time.ms": "1000",
    };
}

/**
 * Builds the sink config:
 * - `streaming: true` per topic: ADX streaming ingestion (sub-second by Microsoft's docs), with
 *   the connector's managed client falling back to queued ingestion for large batches.
 * - `flush.interval.ms` ~1 s instead of 30 s: the sink's buffer is the other large latency term.
 * - `behavior.on.error=log` plus a dead-letter topic (the connector's `misc.deadletterqueue.*` for
 *   records ADX rejects, Connect's `errors.*` for records that fail before it): kept in Kafka for
 *   inspection instead of stopping the pipeline (`fail` would halt every table on one bad row).
 * - `kusto.validation.table.enable=false`: the stack creates the table and mapping itself before
 *   the sink starts (and detects their drift); the connector's own check would need a read role
 *   beyond `Ingestor`.
 * - The client secret is `${env:...}`, resolved by the worker's EnvVarConfigProvider.
 */
export function buildKustoSinkConfig(input: KustoSinkInput): Record<string, string> {
    if (input.targets.length === 0) throw new Error("buildKustoSinkConfig: at least one topic target is required");
    const flushIntervalMs = input.flushIntervalMs ?? 1000;
    return {
        "connector.class": KUSTO_SINK_CLASS,
        "name": input.connectorName,
        "tasks.max": String(input.targets.length),
        "topics": input.targets.map((t) => t.topic).join(","),
        "kusto.ingestion.url": input.ingestionUrl,
        "kusto.query.url": input.queryUrl,
        "aad.auth.strategy": "application",
        "aad.auth.authority": input.tenantId,
        "aad.auth.appid": input.appId,
        "aad.auth.appkey": envSecretReference(input.appKeyEnvVar),
        "kusto.tables.topics.mapping": renderKustoTopicMapping(input.targets),
        "kusto.validation.table.enable": "false",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "flush.interval.ms": String(flushIntervalMs),
        "flush.size.bytes": String(1024 * 1024),
        "behavior.on.error": "log",
        // The connector's own dead-letter producer for records that fail deserialization, and for ADX rejections.
        "errors.deadletterqueue.bootstrap.servers": input.bootstrapServers,
        "misc.deadletterqueue.topic.name": input.deadLetterTopic,
        "misc.deadletterqueue.bootstrap.servers": input.bootstrapServers,
        ...buildSinkErrorHandlingSettings(input),
    };
}
