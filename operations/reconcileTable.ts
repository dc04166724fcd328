// Reconciles one captured table: ADX's current state against PostgreSQL, without moving the data.
// 1. Both sides summarize per bucket (row count, digest of the rows' canonical text); equal buckets
//    are done. 2. Differing buckets are read row by row on both sides and matched by key; a key whose
//    canonical text differs is compared value by value, PostgreSQL reading ADX's value back as the
//    column's type (the type table's sameValueSql), so a canonical form that differs costs time, never
//    a wrong verdict. 3. Changes in flight: after a fence (ADX has every change committed before the
//    PostgreSQL position read after step 2) the differing keys are compared again; a key is drift only
//    when both sides hold the same values in two rounds in a row, and "unsettled" when it kept changing.
import { createHash } from "crypto";
import { stringify as stringifyLosslessJson } from "lossless-json";
import { CatalogColumn, fillTypeSql, NULL_TEXT, readBackSql, typeRuleFor } from "../contract/typeTable";
import { bucketDigits, KeySample, kqlBucketRows, kqlBucketSummary, ReconcileTarget, sqlBucketRows, sqlBucketSummary, sqlKeyPredicate } from "../kql/reconcileQueries";
import { quoteIdent } from "../contract/identifiers";
import { adxColumnName } from "../kql/adxModel";

export type KqlRunner = (kql: string) => Promise<Record<string, unknown>[]>;
export interface SqlClient {
    query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

export interface KeyDifference {
    /** The key's values, as PostgreSQL writes them (or ADX holds them, for a key PostgreSQL lacks). */
    key: Record<string, string | null>;
    /** The key's canonical text (reconcileQueries), which both sides compute alike. */
    keyText: string;
    /** "values": both hold the key, these columns differ; "missing": ADX lacks it; "extra": PostgreSQL lacks it (deleted there). */
    kind: "values" | "missing" | "extra";
    columns: { column: string; source: string | null; adx: string | null }[];
}

export interface TableReconcile {
    table: string;
    equal: boolean;
    sourceRows: number;
    adxRows: number;
    buckets: number;
    /** Buckets whose summaries differed in the first round. */
    bucketsDiffering: number;
    /** Rows read one by one (the differing buckets, both sides). */
    rowsRead: number;
    /** Keys that differ in two rounds in a row with the same values: drift. */
    differences: KeyDifference[];
    /** Keys that kept changing through every round (changes in flight, not judged). */
    unsettled: number;
    /** The share of keys compared (1 unless sampled) and the hex digits their hashes start with. */
    coverage: { fraction: number; hashPrefixes?: string[] };
    durationMs: number;
}

export interface ReconcileOptions {
    /** Resolves once ADX holds every change PostgreSQL committed before now (the heartbeat fence). */
    fence: () => Promise<void>;
    /** Rounds for keys that differ (default 3). */
    rounds?: number;
    /** Compare only these sixteenths of the keys (keySample); all when undefined. */
    sample?: KeySample;
    progress?: (message: string) => void;
}

interface SideRow {
    key: string;
    row: string;
    values: Record<string, unknown>;
}

function adxText(value: unknown): string | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "object") return stringifyLosslessJson(value) ?? null;
    return String(value);
}

/** SQL that is true when `param` (ADX's current-state value as text) is the source column's value. */
function currentReadBackSql(table: string, column: CatalogColumn, param: string): string {
    const rule = typeRuleFor(table, column);
    return readBackSql(rule.currentSameValueSql ?? rule.sameValueSql, param, { catalog: column, sql: quoteIdent(column.name) }, table);
}

async function summaries(t: ReconcileTarget, adx: KqlRunner, sql: SqlClient, digits: number, sample: KeySample) {
    const [adxRows, sqlRows] = await Promise.all([adx(kqlBucketSummary(t, digits, sample)), sql.query(sqlBucketSummary(t, digits, sample)).then((r) => r.rows)]);
    const source = new Map(sqlRows.map((r) => [String(r.bucket), { rows: Number(r.rows), digest: String(r.digest) }]));
    const target = new Map(adxRows.map((r) => [String(r.bucket), { rows: Number(r.rows), digest: String(r.digest) }]));
    return { source, target };
}

