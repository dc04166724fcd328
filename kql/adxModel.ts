// Generates a captured table's ADX model from its catalog description and the type table: the
// raw change table, its JSON ingestion mapping, the ingestion policies, the current-state
// materialized view (arg_max by the change's Kafka offset per key, composite keys included), the
// TRUNCATE fences and the current-state
// function. The output is plain KQL scripts, the same form as a hand-written overlay, so the KQL
// provider, the language-service check and the ADX test double treat both alike.
import { createHash } from "crypto";
import type { CatalogTable } from "../contract/typeTable";
import { canonicalTableName, parseTableName } from "../contract/identifiers";
import { changeMetadataFields, TRUNCATE_OP } from "../contract/recordFields";
import { EMISSION_STAMP_FIELD, KAFKA_POSITION_FIELDS, REREAD_FIELD } from "../contract/recordFields";
import { KqlScript } from "./kqlModel";
import { KustoScalarType, typeRuleFor } from "../contract/typeTable";

/**
 * ADX names of one captured table's objects; derived from its name alone, so they are stable:
 * <schema>_<table> where both are plain (letters, digits, _), the names of every existing stack. Any
 * other character becomes "_" and a digest of the exact name is appended, so "Order Items" and
 * "Order_Items" never share an ADX table; a name starting with a digit gets a leading "t_".
 */
export interface AdxTableNames {
    changes: string;
    mapping: string;
    latest: string;
    currentState: string;
    /** The current-state rule's fences (TRUNCATEs, full snapshots), kept as long as the current state. */
    fences: string;
    /** The function the fences' update policy runs over each ingestion into the change table. */
    fenceRows: string;
}

export function adxNamesFor(qualifiedTable: string): AdxTableNames {
    const { schema, table } = parseTableName(qualifiedTable);
    const exact = `${schema}_${table}`;
    let base = exact.replace(/[^A-Za-z0-9_]/g, "_");
    if (/^[0-9]/.test(base)) base = `t_${base}`;
    if (base !== exact) base += `_${createHash("sha256").update(canonicalTableName(qualifiedTable)).digest("hex").slice(0, 6)}`;
    return {
        changes: `${base}_changes`,
        mapping: `${base}_changes_json`,
        latest: `${base}_latest`,
        currentState: `${base}_current`,
        fences: `${base}_fences`,
        fenceRows: `${base}_fence_rows`,
    };
}

/**
 * Per captured table, the generation of its ADX change table (KqlSchema's tableGenerations, keyed by
 * ADX table name); a table without one is left out.
 */
export function changeTableGenerations(tables: string[], generations: Record<string, string>): Record<string, string> {
    return Object.fromEntries(tables.filter((t) => generations[adxNamesFor(t).changes] !== undefined).map((t) => [t, generations[adxNamesFor(t).changes]]));
}

/**
 * Two captured tables whose ADX names coincide ("a_b.c" and "a.b_c" both give a_b_c_changes) would
 * share one ADX table: refused, naming both, before anything is created.
 */
export function findAdxNameCollisions(tables: string[]): string[] {
    const byName = new Map<string, string[]>();
    for (const t of tables) byName.set(adxNamesFor(t).changes, [...(byName.get(adxNamesFor(t).changes) ?? []), t]);
    return [...byName.entries()]
        .filter(([, owners]) => owners.length > 1)
        .map(([name, owners]) => `${owners.join(" and ")} would both land in ADX table ${name}; capture one of them, or rename one table in PostgreSQL`);
}

/**
 * Whether ADX accepts a name for a column: letters, digits, "_", " ", "." and "-" only, 1 to 1024
 * characters, and not starting or ending with "__", which KQL reserves (Kusto's entity-name rules).
 */
export function isValidKustoEntityName(name: string): boolean {
    return name.length >= 1 && name.length <= 1024 && /^[\p{L}\p{N}_ .-]+$/u.test(name) && !name.startsWith("__") && !name.endsWith("__");
}

