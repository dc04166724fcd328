// The Debezium PostgreSQL source connector config (Debezium 3.x names only). The stack and the
// e2e harness both call buildDebeziumSourceConfig; only endpoints and credentials differ.
import { assertSecretReference, CONNECTOR_CLIENT_OVERRIDES } from "./workerSettings";
import {
    DEBEZIUM_TYPE_SETTINGS,
    DOMAIN_TYPES_SETTING,
    ELEMENT_TEXT_ARRAY_TYPES_SETTING,
    TEXT_FORM_COLUMNS_SETTING,
    TEXT_FORM_TYPES_SETTING,
    TYPED_ARRAY_TYPES_SETTING,
} from "../contract/typeTable";
import { SslMode } from "../contract/sslMode";
import { debeziumColumnPattern, debeziumTablePattern, debeziumTopicName, parseTableName } from "../contract/identifiers";
import { HEARTBEAT_TOPIC_PARTITIONS } from "./kafkaTopics";
import {
    ADDED_CHANGE_FIELDS,
    ADDED_FIELD_PREFIX,
    DELETED_FLAG_FIELD,
    MAX_RECORD_BYTES,
    OVERSIZED_MARKER_PREFIX,
    OVERSIZED_FIELD,
    REPLACED_TABLE_MESSAGE_PREFIX,
    REREAD_FIELD,
    NOTIFICATION_TOPIC_SUFFIX,
    EMISSION_STAMP_FIELD,
} from "../contract/recordFields";

export const DEBEZIUM_POSTGRES_CLASS = "io.debezium.connector.postgresql.PostgresConnector";

/**
 * pg-adx-cdc's own transform (docker/connect/transforms, in the Connect image and the e2e workers):
 * a TRUNCATE event becomes a flat record with the same added fields and the delete flag, which
 * ExtractNewRecordState (it drops truncate events) passes on unchanged.
 */
export const TRUNCATE_TRANSFORM_CLASS = "pgadxcdc.transforms.TruncateToChangeRecord";
/**
 * The stack's transform that keeps each record within MAX_RECORD_BYTES: past it, the largest values
 * are replaced by OVERSIZED_MARKER_PREFIX + " bytes=N sha256=..." and OVERSIZED_FIELD lists them.
 */
export const OVERSIZED_TRANSFORM_CLASS = "pgadxcdc.transforms.OversizedValuesToMarkers";
/**
 * The stack's transform that writes an array value with more dimensions or other bounds than its column declares
 * (the converter hands it over as pgadxcdc.converters.IrregularArray) as PostgreSQL's text of it.
 */
export const IRREGULAR_ARRAYS_TRANSFORM_CLASS = "pgadxcdc.transforms.IrregularArraysToText";
/**
 * The stack's last transform: stamps each flat record with EMISSION_STAMP_FIELD (microseconds at emission,
 * strictly increasing within the task), which orders a key's changes in ADX across a topic created again.
 */
export const EMISSION_STAMP_TRANSFORM_CLASS = "pgadxcdc.transforms.EmissionStamp";
/** The heartbeat row Debezium writes every heartbeat interval; reconcile writes it too, as its fence. */
export function heartbeatUpsertSql(heartbeatTable: string): string {
    return `INSERT INTO ${heartbeatTable} (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at`;
}

/** Kafka topic of a captured table: Debezium's `<topic.prefix>.<schema>.<table>` (characters Kafka does not allow become "_"). */
export function topicForTable(topicPrefix: string, qualifiedTable: string): string {
    return debeziumTopicName(topicPrefix, qualifiedTable);
}

/** A table's entry in the truncate transform's reread.topics: "schema/table=topic", schema and table percent-encoded. */
export function rereadTopicEntry(topicPrefix: string, qualifiedTable: string): string {
    const { schema, table } = parseTableName(qualifiedTable);
    return `${encodeURIComponent(schema)}/${encodeURIComponent(table)}=${topicForTable(topicPrefix, qualifiedTable)}`;
}