async function bucketRows(t: ReconcileTarget, adx: KqlRunner, sql: SqlClient, digits: number, buckets: string[]) {
    const source = new Map<string, SideRow>();
    const target = new Map<string, SideRow>();
    const { rows } = await sql.query(sqlBucketRows(t, digits), [buckets]);
    for (const r of rows) source.set(r.reconcile_key, { key: r.reconcile_key, row: r.reconcile_row, values: Object.fromEntries(t.columns.map((c, i) => [c.name, r.source[i]])) });
    for (const r of await adx(kqlBucketRows(t, digits, buckets))) target.set(String(r.reconcile_key), { key: String(r.reconcile_key), row: String(r.reconcile_row), values: r });
    return { source, target };
}

/** The columns of one key that differ, PostgreSQL reading each ADX value back. */
async function differingColumns(t: ReconcileTarget, sql: SqlClient, key: string, adxValues: Record<string, unknown>): Promise<KeyDifference["columns"]> {
    const check = (c: CatalogColumn, param: (v: string) => string, held: string | null) => {
        const rule = typeRuleFor(t.table, c);
        const col = quoteIdent(c.name);
        const canonical = fillTypeSql(rule.canonicalSql, { type: c.declaredType, column: col });
        // A value the typed column cannot hold is null there; a Kusto string is never null (NULL arrives as "").
        if (held === null) return `(${col} IS NULL OR ${canonical} = '${NULL_TEXT}')`;
        if (held === "" && (rule.currentStateKusto ?? rule.kusto) === "string") return `(${col} IS NULL OR ${canonical} = '')`;
        return `COALESCE(${currentReadBackSql(t.table, c, param(held))}, false)`;
    };
    const compare = async (columns: CatalogColumn[]) => {
        const params: (string | null)[] = [key];
        // Only values a check reads are parameters (PostgreSQL refuses a parameter it cannot type).
        const param = (v: string) => (params.push(v), `$${params.length}`);
        const checks = columns.map((c) => check(c, param, heldText(c)));
        const { rows } = await sql.query(
            `SELECT ARRAY[${checks.join(", ")}] AS same, ARRAY[${columns.map((c) => `${quoteIdent(c.name)}::text`).join(", ")}] AS source FROM ${t.table} WHERE ${sqlKeyPredicate(t, "$1")}`,
            params,
        );
        return rows[0] as { same: boolean[]; source: (string | null)[] } | undefined;
    };
    // A dynamic column's value is read back as its JSON text: a JSON string keeps its quotes.
    const heldText = (c: CatalogColumn): string | null => {
        const value = adxValues[adxColumnName(c.name)];
        const rule = typeRuleFor(t.table, c);
        if ((rule.currentStateKusto ?? rule.kusto) !== "dynamic" || value === null || value === undefined || value === "") return adxText(value);
        return stringifyLosslessJson(value as any) ?? null;
    };
    const differing = (columns: CatalogColumn[], row: { same: boolean[]; source: (string | null)[] }) =>
        columns.flatMap((c, i) => (row.same[i] ? [] : [{ column: c.name, source: row.source[i], adx: adxText(adxValues[adxColumnName(c.name)]) }]));
    try {
        const row = await compare(t.columns);
        return row ? differing(t.columns, row) : [];
    } catch {
        // An ADX value PostgreSQL cannot read as the column's type (e.g. text where an inet belongs) differs;
        // column by column, so the others are still judged.
        const result: KeyDifference["columns"] = [];
        for (const c of t.columns) {
            try {
                const row = await compare([c]);
                if (row) result.push(...differing([c], row));
            } catch {
                const { rows } = await sql.query(`SELECT ${quoteIdent(c.name)}::text AS v FROM ${t.table} WHERE ${sqlKeyPredicate(t, "$1")}`, [key]);
                result.push({ column: c.name, source: rows[0]?.v ?? null, adx: adxText(adxValues[adxColumnName(c.name)]) });
            }
        }
        return result;
    }
}