/**
 * The ADX column of a PostgreSQL column: its own name wherever ADX accepts it (case, spaces, keywords and
 * accents included); otherwise every other character becomes "_", the reserved "__" at either end one "_",
 * and a digest of the exact name is appended, so "Price ($)" and "Price (€)" never share a column. The
 * record column keeps every value under the exact name.
 */
export function adxColumnName(pgName: string): string {
    if (isValidKustoEntityName(pgName)) return pgName;
    const digest = createHash("sha256").update(pgName).digest("hex").slice(0, 6);
    const base = pgName.replace(/[^\p{L}\p{N}_ .-]/gu, "_").slice(0, 1000);
    // Ends with the digest, so never with "__"; a leading "__" becomes one "_".
    return `${base}_${digest}`.replace(/^_{2,}/, "_");
}

/** A Kusto identifier for any PostgreSQL column name: bracket-quoted, so keywords, case and spaces are all safe. */
export function kustoIdentifier(name: string): string {
    return `['${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
}

/** JSONPath of a top-level record field, bracket form for any name (Kusto's JSONPath). */
export function jsonPathOf(field: string): string {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(field) ? `$.${field}` : `$['${field.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
}

/** `.create-or-alter table T ingestion json mapping "M"` with one single-quoted line per entry (readable in the ADX web UI). */
export function jsonMappingCommand(table: string, mapping: string, entries: object[]): string {
    const literal = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    return [
        `.create-or-alter table ${table} ingestion json mapping "${mapping}"`,
        literal("["),
        ...entries.map((e, i) => literal(`  ${JSON.stringify(e)}${i < entries.length - 1 ? "," : ""}`)),
        literal("]"),
    ].join("\n");
}

/** KQL string literal (double-quoted, escaped). */
function kqlString(text: string): string {
    return JSON.stringify(text);
}

/** The fence table's column counting a group's snapshot-end reads (its other columns are metadata columns). */
export const FENCE_ENDS_COLUMN = "snapshot_ends";
/**
 * The fence table's column naming, on a fence written before a re-read, the re-read's signal (such a fence waits
 * for a later re-read end row: REREAD_FIELD), and on an end row the notification's id; empty on every other fence.
 */
export const FENCE_REREAD_COLUMN = "reread";

/** A column every change table has beyond the source columns, with where its value comes from. */
export interface MetadataColumn {
    column: string;
    /** JSONPath in the flat record; `$` is the whole record. */
    path: string;
    type: KustoScalarType;
    transform?: string;
    doc: string;
}

/**
 * A column name the stack adds beside the source columns: a source column may itself be called op, lsn, ...;
 * the stack's column then takes a leading _, then a number, until unique (never "__" at either end, which
 * ADX refuses).
 */
function freeColumnName(sourceColumns: string[], name: string): string {
    const taken = sourceColumns.map(adxColumnName);
    let n = name;
    for (let i = 1; taken.includes(n); i++) n = i === 1 ? `_${name}` : `_${name}_${i}`;
    return n;
}

/** The change-metadata columns of every change table, named so no source column is shadowed. */
export function changeMetadataColumns(
    sourceColumns: string[],
): Record<"op" | "lsn" | "sourceTs" | "snapshot" | "deleted" | "kafkaPartition" | "kafkaOffset" | "emissionStamp" | "record", MetadataColumn> {
    const fields = changeMetadataFields();
    const free = (name: string) => freeColumnName(sourceColumns, name);
    return {
        op: {
            column: free("op"),
            path: jsonPathOf(fields.op),
            type: "string",
            doc: "Debezium operation: r = snapshot read, c = insert, u = update, d = delete, t = TRUNCATE (no column values; hides every earlier row)",
        },
        lsn: { column: free("lsn"), path: jsonPathOf(fields.lsn), type: "long", doc: "PostgreSQL log sequence number of the change; orders the changes of one key" },
        sourceTs: {
            column: free("source_ts"),
            path: jsonPathOf(fields.sourceTs),
            type: "datetime",
            transform: "DateTimeFromUnixMilliseconds",
            doc: "Commit time of the change in PostgreSQL",
        },
        snapshot: {
            column: free("snapshot"),
            path: jsonPathOf(fields.snapshot),
            type: "string",
            doc: "Debezium's snapshot marker: false when streamed; first/true/last_in_data_collection/last in a full snapshot; incremental",
        },
        deleted: { column: free("deleted"), path: jsonPathOf(fields.deleted), type: "bool", doc: "True for a delete event (the row then carries its last values)" },
        kafkaPartition: {
            column: free("kafka_partition"),
            path: jsonPathOf(KAFKA_POSITION_FIELDS.partition),
            type: "long",
            doc: "Kafka partition of the change (all changes of a key share one)",
        },
        kafkaOffset: {
            column: free("kafka_offset"),
            path: jsonPathOf(KAFKA_POSITION_FIELDS.offset),
            type: "long",
            doc: "Kafka offset of the change: orders the changes of one key as Debezium emitted them within one topic (snapshot reads included)",
        },
        emissionStamp: {
            column: free("emission_stamp"),
            path: jsonPathOf(EMISSION_STAMP_FIELD),
            type: "long",
            doc: "When the source task emitted the change (microseconds since the Unix epoch, strictly increasing): orders the changes of one key, also across a topic created again",
        },
        // The whole record, losslessly: a column added in PostgreSQL is queryable here before the
        // next `pulumi up` gives it a typed column, and the backfill fills that column from it.
        record: { column: free("record"), path: "$", type: "dynamic", doc: "The whole change record as Debezium sent it: columns the model does not have yet are here" },
    };
}

/** The metadata columns in table order. */
export function metadataColumnList(metadata: ReturnType<typeof changeMetadataColumns>): MetadataColumn[] {
    return [
        metadata.op,
        metadata.lsn,
        metadata.sourceTs,
        metadata.snapshot,
        metadata.deleted,
        metadata.kafkaPartition,
        metadata.kafkaOffset,
        metadata.emissionStamp,
        metadata.record,
    ];
}

/**
 * Rows that arrived before the emission stamp existed are ordered by their Kafka offset, shifted this far
 * below zero: among themselves in offset order, as before, and before every stamped change (stamps are
 * positive), which the source task emitted after them.
 */
const UNSTAMPED_ORDER_SHIFT = "4611686018427387904";

/**
 * The order of a key's changes, one expression wherever it is needed (the view, the fences, reconcile): the
 * emission stamp, or for a row from before it, the shifted Kafka offset. Unlike the offset alone it survives
 * a topic created again: the new topic's offsets start at 0, its stamps after the old topic's last.
 */
export function changeOrderExpression(metadata: Pick<ReturnType<typeof changeMetadataColumns>, "emissionStamp" | "kafkaOffset">): string {
    return `coalesce(${metadata.emissionStamp.column}, ${metadata.kafkaOffset.column} - ${UNSTAMPED_ORDER_SHIFT})`;
}

/** The column of the view (and the fences) holding changeOrderExpression, named so no source column is shadowed. */
export function changeOrderColumn(sourceColumns: string[]): string {
    return freeColumnName(sourceColumns, "change_order");
}

/** Kusto's conversion function for a column type (to read a typed value out of the dynamic record). */
const CONVERSION: Record<KustoScalarType, string> = {
    int: "toint",
    long: "tolong",
    real: "toreal",
    decimal: "todecimal",
    bool: "tobool",
    string: "tostring",
    guid: "toguid",
    datetime: "todatetime",
    timespan: "totimespan",
    dynamic: "todynamic",
};

/** A source column's value from the row's lossless record, converted as the mapping would. */
export function valueFromRecord(recordColumn: string, column: string, type: KustoScalarType): string {
    return `${CONVERSION[type]}(${kustoIdentifier(recordColumn)}[${JSON.stringify(column)}])`;
}

/** ADX's longest retention (100 years): "unlimited" for the current state unless configured shorter. */
export const UNLIMITED_RETENTION_DAYS = 36500;

export interface AdxModelOptions {
    /** Key columns of the current state (primary key, or capture.keys). */
    key: string[];
    /**
     * Days the current state (the view) and its fences keep a key that has not changed; default
     * unlimited. The change table keeps the database's retention, which may be much shorter.
     */
    currentStateRetentionDays?: number;
    /** Streaming ingestion policy on the table (false on a queued-only cluster such as an ADX free cluster). */
    streamingIngestion: boolean;
}

/** One model column: source column, its type rule, and the Kusto names. */
function modelColumns(table: CatalogTable) {
    return table.columns.map((c) => ({ source: c, rule: typeRuleFor(table.qualifiedName, c), column: adxColumnName(c.name), kusto: kustoIdentifier(adxColumnName(c.name)) }));
}

/**
 * Where a key column's typed value cannot tell its values apart, the view groups by its exact text from
 * the record instead: a datetime column holds every BC, infinite or past-9999 timestamp as null (so
 * 'infinity' and '-infinity' would be one key), and Kusto refuses to group by a dynamic (array) column.
 * Every other Kusto type holds distinct non-null values distinctly (numeric's one NaN is its only null).
 */
export function groupsKeyByRecordText(kusto: KustoScalarType): boolean {
    return kusto === "datetime" || kusto === "dynamic";
}

/** Suffix of the view's column holding a key column's exact text (see groupsKeyByRecordText). */
const KEY_TEXT_SUFFIX = "_key_text";

/** The view's `by` items: each key column, or `<c>_key_text = tostring(record["c"])` where its typed value is lossy. */
export function viewKeyItems(table: CatalogTable, key: string[], recordColumn: string): string[] {
    const adxColumns = table.columns.map((c) => adxColumnName(c.name));
    const taken = new Set([...adxColumns, ...metadataColumnList(changeMetadataColumns(adxColumns)).map((m) => m.column), changeOrderColumn(adxColumns)]);
    return key.map((k) => {
        const column = table.columns.find((c) => c.name === k);
        if (!column || !groupsKeyByRecordText(typeRuleFor(table.qualifiedName, column).kusto)) return kustoIdentifier(adxColumnName(k));
        let name = `${adxColumnName(k)}${KEY_TEXT_SUFFIX}`;
        while (taken.has(name)) name = `_${name}`;
        taken.add(name);
        return `${kustoIdentifier(name)} = ${valueFromRecord(recordColumn, k, "string")}`;
    });
}

/**
 * Terms joined by `or` as a balanced tree of parenthesized groups: Kusto refuses a query nested deeper than its safe
 * limit, which a flat chain of a wide table's terms passes (the language service: between 300 and 500 columns).
 */
function balancedOr(terms: string[]): string {
    if (terms.length <= 16) return terms.join(" or ");
    const half = Math.ceil(terms.length / 2);
    return `(${balancedOr(terms.slice(0, half))}) or (${balancedOr(terms.slice(half))})`;
}

/** The generated scripts of one captured table, in the order they must run. */
export function generateAdxModel(table: CatalogTable, options: AdxModelOptions): KqlScript[] {
    if (options.key.length === 0) throw new Error(`${table.qualifiedName}: the current state needs at least one key column`);
    const names = adxNamesFor(table.qualifiedName);
    const columns = modelColumns(table);
    const metadata = changeMetadataColumns(table.columns.map((c) => c.name));
    const metadataList = metadataColumnList(metadata);
    const folder = `generated/${table.qualifiedName}`;
    const fromRecord = (c: (typeof columns)[number]) => valueFromRecord(metadata.record.column, c.source.name, c.rule.kusto);

    const tableScript = [
        `// Change events of PostgreSQL ${table.qualifiedName}: one row per snapshot read, insert, update and delete.`,
        `// Generated from the catalog and the type table (contract/typeTable.ts); do not edit, re-run pulumi up.`,
        `.create-merge table ${names.changes} (`,
        [...columns.map((c) => `    ${c.kusto}: ${c.rule.kusto}`), ...metadataList.map((m) => `    ${m.column}: ${m.type}`)].join(",\n"),
        `) with (docstring = ${kqlString(`Change events of PostgreSQL ${table.qualifiedName} (Debezium, flattened)`)}, folder = "cdc")`,
        "",
        `.alter-merge table ${names.changes} column-docstrings (`,
        [
            ...columns.map((c) => `    ${c.kusto}: ${kqlString(`${c.source.declaredType}${c.source.notNull ? " not null" : ""} in PostgreSQL; ${c.rule.note}`)}`),
            ...metadataList.map((m) => `    ${m.column}: ${kqlString(m.doc)}`),
        ].join(",\n"),
        `)`,
    ].join("\n");

    // Rows that arrived before a column was in the model (added in PostgreSQL, then `pulumi up`) have the
    // typed column empty and the value in the record: fill them in place. Idempotent: once filled no row
    // matches, so re-applying the model rewrites nothing. Strings are never null in Kusto, so for them
    // "empty" is the test.
    const isUnfilled = columns.map((c) =>
        c.rule.kusto === "string" ? `(isempty(${c.kusto}) and isnotempty(${fromRecord(c)}))` : `(isnull(${c.kusto}) and isnotnull(${fromRecord(c)}))`,
    );
    const backfillScript = [
        `// Typed columns of rows that arrived before the column was in the model, filled from each row's record.`,
        `.update table ${names.changes} delete unfilled append filled <|`,
        `    let unfilled = ${names.changes} | where ${balancedOr(isUnfilled)};`,
        `    let filled = unfilled | extend ${columns.map((c) => `${c.kusto} = coalesce(${c.kusto}, ${fromRecord(c)})`).join(", ")};`,
    ].join("\n");

    const mappingEntries = [
        ...columns.map((c) => ({ column: c.column, Properties: { Path: jsonPathOf(c.source.name), ...(c.rule.transform ? { Transform: c.rule.transform } : {}) } })),
        ...metadataList.map((m) => ({ column: m.column, Properties: { Path: m.path, ...(m.transform ? { Transform: m.transform } : {}) } })),
    ];
    const mappingScript = [
        `// JSON ingestion mapping from the flat Debezium record (each field as the type table says) to ${names.changes}.`,
        jsonMappingCommand(names.changes, names.mapping, mappingEntries),
    ].join("\n");

    const policyScript = [
        `// Streaming ingestion lands the sink's records in about a second; the batching policy bounds the queued fallback to seconds.`,
        ...(options.streamingIngestion ? [`.alter table ${names.changes} policy streamingingestion enable`, ""] : []),
        `.alter table ${names.changes} policy ingestionbatching`,
        "```",
        `{ "MaximumBatchingTimeSpan": "00:00:10", "MaximumNumberOfItems": 500, "MaximumRawDataSizeMB": 256 }`,
        "```",
    ].join("\n");

    // The current-state rule's fences, apart from the change table: with them the view may outlive the
    // change table's retention without a truncated or re-snapshotted-away key coming back. One row per
    // (op, LSN, partition) of TRUNCATE and full-snapshot reads, with the first offset, the latest commit
    // time, whether it holds the snapshot's end and the first change order (changeOrderExpression; null in
    // a fence from before it); an update policy adds each ingestion's fences, and the backfill adds the
    // fences the change table already holds (appending only what is missing).
    const retentionDays = options.currentStateRetentionDays ?? UNLIMITED_RETENTION_DAYS;
    const retention = `{ "SoftDeletePeriod": "${retentionDays}.00:00:00", "Recoverability": "Enabled" }`;
    const { lsn, op, deleted, snapshot, kafkaPartition, kafkaOffset, sourceTs } = metadata;
    const changeOrder = changeOrderColumn(table.columns.map((c) => c.name));
    const truncateOp = JSON.stringify(TRUNCATE_OP);
    const fenceKeys = [op.column, lsn.column, kafkaPartition.column, FENCE_REREAD_COLUMN];
    const fenceScript = [
        `// Fences of the current-state rule (TRUNCATEs and full-snapshot reads), kept as long as the current state.`,
        `.create-merge table ${names.fences} (${op.column}: string, ${lsn.column}: long, ${kafkaPartition.column}: long, ${kafkaOffset.column}: long, ${sourceTs.column}: datetime, ${FENCE_ENDS_COLUMN}: long, ${changeOrder}: long, ${FENCE_REREAD_COLUMN}: string) with (docstring = ${kqlString(`TRUNCATEs, re-read fences and ends, and full-snapshot reads of ${table.qualifiedName}: what the current state hides, kept after the change table's retention`)}, folder = "cdc")`,
        "",
        `.create-or-alter function with (docstring = ${kqlString(`The fences in ${names.changes} (per ingestion in the update policy of ${names.fences})`)}, folder = "cdc")`,
        `${names.fenceRows}() {`,
        `    ${names.changes}`,
        `    | where ${op.column} == ${truncateOp} or (${op.column} == "r" and isnotnull(${lsn.column}))`,
        `    | extend ${FENCE_REREAD_COLUMN} = iff(${op.column} == ${truncateOp}, tostring(${kustoIdentifier(metadata.record.column)}[${JSON.stringify(REREAD_FIELD)}]), "")`,
        `    | summarize ${kafkaOffset.column} = min(${kafkaOffset.column}), ${sourceTs.column} = max(${sourceTs.column}), ${FENCE_ENDS_COLUMN} = countif(${snapshot.column} in ("last_in_data_collection", "last")), ${changeOrder} = min(${changeOrderExpression(metadata)}) by ${fenceKeys.join(", ")}`,
        `}`,
        "",
        `.alter table ${names.fences} policy update`,
        "```",
        `[{ "IsEnabled": true, "Source": "${names.changes}", "Query": "${names.fenceRows}()", "IsTransactional": true, "PropagateIngestionProperties": false }]`,
        "```",
        "",
        `.alter table ${names.fences} policy retention`,
        "```",
        retention,
        "```",
        "",
        `.set-or-append ${names.fences} <| ${names.fenceRows}() | join kind=leftanti ${names.fences} on ${fenceKeys.join(", ")}`,
    ].join("\n");

    const keyList = viewKeyItems(table, options.key, metadata.record.column).join(", ");
    // Each column as stored, or from the record for rows that arrived before it was in the model.
    const projection = columns
        .map((c) => {
            const value = `coalesce(${c.kusto}, ${fromRecord(c)})`;
            return `${c.kusto} = ${c.rule.currentStateExpression ? c.rule.currentStateExpression.replace(/\{c\}/g, value) : value}`;
        })
        .join(", ");
    const currentStateScript = [
        `// Current state: the latest change per key (${options.key.join(", ")}) in the order Debezium emitted them (the`,
        `// emission stamp; for rows from before it, the Kafka offset: one partition per key); it also collapses the`,
        `// sink's at-least-once duplicates, which repeat a record and its stamp.`,
        `.create ifnotexists materialized-view with (backfill = true, docString = ${kqlString(`Latest change per key of ${table.qualifiedName}`)}, folder = "cdc") ${names.latest} on table ${names.changes}`,
        `{`,
        `    ${names.changes}`,
        `    | where ${op.column} != ${truncateOp}`,
        `    | extend ${changeOrder} = ${changeOrderExpression(metadata)}`,
        `    | summarize arg_max(${changeOrder}, *) by ${keyList}`,
        `}`,
        "",
        `// A key unchanged for longer than the change table's retention stays: the view keeps its own.`,
        `.alter materialized-view ${names.latest} policy retention`,
        "```",
        retention,
        "```",
        "",
        `// A key is live unless its latest change is a delete, or came before the last completed full snapshot.`,
        `// A full snapshot (Debezium's first, or a re-snapshot after lost offsets or a lost slot) reads every row`,
        `// that exists at its LSN, giving each read that LSN, and is complete once its last read of this table`,
        `// (snapshot "last_in_data_collection", or "last") has arrived. Its reads follow every change emitted`,
        `// before it, so a key whose latest change lies before the snapshot's first read was not re-read: it was`,
        `// deleted while its delete event was lost. With emission stamps that holds in every partition, whichever`,
        `// topic the change went to; a snapshot from before them (its first order null or below zero) compares Kafka offsets, per partition, and a`,
        `// partition it read no row of keeps its keys. Incremental snapshot reads carry no LSN and never hide a`,
        `// key: they run alongside the stream, whose delete events still arrive. A TRUNCATE (op "t") hides every key whose latest change has a`,
        `// lower LSN: the truncate's exclusive lock means every change committed before it has a lower LSN and`,
        `// every change after it a higher one, in whichever partition it lands (an incremental read, which has`,
        `// no LSN, by its time). A fence the stack writes before it reads a table again (a replaced table, a partition`,
        `// removed or truncated alone) is a TRUNCATE that names its re-read (${FENCE_REREAD_COLUMN}): it hides nothing until a re-read's end`,
        `// (a TRUNCATE row without an LSN, after the re-read's last read) follows it, so the rows stay shown while they are`,
        `// read again; then it hides, as a TRUNCATE, every row the re-read did not bring.`,
        `.create-or-alter function with (docstring = ${kqlString(`${table.qualifiedName} as it is now in PostgreSQL: latest change per key, deleted keys hidden`)}, folder = "cdc")`,
        `${names.currentState}() {`,
        `    let last_full_snapshot = toscalar(${names.fences} | where ${FENCE_ENDS_COLUMN} > 0 | summarize max(${lsn.column}));`,
        `    let snapshot_start = ${names.fences} | where ${lsn.column} == last_full_snapshot and ${op.column} == "r" | summarize snapshot_offset = min(${kafkaOffset.column}) by ${kafkaPartition.column};`,
        `    let snapshot_order = toscalar(${names.fences} | where ${lsn.column} == last_full_snapshot and ${op.column} == "r" | summarize min(${changeOrder}));`,
        `    let reread_end = toscalar(${names.fences} | where ${op.column} == ${truncateOp} and isnull(${lsn.column}) | summarize max(${changeOrder}));`,
        `    let truncated_lsn = toscalar(${names.fences} | where ${op.column} == ${truncateOp} and (isempty(${FENCE_REREAD_COLUMN}) or ${changeOrder} < reread_end) | summarize max(${lsn.column}));`,
        `    let truncated_at = toscalar(${names.fences} | where ${op.column} == ${truncateOp} and (isempty(${FENCE_REREAD_COLUMN}) or ${changeOrder} < reread_end) | summarize max(${sourceTs.column}));`,
        `    materialized_view("${names.latest}")`,
        `    | where not(${deleted.column})`,
        `    | lookup kind=leftouter snapshot_start on ${kafkaPartition.column}`,
        `    | where iff(isnotnull(snapshot_order) and snapshot_order > 0, ${changeOrder} >= snapshot_order, isnull(snapshot_offset) or ${kafkaOffset.column} >= snapshot_offset)`,
        `    | where isnull(truncated_lsn) or ${lsn.column} > truncated_lsn or (isnull(${lsn.column}) and ${sourceTs.column} > truncated_at)`,
        `    | project ${projection}`,
        `}`,
    ].join("\n");

    return [
        { name: `${folder}/10-table.kql`, text: tableScript + "\n" },

        { name: `${folder}/20-mapping.kql`, text: mappingScript + "\n" },
        // After the mapping: a row that arrives once the new mapping is in place has its typed value already.
        { name: `${folder}/25-backfill.kql`, text: backfillScript + "\n" },
        { name: `${folder}/30-policies.kql`, text: policyScript + "\n" },
        { name: `${folder}/35-fences.kql`, text: fenceScript + "\n" },
        { name: `${folder}/40-current-state.kql`, text: currentStateScript + "\n" },
    ];
}

/** Name of the end-to-end freshness function of a stack, from its heartbeat table. */
export function freshnessFunctionName(heartbeatTable: string): string {
    return `${adxNamesFor(heartbeatTable).changes.replace(/_changes$/, "")}_freshness`;
}

/**
 * The heartbeat table's model plus the freshness function: now() minus the commit time of the last
 * heartbeat that reached ADX. Debezium commits a heartbeat every 10 s, so on a healthy pipeline it
 * stays within 10 s plus the pipeline's latency, even when no captured table changes; an operator
 * sees lag continuously, not only when `npm run verify` runs.
 */
export function heartbeatModelScripts(table: CatalogTable, options: Omit<AdxModelOptions, "key">): KqlScript[] {
    const names = adxNamesFor(table.qualifiedName);
    const { sourceTs } = changeMetadataColumns(table.columns.map((c) => c.name));
    const freshness = [
        `// End-to-end freshness: how long ago the last heartbeat that ADX holds was committed in PostgreSQL.`,
        `.create-or-alter function with (docstring = "now() minus the PostgreSQL commit time of the newest heartbeat in ADX: the pipeline's lag, continuously", folder = "cdc")`,
        `${freshnessFunctionName(table.qualifiedName)}() {`,
        `    ${names.changes}`,
        `    | summarize last_commit = max(${sourceTs.column}), heartbeats = count()`,
        `    | extend freshness = now() - last_commit`,
        `}`,
    ].join("\n");
    return [...generateAdxModel(table, { ...options, key: table.primaryKey }), { name: `generated/${table.qualifiedName}/50-freshness.kql`, text: freshness + "\n" }];
}

/**
 * The pipeline-stalled alert's query: one row when no heartbeat committed in the last `maxAgeSeconds`
 * has reached ADX (the age `status` calls unhealthy), whatever stopped it. `changesTable` is how the
 * query names the heartbeat's change table: from Azure Monitor, `adxTableReference(...)`. With
 * `initialSnapshot` (kql/workerHealthModel.ts initialSnapshotRunning: a `let` of a bool named
 * `initial_snapshot`), no row while the stack's connector takes its initial snapshot, when Debezium commits
 * no heartbeat.
 */
export function heartbeatStalledQuery(changesTable: string, sourceTsColumn: string, maxAgeSeconds: number, initialSnapshot?: string): string {
    if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds <= 0) throw new Error(`heartbeat age ${maxAgeSeconds} must be a positive whole number of seconds`);
    return [
        ...(initialSnapshot ? [initialSnapshot] : []),
        changesTable,
        `| where ${kustoIdentifier(sourceTsColumn)} > ago(${maxAgeSeconds}s)`,
        `| summarize heartbeats_in_window = count()`,
        initialSnapshot ? `| where heartbeats_in_window == 0 and not(initial_snapshot)` : `| where heartbeats_in_window == 0`,
    ].join("\n");
}

/** A table of an ADX database as a Log Analytics query names it (a cross-service query, `adx()`). */
export function adxTableReference(queryUri: string, database: string, table: string): string {
    if (!/^https:\/\/[A-Za-z0-9.-]+\/?$/.test(queryUri)) throw new Error(`ADX query URI ${JSON.stringify(queryUri)} is not https://<cluster host>`);
    if (!/^[A-Za-z0-9_.-]+$/.test(database)) throw new Error(`database name ${JSON.stringify(database)} cannot be quoted in a cross-service query`);
    // A plain name as is, as Azure Monitor's examples write it (adx("...").StormEvents); any other bracket-quoted.
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(table) ? table : kustoIdentifier(table);
    return `adx("${queryUri.replace(/\/$/, "")}/${database}").${name}`;
}

/** A captured table's whole ADX model: the generated base, then its hand-written overlay (if any) on top. */
export function adxModelScripts(table: CatalogTable, options: AdxModelOptions, overlay: KqlScript[]): KqlScript[] {
    return [...generateAdxModel(table, options), ...overlay];
}