export interface DebeziumSourceInput {
    connectorName: string;
    database: {
        host: string;
        port: number;
        name: string;
        user: string;
        /** The worker secret file holding the replication user's password (workerSecretReference). */
        passwordReference: string;
        /** "require": TLS with the certificate chain and host name verified (verify-full); "disable" on a private Docker network only. */
        sslMode: SslMode;
    };
    /** Captured tables as "schema.table". */
    tables: string[];
    /**
     * Column types of the captured tables that the type table carries as PostgreSQL's text
     * (textFormTypeNames of the catalog): pg-adx-cdc's converter writes them. Empty when there are none.
     */
    textFormTypes?: string[];
    /** Single columns carried as PostgreSQL's text (textFormColumns of the catalog: multi-dimensional arrays). */
    textFormColumns?: string[];
    /** The captured columns' domains and their base types ("domain:base", domainBaseTypes of the catalog), so the converter treats a domain as its base type. */
    domainTypes?: string[];
    /** Array types whose elements the converter writes as PostgreSQL's text (elementTextArrayTypeNames of the catalog: arrays of enums, of interval). */
    elementTextArrayTypes?: string[];
    /** Array types Debezium converts itself, "type:form" (typedArrayTypes of the catalog), which the converter writes so that a value with more dimensions or other bounds arrives as its text. */
    typedArrayTypes?: string[];
    /** Key columns of tables keyed otherwise than by their primary key (messageKeyColumns of the catalog: capture.keys, unique indexes); they become the records' Kafka key. */
    keyColumns?: Record<string, string[]>;
    topicPrefix: string;
    slotName: string;
    publicationName: string;
    /** "schema.table" the heartbeat writes to; it is in the publication so idle tables still advance the slot. */
    heartbeatTable: string;
    /** "schema.table" of the signal table (postgres/sourceSchema.ts): execute-snapshot signals for tables added later. */
    signalTable: string;
    heartbeatIntervalMs?: number;
    /**
     * Create the slot with failover=true (`slot.failover`, Debezium 3.x): PostgreSQL 17+ then keeps it
     * on the standby, so a failover does not lose it. Ignored by Debezium below PostgreSQL 17.
     */
    slotFailover?: boolean;
    /** "tuned" (the stack's settings) or "quickstart" (connector defaults, as the public quickstarts leave them). */
    profile?: "tuned" | "quickstart";
    /** The tuned producer's compression (pg-adx-cdc:kafka.compression): lz4 on the stack's broker; gzip or none on Event Hubs. */
    compression?: KafkaCompression;
    /**
     * Connect creates each topic on its first record with these partitions (the stack's broker); unset where
     * every topic exists beforehand (Event Hubs, whose workers run with topic creation off).
     */
    topicCreation?: { tablePartitions: number };
}

/** Compression types a Kafka producer offers; Event Hubs accepts only gzip and none (config/kafkaSettings.ts refuses the rest there). */
export const KAFKA_COMPRESSION_TYPES = ["none", "gzip", "lz4", "snappy", "zstd"] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSION_TYPES)[number];
/** The tuned producer's compression per Kafka mode: lz4 (cheapest) on the broker container; gzip, the cheapest Event Hubs takes. */
export const DEFAULT_KAFKA_COMPRESSION: Record<"container" | "eventhubs", KafkaCompression> = { container: "lz4", eventhubs: "gzip" };

/**
 * Debezium's own heartbeat records go to `<prefix>.<topic.prefix>`. The stack drops them at the
 * source (a Filter transform): the heartbeat action query already writes a row whose change carries
 * the LSN forward, and Connect commits the offset of a dropped record, so nothing depends on them,
 * and on Event Hubs every topic is an event hub counted against the namespace's limit.
 */
export const DEBEZIUM_HEARTBEAT_TOPICS_PREFIX = "__debezium-heartbeat";

/**
 * TLS to PostgreSQL as the stack's Node clients do it: "require" means the certificate must chain to a
 * root the worker's JVM trusts (its cacerts: public roots, plus Azure's PostgreSQL roots that the
 * Connect image adds) and name the host (`verify-full`); libpq's `require` would accept any
 * certificate. pgjdbc's DefaultJavaSSLFactory reads the JVM's trust store instead of a root.crt file.
 */
export function debeziumTlsSettings(sslMode: SslMode): Record<string, string> {
    if (sslMode === "disable") return { "database.sslmode": "disable" };
    return { "database.sslmode": "verify-full", "database.sslfactory": "org.postgresql.ssl.DefaultJavaSSLFactory" };
}

/**
 * Builds the source connector config. Settings that matter and why:
 * - pgoutput (built into PostgreSQL; wal2json is gone from Debezium 2+), a publication created by
 *   the admin up front (`publication.autocreate.mode=disabled`: the replication user needs no owner rights).
 * - `snapshot.mode=when_needed`: if Azure drops the slot (max_slot_wal_keep_size), the connector
 *   re-snapshots instead of failing forever.
 * - A signal table in cdc_meta: tables added to a running stack are backfilled by incremental
 *   snapshots (chunked, interleaved with streaming), not by a stop-the-world re-snapshot.
 * - Heartbeat with an action query: keeps the slot's confirmed LSN moving when captured tables are idle.
 * - Flattened at the source (ExtractNewRecordState, deletes rewritten with `__deleted`, no
 *   tombstones), JSON without schemas, every type as the type table says (decimals as strings, times
 *   as ISO strings, intervals as ISO durations): each record value is the JSON line the sink ingests as is.
 */
