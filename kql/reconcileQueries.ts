// Reconcile's queries, pure: the same canonical text of every row on both sides (the type table's
// canonicalSql in PostgreSQL, canonicalKql here over ADX's current state), hashed with MD5 by both,
// bucketed by the first hex digits of the key's hash, and summarized per bucket as a row count and
// an order-independent digest (MD5 of the sorted row hashes). Only buckets whose summaries differ are
// read row by row, and only their keys are compared value by value.
import { CatalogColumn, fillTypeSql, NULL_TEXT, typeRuleFor } from "../contract/typeTable";
import { adxColumnName, kustoIdentifier } from "./adxModel";
import { quoteIdent } from "../contract/identifiers";

/** Separates the columns of a row's canonical text on both sides. */
const FIELD_SEPARATOR = "|";
/**
 * Most values one concatenation takes: Kusto's strcat_delim takes at most 64 arguments (the delimiter
 * included), PostgreSQL's concat_ws 100. A wider row is concatenated in groups, and the groups again,
 * which joins the same texts with the same separator.
 */
const VALUES_PER_CONCATENATION = 60;

/** `concat(separator, texts)` nested so that no call takes more than VALUES_PER_CONCATENATION texts. */
function concatenated(texts: string[], concat: (texts: string[]) => string): string {
    if (texts.length <= VALUES_PER_CONCATENATION) return concat(texts);
    const groups: string[] = [];
    for (let i = 0; i < texts.length; i += VALUES_PER_CONCATENATION) {
        const group = texts.slice(i, i + VALUES_PER_CONCATENATION);
        groups.push(group.length === 1 ? group[0] : concat(group));
    }
    return concatenated(groups, concat);
}

export interface ReconcileTarget {
    /** "schema.table" as captured. */
    table: string;
    /** Columns in catalog order (generated columns already left out). */
    columns: CatalogColumn[];
    /** The current-state key, in order. */
    key: string[];
    /** The current-state function, e.g. retail_orders_info_current. */
    functionName: string;
}

/** Hex digits of the key hash that name a bucket: about `rowsPerBucket` rows each, 16 to 65,536 buckets. */
export function bucketDigits(rows: number, rowsPerBucket = 2000): number {
    let digits = 1;
    while (digits < 4 && rows / 16 ** digits > rowsPerBucket) digits++;
    return digits;
}

/** The canonical KQL text of a current-state column (canonicalSql's counterpart). */
export function canonicalKql(table: string, column: CatalogColumn): string {
    const rule = typeRuleFor(table, column);
    const c = kustoIdentifier(adxColumnName(column.name));
    switch (rule.currentStateKusto ?? rule.kusto) {
        case "string":
            return c;
        case "dynamic":
            // parse_json of a NULL's "" is "" (or null): both are null here.
            return `iff(isempty(${c}), "${NULL_TEXT}", tostring(${c}))`;
        case "datetime":
            return `iff(isnull(${c}), "${NULL_TEXT}", format_datetime(${c}, "yyyy-MM-dd HH:mm:ss.fffffff"))`;
        default:
            return `iff(isnull(${c}), "${NULL_TEXT}", tostring(${c}))`;
    }
}

export function canonicalSql(table: string, column: CatalogColumn): string {
    return fillTypeSql(typeRuleFor(table, column).canonicalSql, { type: column.declaredType, column: quoteIdent(column.name) });
}

const keyColumns = (t: ReconcileTarget) => t.key.map((k) => t.columns.find((c) => c.name === k)!);

export function kqlRowText(t: ReconcileTarget, columns: CatalogColumn[]): string {
    if (columns.length === 1) return canonicalKql(t.table, columns[0]);
    return concatenated(
        columns.map((c) => canonicalKql(t.table, c)),
        (texts) => `strcat_delim("${FIELD_SEPARATOR}", ${texts.join(", ")})`,
    );
}

export function sqlRowText(t: ReconcileTarget, columns: CatalogColumn[]): string {
    return concatenated(
        columns.map((c) => canonicalSql(t.table, c)),
        (texts) => `concat_ws('${FIELD_SEPARATOR}', ${texts.join(", ")})`,
    );
}

/** A sample: only keys whose hash starts with one of these hex digits (each is 1/16 of the keys). */
export type KeySample = string[] | undefined;

const kqlString = (s: string) => JSON.stringify(s);

/** KQL: per bucket, the row count and the digest of ADX's current state. */
export function kqlBucketSummary(t: ReconcileTarget, digits: number, sample?: KeySample): string {
    return (
        `${t.functionName}() | extend reconcile_key = ${kqlRowText(t, keyColumns(t))}, reconcile_row = ${kqlRowText(t, t.columns)}` +
        (sample ? ` | where substring(hash_md5(reconcile_key), 0, 1) in (${sample.map(kqlString).join(", ")})` : "") +
        ` | summarize rows = count(), hashes = make_list(hash_md5(reconcile_row)) by bucket = substring(hash_md5(reconcile_key), 0, ${digits})` +
        ` | project bucket, rows, digest = hash_md5(strcat_array(array_sort_asc(hashes), ","))`
    );
}

