// The flat record's own fields, beyond the source table's columns: what Debezium's
// ExtractNewRecordState adds (renamed with "__"), pg-adx-cdc's markers, and the Kafka position the
// Kusto sink adds. The source connector writes them, the ADX model reads them, the catalog check
// refuses a source column that would collide with one: each name is stated here only.

/**
 * Metadata fields ExtractNewRecordState adds to every flat record; renamed with a "__" prefix.
 * source.snapshot marks snapshot reads ("first", "true", "last_in_data_collection", "last",
 * "incremental"; "false" when streamed): the current state needs it to tell a completed full
 * snapshot from an incremental one (kql/adxModel.ts).
 */
export const ADDED_CHANGE_FIELDS = ["op", "lsn", "source.ts_ms", "source.snapshot"] as const;
/** The field the "rewrite" delete mode adds ("true" on deletes, "false" otherwise). */
export const DELETED_FLAG_FIELD = "__deleted";
/** Prefix ExtractNewRecordState gives the fields it adds. */
export const ADDED_FIELD_PREFIX = "__";
/** The op Debezium gives a TRUNCATE event. */
export const TRUNCATE_OP = "t";
/**
 * Prefix of the logical decoding message (pg_logical_emit_message) the stack writes when a captured
 * table was replaced (dropped and created again under its name): its content is the table's topic, and
 * the stack's transform turns it into a TRUNCATE row on that topic, so ADX hides the replaced table's
 * rows at the message's position in the stream (postgres/tableFence.ts).
 */
export const REPLACED_TABLE_MESSAGE_PREFIX = "pg-adx-cdc.replaced-table";
/**
 * A fence written before a re-read names the re-read's signal (a second line in the message): its TRUNCATE row
 * carries the signal in this field, and ADX holds the fence pending, hiding nothing, until a re-read's end row
 * follows it, so the table's rows do not vanish from the current state while they are read again. The end row
 * is a TRUNCATE row without an LSN or a time (every other has both, so it hides nothing by itself), which the
 * stack's transform writes on the table's topic from Debezium's TABLE_SCAN_COMPLETED notification (status
 * SUCCEEDED or EMPTY; the task emits it after the table's last read); it carries the notification's id here.
 */
export const REREAD_FIELD = "__reread";
/** Where Debezium's notifications would go (the sink channel): the stack's transform drops every one it does not turn into an end row. */
export const NOTIFICATION_TOPIC_SUFFIX = "__notifications";
/**
 * Largest flat record: under Event Hubs' 1,000,000-byte request limit and Kafka's default 1 MiB, with
 * room for the key and the batch; ADX truncates a string and nulls a dynamic value (the `record`
 * column holds the whole record) over 1 MB. A larger row arrives with its largest values as markers
 * instead of failing the source task for good.
 */
export const MAX_RECORD_BYTES = 900_000;
export const OVERSIZED_MARKER_PREFIX = "__pg_adx_cdc_oversized__";
export const OVERSIZED_FIELD = "__oversized";

/**
 * The field pg-adx-cdc's last source transform (EmissionStamp) adds to every flat record: microseconds since
 * the Unix epoch at which the source task emitted the change, made strictly increasing within the task. It
 * orders the changes of one key as Debezium emitted them, like the Kafka offset, but unlike the offset it
 * does not start again when a topic is created again (a lost broker volume, event hubs deleted by hand) or
 * a key moves to another partition: the current state orders by it (kql/adxModel.ts changeOrderExpression).
 */
export const EMISSION_STAMP_FIELD = "__emission_stamp";

/** Every field name the flat record holds beyond the source columns: a source column must not have one of them. */
export function flatRecordReservedFields(): string[] {
    return [...Object.values(changeMetadataFields()), OVERSIZED_FIELD, EMISSION_STAMP_FIELD, ...Object.values(KAFKA_POSITION_FIELDS)];
}

/** Field names of the flat record beyond the source columns, derived from the settings above. */
export function changeMetadataFields(): { op: string; lsn: string; sourceTs: string; snapshot: string; deleted: string } {
    const [op, lsn, sourceTs, snapshot] = ADDED_CHANGE_FIELDS.map((f) => ADDED_FIELD_PREFIX + f.replace(/\./g, "_"));
    return { op, lsn, sourceTs, snapshot, deleted: DELETED_FLAG_FIELD };
}

/**
 * Fields the sink adds to every record (Kafka's InsertField, sink side): the topic partition and
 * offset. A key's changes are all in one partition, in the order Debezium emitted them, so within one
 * topic the offset orders them where the LSN cannot: incremental snapshot reads carry no LSN, and a
 * transaction that commits after a snapshot began can carry LSNs below the snapshot's. Rows that arrived
 * before the emission stamp (EMISSION_STAMP_FIELD) are ordered by it.
 */
export const KAFKA_POSITION_FIELDS = { partition: "__kafka_partition", offset: "__kafka_offset" } as const;