function keyValues(t: ReconcileTarget, values: Record<string, unknown>): Record<string, string | null> {
    return Object.fromEntries(t.key.map((k) => [k, adxText(values[k])]));
}

/** One round over `buckets`: the keys that differ, with both sides' canonical rows (to tell drift from change). */
async function differingKeys(t: ReconcileTarget, adx: KqlRunner, sql: SqlClient, digits: number, buckets: string[]) {
    const { source, target } = await bucketRows(t, adx, sql, digits, buckets);
    const found = new Map<string, { signature: string; difference: KeyDifference }>();
    for (const [key, s] of source) {
        const a = target.get(key);
        if (!a) found.set(key, { signature: `missing ${s.row}`, difference: { key: keyValues(t, s.values), keyText: key, kind: "missing", columns: [] } });
        else if (a.row !== s.row) {
            const columns = await differingColumns(t, sql, key, a.values);
            if (columns.length) found.set(key, { signature: `values ${s.row} ${a.row}`, difference: { key: keyValues(t, s.values), keyText: key, kind: "values", columns } });
        }
    }
    for (const [key, a] of target) {
        if (!source.has(key)) found.set(key, { signature: `extra ${a.row}`, difference: { key: keyValues(t, a.values), keyText: key, kind: "extra", columns: [] } });
    }
    return { found, rowsRead: source.size + target.size };
}

export async function reconcileTable(t: ReconcileTarget, adx: KqlRunner, sql: SqlClient, options: ReconcileOptions): Promise<TableReconcile> {
    const started = Date.now();
    const progress = options.progress ?? (() => undefined);
    const {
        rows: [{ n }],
    } = await sql.query(`SELECT count(*)::bigint AS n FROM ${t.table}`);
    const digits = bucketDigits(Number(n));
    await options.fence();
    const { source, target } = await summaries(t, adx, sql, digits, options.sample);
    const buckets = [...new Set([...source.keys(), ...target.keys()])].filter((b) => {
        const s = source.get(b);
        const a = target.get(b);
        return !s || !a || s.rows !== a.rows || s.digest !== a.digest;
    });
    const sum = (m: Map<string, { rows: number }>) => [...m.values()].reduce((total, b) => total + b.rows, 0);
    progress(`${t.table}: ${16 ** digits} buckets, ${buckets.length} differ`);
    let rowsRead = 0;
    let drift: KeyDifference[] = [];
    let moving = new Map<string, { signature: string; difference: KeyDifference }>();
    const rounds = options.rounds ?? 3;
    for (let round = 1; round <= rounds && (round === 1 ? buckets.length > 0 : moving.size > 0); round++) {
        if (round > 1) await options.fence();
        // Both sides hash the same UTF-8 text with MD5, so a key's bucket is known here too.
        const check = round === 1 ? buckets : [...new Set([...moving.keys()].map((k) => md5(k).slice(0, digits)))];
        const { found, rowsRead: read } = await differingKeys(t, adx, sql, digits, check);
        rowsRead += read;
        // Drift: the same difference as the previous round (neither side moved); the rest goes round again.
        const stable = [...found].filter(([key, f]) => moving.get(key)?.signature === f.signature);
        drift = drift.concat(stable.map(([, f]) => f.difference));
        moving = new Map([...found].filter(([key, f]) => moving.get(key)?.signature !== f.signature));
        progress(`${t.table}: round ${round}: ${found.size} keys differ, ${stable.length} of them as before (drift), ${moving.size} changed since`);
    }
    const unsettled = moving.size;
    return {
        table: t.table,
        equal: drift.length === 0 && unsettled === 0,
        sourceRows: sum(source),
        adxRows: sum(target),
        buckets: 16 ** digits,
        bucketsDiffering: buckets.length,
        rowsRead,
        differences: drift,
        unsettled,
        coverage: options.sample ? { fraction: options.sample.length / 16, hashPrefixes: options.sample } : { fraction: 1 },
        durationMs: Date.now() - started,
    };
}

function md5(text: string): string {
    return createHash("md5").update(text, "utf8").digest("hex");
}