/** SQL: the same summary of PostgreSQL's table. */
export function sqlBucketSummary(t: ReconcileTarget, digits: number, sample?: KeySample): string {
    const key = sqlRowText(t, keyColumns(t));
    const where = sample ? ` WHERE left(md5(${key}), 1) IN (${sample.map((d) => `'${d.replace(/[^0-9a-f]/g, "")}'`).join(", ")})` : "";
    return (
        `SELECT left(md5(${key}), ${digits}) AS bucket, count(*)::bigint AS rows, ` +
        `md5(string_agg(md5(${sqlRowText(t, t.columns)}), ',' ORDER BY md5(${sqlRowText(t, t.columns)}))) AS digest FROM ${t.table}${where} GROUP BY 1`
    );
}

/** The hex digits of a `fraction` of the keys (in sixteenths, at least one), consecutive from the sixteenth `turn`. */
export function keySample(fraction: number, turn: number): KeySample {
    const parts = Math.max(1, Math.min(16, Math.round(fraction * 16)));
    if (parts === 16) return undefined;
    return Array.from({ length: parts }, (_, i) => ((turn * parts + i) % 16).toString(16));
}

/** KQL: ADX's current rows in the given buckets, each with its key's and its row's canonical text. */
export function kqlBucketRows(t: ReconcileTarget, digits: number, buckets: string[]): string {
    return (
        `${t.functionName}() | extend reconcile_key = ${kqlRowText(t, keyColumns(t))}, reconcile_row = ${kqlRowText(t, t.columns)}` +
        ` | where substring(hash_md5(reconcile_key), 0, ${digits}) in (${buckets.map(kqlString).join(", ")})`
    );
}

/** SQL ($1: text[] of buckets): PostgreSQL's rows in those buckets, with the same two texts and every column as text. */
export function sqlBucketRows(t: ReconcileTarget, digits: number): string {
    const key = sqlRowText(t, keyColumns(t));
    return (
        `SELECT ${key} AS reconcile_key, ${sqlRowText(t, t.columns)} AS reconcile_row, ARRAY[${t.columns.map((c) => `${quoteIdent(c.name)}::text`).join(", ")}] AS source ` +
        `FROM ${t.table} WHERE left(md5(${key}), ${digits}) = ANY($1::text[])`
    );
}

/** SQL: the row whose key has this canonical text ($1). */
export function sqlKeyPredicate(t: ReconcileTarget, param: string): string {
    return `${sqlRowText(t, keyColumns(t))} = ${param}`;
}

/** SQL condition selecting exactly these keys (values as PostgreSQL writes them), for a filtered re-read. */
export function sqlKeyFilter(t: ReconcileTarget, keys: Record<string, string | null>[]): string {
    const literal = (v: string | null) => (v === null ? "NULL" : `'${v.replace(/'/g, "''")}'`);
    const columns = keyColumns(t);
    const tuple = (values: string[]) => (values.length === 1 ? values[0] : `(${values.join(", ")})`);
    return `${tuple(columns.map((c) => quoteIdent(c.name)))} IN (${keys.map((k) => tuple(columns.map((c) => `${literal(k[c.name])}::${c.declaredType}`))).join(", ")})`;
}

/**
 * ADX table where `reconcile --record` appends one row per table and run: the correctness sibling of the
 * freshness function, for charts and alerts; `status` shows each table's latest row. Created by the first
 * append (`.set-or-append`), so it needs the Database User role (table creation) or an existing table.
 */
export const RECONCILE_RESULTS_TABLE = "cdc_meta_reconcile";

export interface ReconcileResultRow {
    at: Date;
    /** The stack's source connector: one ADX database can hold several stacks' results. */
    stack: string;
    sourceTable: string;
    /** "equal", "drift" or "unsettled". */
    verdict: string;
    differingKeys: number;
    unsettled: number;
    sourceRows: number;
    adxRows: number;
    coverage: number;
    durationMs: number;
}

/** `.set-or-append` of reconcile results (a datatable of literals). */
export function recordReconcileCommand(rows: ReconcileResultRow[]): string {
    const values = rows.map((r) =>
        [
            `datetime(${r.at.toISOString()})`,
            kqlString(r.stack),
            kqlString(r.sourceTable),
            kqlString(r.verdict),
            `${Math.trunc(r.differingKeys)}`,
            `${Math.trunc(r.unsettled)}`,
            `${Math.trunc(r.sourceRows)}`,
            `${Math.trunc(r.adxRows)}`,
            `real(${r.coverage})`,
            `${Math.trunc(r.durationMs)}`,
        ].join(", "),
    );
    return (
        `.set-or-append ${RECONCILE_RESULTS_TABLE} <| datatable(at:datetime, stack:string, source_table:string, verdict:string, differing_keys:long, unsettled:long, ` +
        `source_rows:long, adx_rows:long, coverage:real, duration_ms:long) [${values.join(", ")}]`
    );
}

/** KQL: each table's latest reconcile result of a stack. */
export function lastReconcileQuery(stack: string): string {
    return `${RECONCILE_RESULTS_TABLE} | where stack == ${kqlString(stack)} | summarize arg_max(at, *) by source_table`;
}

/**
 * KQL: the latest change row ADX holds for each of these keys (canonical key texts), from the change table, in the
 * current state's order (`order`: its column name and expression, kql/adxModel.ts changeOrderExpression).
 */
export function kqlLatestChanges(t: ReconcileTarget, changeTable: string, order: { column: string; expression: string }, keyTexts: string[]): string {
    return (
        `${changeTable} | extend reconcile_key = ${kqlRowText(t, keyColumns(t))}, ${order.column} = ${order.expression} | where reconcile_key in (${keyTexts.map(kqlString).join(", ")})` +
        ` | summarize arg_max(${order.column}, *) by reconcile_key`
    );
}
