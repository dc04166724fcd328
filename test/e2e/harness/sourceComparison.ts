// What ADX holds for a captured table against PostgreSQL, value by value: the rows the generated
// current-state function shows (evaluated by the ADX double from the KQL the stack sent, its
// delete and snapshot rules included), each compared by PostgreSQL itself, which reads the ADX
// value back as the column's own type (the type table's sameValueSql).
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { stringify as stringifyLosslessJson } from "lossless-json";
import { LocalPipeline } from "../../../local/localPipeline";
import { KustoSinkDeployment } from "../../../local/kustoSinkDeployment";
import { readBackSql, typeRuleFor } from "../../../contract/typeTable";
import { adxColumnName, adxNamesFor, changeMetadataColumns } from "../../../kql/adxModel";
import { KustoValue } from "../../../local/doubles/adxIngestionTestDouble";
import { pollUntil } from "../../../runtime/pollUntil";
import { quoteIdent } from "../../../contract/identifiers";

export interface TableComparison {
    table: string;
    mismatches: string[];
    /** Rows the current-state function shows. */
    adxRows: number;
    sourceRows: number;
    changeRows: number;
    /** Change rows that repeat a Kafka record already stored (same partition and offset): the sink's at-least-once redeliveries. */
    duplicates: number;
}

/** The text PostgreSQL is asked to read back, for a value as the double stores it. */
function adxText(value: KustoValue): string | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "object") return stringifyLosslessJson(value) ?? null;
    return String(value);
}

export async function compareWithSource(pipeline: LocalPipeline, admin: Client, sink: KustoSinkDeployment, table: string): Promise<TableComparison> {
    const model = sink.models.find((m) => m.table === table);
    if (!model) throw new Error(`${table} is not deployed to ADX by this test`);
    const described = model.described;
    const changes = (pipeline.adx.ingested.get(adxNamesFor(table).changes) ?? []).map((r) => r.row);
    const { kafkaPartition, kafkaOffset, record } = changeMetadataColumns(described.columns.map((c) => c.name));
    const current = pipeline.adx.currentState(model.names.currentState, { stored: true });
    const distinct = new Set(changes.map((r) => `${r[kafkaPartition.column]}/${r[kafkaOffset.column]}`));
    const {
        rows: [{ n: sourceRows }],
    } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
    const mismatches: string[] = [];
    for (const row of current) {
        const params: (string | null)[] = [];
        const param = (v: string | null) => (params.push(v), `$${params.length}`);
        // A Kusto string is never null: NULL and '' are both "" in a string column, and the record column
        // (the change as Debezium sent it) tells them apart. Where the typed column cannot hold a value
        // (a BC date, infinity: null), the type table reads the record's text instead.
        const sameValue = (c: (typeof described.columns)[number]) => {
            const rule = typeRuleFor(table, c);
            const whole = row[record.column] as Record<string, KustoValue> | null;
            const inRecord = whole ? whole[c.name] : null;
            const typed = row[adxColumnName(c.name)];
            const typedEmpty = typed === null || typed === undefined || (rule.kusto === "string" && typed === "");
            const fromRecord = typedEmpty && inRecord !== null && inRecord !== undefined && rule.recordSameValueSql !== undefined;
            // A dynamic column's string (an array PostgreSQL writes as its text) is read back as JSON text, as reconcile reads it.
            const typedText = rule.kusto === "dynamic" && typeof typed === "string" && typed !== "" ? JSON.stringify(typed) : adxText(typed);
            const p = param(fromRecord ? adxText(inRecord) : typedEmpty && (inRecord === null || inRecord === undefined) ? null : typedText);
            const template = fromRecord ? rule.recordSameValueSql! : rule.sameValueSql;
            return { p, sql: readBackSql(template, p, { catalog: c, sql: quoteIdent(c.name) }, table) };
        };
        const checks = described.columns.map((c) => {
            const same = sameValue(c);
            return `CASE WHEN ${same.p}::text IS NULL THEN ${quoteIdent(c.name)} IS NULL ELSE COALESCE(${same.sql}, false) END`;
        });
        // The row with the same key, as PostgreSQL reads the key values ADX holds.
        const where = described.key.map((k) => sameValue(described.columns.find((c) => c.name === k)!).sql).join(" AND ");
        const sql = `SELECT ARRAY[${checks.join(", ")}] AS same, ARRAY[${described.columns.map((c) => `${quoteIdent(c.name)}::text`).join(", ")}] AS source FROM ${table} WHERE ${where}`;
        let rows: { same: boolean[]; source: string[] }[];
        try {
            ({ rows } = await admin.query(sql, params));
        } catch (error: any) {
            // A value ADX holds that PostgreSQL cannot read as the column's type (class 22: data exception, e.g. a
            // composite's text from before an attribute was added) is a difference, not a comparison that cannot run.
            if (!String(error.code ?? "").startsWith("22")) throw error;
            mismatches.push(`${table} key ${stringifyLosslessJson(described.key.map((k) => row[adxColumnName(k)]))}: PostgreSQL cannot read what ADX holds: ${error.message}`);
            continue;
        }
        if (rows.length !== 1) {
            mismatches.push(`${table} key ${stringifyLosslessJson(described.key.map((k) => row[adxColumnName(k)]))}: in ADX, ${rows.length} rows in PostgreSQL`);
            continue;
        }
        rows[0].same.forEach((same: boolean, i: number) => {
            if (!same)
                mismatches.push(
                    `${table}.${described.columns[i].name} (${described.columns[i].declaredType}): ADX ${JSON.stringify(adxText(row[adxColumnName(described.columns[i].name)]))} vs PostgreSQL ${JSON.stringify(rows[0].source[i])}`,
                );
        });
    }
    return { table, mismatches, adxRows: current.length, sourceRows, changeRows: changes.length, duplicates: changes.length - distinct.size };
}