export function buildDebeziumSourceConfig(input: DebeziumSourceInput): Record<string, string> {
    if (input.tables.length === 0) throw new Error("buildDebeziumSourceConfig: at least one table must be captured");
    const heartbeatIntervalMs = input.heartbeatIntervalMs ?? 10_000;
    const config: Record<string, string> = {
        "connector.class": DEBEZIUM_POSTGRES_CLASS,
        name: input.connectorName,
        "tasks.max": "1",
        "plugin.name": "pgoutput",
        "database.hostname": input.database.host,
        "database.port": String(input.database.port),
        "database.dbname": input.database.name,
        "database.user": input.database.user,
        "database.password": assertSecretReference(input.database.passwordReference, "database.password"),
        ...debeziumTlsSettings(input.database.sslMode),
        "topic.prefix": input.topicPrefix,
        // The heartbeat table too: its changes reach ADX as a small table, the pipeline's freshness signal.
        "table.include.list": [...input.tables, input.heartbeatTable].map(debeziumTablePattern).join(","),
        "slot.name": input.slotName,
        "publication.name": input.publicationName,
        "publication.autocreate.mode": "disabled",
        "snapshot.mode": "when_needed",
        "heartbeat.interval.ms": String(heartbeatIntervalMs),
        "heartbeat.action.query": heartbeatUpsertSql(input.heartbeatTable),
        // Signals through the source database only (the signal table, in the publication): a table that
        // joins capture.tables is backfilled by an incremental snapshot the stack requests there.
        "signal.enabled.channels": "source",
        "signal.data.collection": input.signalTable,
        // How each PostgreSQL type reaches the record: the type table's settings (contract/typeTable.ts).
        ...DEBEZIUM_TYPE_SETTINGS,
        [TEXT_FORM_TYPES_SETTING]: (input.textFormTypes ?? []).join(","),
        [TEXT_FORM_COLUMNS_SETTING]: (input.textFormColumns ?? []).join(","),
        [DOMAIN_TYPES_SETTING]: (input.domainTypes ?? []).join(","),
        [ELEMENT_TEXT_ARRAY_TYPES_SETTING]: (input.elementTextArrayTypes ?? []).join(","),
        [TYPED_ARRAY_TYPES_SETTING]: (input.typedArrayTypes ?? []).join(","),
        // A TOASTed value an update left unchanged is not in the WAL of a table without REPLICA IDENTITY FULL
        // (a partition created after the bootstrap, until the next pulumi up sets it): Debezium reads it back
        // from the table by the record's key instead of sending the placeholder on. Null values are kept as
        // they came (reselecting them would query the source for every null).
        "post.processors": "reselect",
        "post.processors.reselect.type": "io.debezium.processors.reselect.ReselectColumnsPostProcessor",
        "post.processors.reselect.reselect.unavailable.values": "true",
        "post.processors.reselect.reselect.null.values": "false",
        "post.processors.reselect.reselect.use.event.key": "true",
        "tombstones.on.delete": "false",
        // TRUNCATE is captured (Debezium skips it by default) and reaches ADX as a change row that hides
        // every row committed before it; nothing else is skipped.
        "skipped.operations": "none",
        // Logical decoding messages: only the stack's own (a replaced table's TRUNCATE, postgres/tableFence.ts);
        // any other application's messages stay out of Kafka (Debezium would write them all to <prefix>.message).
        "message.prefix.include.list": REPLACED_TABLE_MESSAGE_PREFIX.replace(/[.\-]/g, "\\$&"),
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "heartbeat.topics.prefix": DEBEZIUM_HEARTBEAT_TOPICS_PREFIX,
        transforms: "dropHeartbeats,truncates,unwrap,irregularArrays,oversized,emissionStamp",
        "transforms.dropHeartbeats.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropHeartbeats.predicate": "isHeartbeat",
        predicates: "isHeartbeat",
        "predicates.isHeartbeat.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.isHeartbeat.pattern": `${DEBEZIUM_HEARTBEAT_TOPICS_PREFIX}\\..*`,
        "transforms.truncates.type": TRUNCATE_TRANSFORM_CLASS,
        "transforms.truncates.add.fields": ADDED_CHANGE_FIELDS.join(","),
        "transforms.truncates.add.fields.prefix": ADDED_FIELD_PREFIX,
        "transforms.truncates.deleted.field": DELETED_FLAG_FIELD,
        "transforms.truncates.replaced.table.message.prefix": REPLACED_TABLE_MESSAGE_PREFIX,
        // The end of each re-read: Debezium's notifications join the task's record stream (after the reads they
        // report), and the transform turns a completed table scan into a row on the table's topic that lets ADX
        // apply the fence the re-read waits for (postgres/tableFence.ts); it drops every other notification.
        "notification.enabled.channels": "sink",
        "notification.sink.topic.name": `${input.topicPrefix}.${NOTIFICATION_TOPIC_SUFFIX}`,
        "transforms.truncates.reread.field": REREAD_FIELD,
        "transforms.truncates.reread.topics": input.tables.map((t) => rereadTopicEntry(input.topicPrefix, t)).join(","),
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
        "transforms.unwrap.add.fields": ADDED_CHANGE_FIELDS.join(","),
        // An array value with more dimensions or other bounds than its column declares, as PostgreSQL's text (the converter hands it over).
        "transforms.irregularArrays.type": IRREGULAR_ARRAYS_TRANSFORM_CLASS,
        "transforms.oversized.type": OVERSIZED_TRANSFORM_CLASS,
        "transforms.oversized.max.bytes": String(MAX_RECORD_BYTES),
        "transforms.oversized.marker.prefix": OVERSIZED_MARKER_PREFIX,
        "transforms.oversized.oversized.field": OVERSIZED_FIELD,
        "transforms.emissionStamp.type": EMISSION_STAMP_TRANSFORM_CLASS,
        "transforms.emissionStamp.field": EMISSION_STAMP_FIELD,
    };
    const keyed = Object.entries(input.keyColumns ?? {});
    if (keyed.length) config["message.key.columns"] = keyed.map(([table, columns]) => `${debeziumTablePattern(table)}:${columns.map(debeziumColumnPattern).join(",")}`).join(";");
    if (input.slotFailover) config["slot.failover"] = "true";
    if (input.topicCreation) Object.assign(config, topicCreationSettings(input.topicCreation.tablePartitions, topicForTable(input.topicPrefix, input.heartbeatTable)));
    if ((input.profile ?? "tuned") === "tuned") Object.assign(config, tunedSourceSettings(input.compression ?? DEFAULT_KAFKA_COMPRESSION.container));
    return config;
}