/** Polls until every table in ADX equals its source (or the deadline), logs one line per table, and returns the last comparison. */
export async function waitUntilEqual(
    pipeline: LocalPipeline,
    admin: Client,
    sink: KustoSinkDeployment,
    tables: string[],
    label: string,
    timeoutMs = 120_000,
): Promise<TableComparison[]> {
    const compareAll = async () => {
        const results: TableComparison[] = [];
        for (const table of tables) results.push(await compareWithSource(pipeline, admin, sink, table));
        return results;
    };
    let results: TableComparison[] = [];
    // At the deadline the last comparison is returned (not thrown): the caller's assertions name what differs.
    await pollUntil({
        attempt: async () => ((results = await compareAll()).every((r) => r.mismatches.length === 0 && r.adxRows === r.sourceRows) ? true : undefined),
        timeoutMs,
        intervalMs: 500,
        timeoutError: () => new Error("not equal"),
    }).catch((e: Error) => {
        // A comparison that cannot run (bad SQL, a lost connection) fails at once; only a timeout is "not equal".
        if (e.message !== "not equal") throw e;
    });
    for (const r of results)
        process.stderr.write(
            `e2e: ${label} ${r.table}: ${r.sourceRows} source rows, ${r.adxRows} current rows in ADX, ${r.changeRows} change rows, ${r.duplicates} duplicates, ${r.mismatches.length} mismatched values` +
                `${r.mismatches.length ? ` (first: ${r.mismatches.slice(0, 3).join("; ")})` : ""}\n`,
        );
    return results;
}

/** Asserts that ADX's current state equals the source for every compared table: value by value, and row for row. */
export function assertEqualToSource(results: TableComparison[]): void {
    assert.deepEqual(
        results.flatMap((r) => r.mismatches),
        [],
    );
    for (const r of results) assert.equal(r.adxRows, r.sourceRows, `${r.table}: rows in ADX vs PostgreSQL`);
}