/**
 * Connect's topic creation for the source's topics (KIP-158): the tables' topics with `tablePartitions`
 * partitions, the heartbeat's with one; the replication factor is the broker's own (-1). Connect creates a
 * topic only when it does not exist, so a changed count reaches new topics only and no key changes partition.
 */
export function topicCreationSettings(tablePartitions: number, heartbeatTopic: string): Record<string, string> {
    return {
        "topic.creation.default.replication.factor": "-1",
        "topic.creation.default.partitions": String(tablePartitions),
        "topic.creation.groups": "heartbeat",
        "topic.creation.heartbeat.include": heartbeatTopic.replace(/[.\\^$|?*+()[\]{}]/g, "\\$&"),
        "topic.creation.heartbeat.partitions": String(HEARTBEAT_TOPIC_PARTITIONS),
    };
}

/**
 * Latency and throughput settings the stack changes from Debezium's and the producer's defaults.
 * Each is measured by `npm run bench` against the "quickstart" profile in the same run.
 */
export function tunedSourceSettings(compression: KafkaCompression): Record<string, string> {
    return { ...TUNED_SOURCE_SETTINGS, [CONNECTOR_CLIENT_OVERRIDES.sourceCompression]: compression };
}

const TUNED_SOURCE_SETTINGS: Readonly<Record<string, string>> = {
    // Debezium waits this long for more events before handing a batch to Connect (default 500 ms):
    // the largest single term of change-to-topic latency at low and medium rates.
    "poll.interval.ms": "10",
    // No Debezium context headers (connector name, task id, ...) on every record: nothing downstream
    // reads them (the sink sends values only), and parsing them back is a fifth of Connect's CPU at
    // 10,000 changes/s (the sink task's header conversion; `npm run bench`'s JFR profile).
    "extended.headers.enabled": "false",
    // Larger batches and queue (defaults 2048 / 8192) so a burst is drained in fewer polls.
    "max.batch.size": "4096",
    "max.queue.size": "16384",
    // The producer sends as soon as a batch is ready (its compression is pg-adx-cdc:kafka.compression:
    // lz4 shrinks the JSON records cheapest; Event Hubs rejects lz4, so gzip there).
    [CONNECTOR_CLIENT_OVERRIDES.sourceLingerMs]: "1",
    [CONNECTOR_CLIENT_OVERRIDES.sourceBatchSize]: "262144",
};
