// Reconcile's pure parts: bucket sizing, the filter that re-reads drifted keys, and the double's
// rendering of a real as Kusto's tostring() writes it (.NET's shortest round-trip text).
import { adxColumnName, changeMetadataColumns, changeOrderColumn, changeOrderExpression } from "../../kql/adxModel";
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    bucketDigits,
    canonicalKql,
    canonicalSql,
    keySample,
    kqlBucketSummary,
    kqlRowText,
    kqlLatestChanges,
    recordReconcileCommand,
    sqlBucketSummary,
    sqlKeyFilter,
    sqlRowText,
    ReconcileTarget,
} from "../../kql/reconcileQueries";
import { dotnetDoubleText, evaluateKql, parseKqlExpression } from "../../local/doubles/kqlExpression";
import { CatalogColumn } from "../../contract/typeTable";

const column = (name: string, declaredType: string, typeName: string): CatalogColumn => ({ name, declaredType, typeName, kind: "base", notNull: false });
const target: ReconcileTarget = {
    table: 'shop."Line Items"',
    columns: [column("Order", "integer", "int4"), column("it's", "text", "text"), column("at", "timestamp with time zone", "timestamptz")],
    key: ["Order", "it's"],
    functionName: "shop_Line_Items_0a1b2c_current",
};

describe("reconcile queries", () => {
    it("writes a row of 130 columns as the same text, in concatenations of at most 60 values (Kusto's strcat_delim takes 64 arguments, PostgreSQL's concat_ws 100)", () => {
        const columns = Array.from({ length: 130 }, (_, i) => column(`c${i}`, "text", "text"));
        const wide: ReconcileTarget = { table: "erp.wide", columns, key: ["c0"], functionName: "erp_wide_current" };
        const row = Object.fromEntries(columns.map((c, i) => [c.name, `v${i}`]));
        // The ADX test double refuses a strcat_delim of more than 64 arguments, as Kusto does.
        assert.equal(evaluateKql(parseKqlExpression(kqlRowText(wide, columns)), row), columns.map((_, i) => `v${i}`).join("|"));
        assert.equal(
            evaluateKql(parseKqlExpression(kqlRowText(wide, columns.slice(0, 61))), row),
            columns
                .slice(0, 61)
                .map((_, i) => `v${i}`)
                .join("|"),
        );
        const sql = sqlRowText(wide, columns);
        assert.equal(sql.match(/concat_ws\(/g)!.length, 1 + Math.ceil(130 / 60), sql.slice(0, 200));
        assert.ok(sql.startsWith("concat_ws('|', concat_ws('|', "), sql.slice(0, 200));
    });

    it("sizes buckets to about 2,000 rows, from 16 to 65,536", () => {
        assert.equal(bucketDigits(0), 1);
        assert.equal(bucketDigits(32_000), 1);
        assert.equal(bucketDigits(32_001), 2);
        assert.equal(bucketDigits(10_000_000), 4);
        assert.equal(bucketDigits(10_000_000_000), 4);
    });

    it("filters a re-read to exactly the drifted keys, each value quoted and cast to its column's type", () => {
        assert.equal(
            sqlKeyFilter(target, [
                { Order: "7", "it's": "a'b" },
                { Order: "8", "it's": "c" },
            ]),
            `("Order", "it's") IN (('7'::integer, 'a''b'::text), ('8'::integer, 'c'::text))`,
        );
        assert.equal(sqlKeyFilter({ ...target, key: ["Order"] }, [{ Order: "7" }]), `"Order" IN ('7'::integer)`);
    });

    it("writes the same canonical text on both sides: a datetime by format_datetime and to_char, a null as null", () => {
        assert.equal(canonicalKql(target.table, target.columns[2]), `iff(isnull(['at']), "null", format_datetime(['at'], "yyyy-MM-dd HH:mm:ss.fffffff"))`);
        assert.match(canonicalSql(target.table, target.columns[2]), /to_char\(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'\) \|\| '0'/);
        // A name ADX refuses for a column ("'") is read under the column name the model gave it.
        assert.equal(canonicalKql(target.table, target.columns[1]), `['${adxColumnName("it's")}']`);
        assert.match(kqlBucketSummary(target, 2), /by bucket = substring\(hash_md5\(reconcile_key\), 0, 2\)/);
    });

    it("samples sixteenths of the key hashes, consecutive from a start, on both sides alike", () => {
        assert.equal(keySample(1, 5), undefined);
        assert.deepEqual(keySample(0.125, 15), ["e", "f"]);
        assert.deepEqual(keySample(0.01, 3), ["3"]);
        assert.match(kqlBucketSummary(target, 1, ["e", "f"]), /\| where substring\(hash_md5\(reconcile_key\), 0, 1\) in \("e", "f"\) \| summarize/);
        assert.match(sqlBucketSummary(target, 1, ["e", "f"]), /WHERE left\(md5\(.*\), 1\) IN \('e', 'f'\) GROUP BY 1$/);
    });

    it("finds the latest change ADX holds for lost-delete keys by their canonical text, in the change table, in the current state's order", () => {
        const metadata = changeMetadataColumns(["Order"]);
        const order = { column: changeOrderColumn(["Order"]), expression: changeOrderExpression(metadata) };
        assert.equal(
            kqlLatestChanges({ ...target, key: ["Order"] }, "shop_Line_Items_0a1b2c_changes", order, ["7"]),
            `shop_Line_Items_0a1b2c_changes | extend reconcile_key = iff(isnull(['Order']), "null", tostring(['Order'])), change_order = coalesce(emission_stamp, kafka_offset - 4611686018427387904)` +
                ` | where reconcile_key in ("7") | summarize arg_max(change_order, *) by reconcile_key`,
        );
    });

    it("records results as one .set-or-append of literals", () => {
        const command = recordReconcileCommand([
            {
                at: new Date("2026-12-03T01:00:00Z"),
                stack: "cdc-postgres-source",
                sourceTable: 'shop."Line Items"',
                verdict: "drift",
                differingKeys: 3,
                unsettled: 0,
                sourceRows: 10,
                adxRows: 9,
                coverage: 0.5,
                durationMs: 1234,
            },
        ]);
        assert.equal(
            command,
            ".set-or-append cdc_meta_reconcile <| datatable(at:datetime, stack:string, source_table:string, verdict:string, differing_keys:long, unsettled:long, source_rows:long, adx_rows:long, coverage:real, duration_ms:long) " +
                '[datetime(2026-12-03T01:00:00.000Z), "cdc-postgres-source", "shop.\\"Line Items\\"", "drift", 3, 0, 10, 9, real(0.5), 1234]',
        );
    });

    it("the double writes a real as Kusto does: shortest round-trip digits, E notation from 1E+15 and below 1E-05", () => {
        const cases: [number, string][] = [
            [0.1, "0.1"],
            [1, "1"],
            [-2.5, "-2.5"],
            [123456789012345, "123456789012345"],
            [1e15, "1E+15"],
            [1.7976931348623157e308, "1.7976931348623157E+308"],
            [0.0001, "0.0001"],
            [0.00001, "1E-05"],
            [-5e-324, "-5E-324"],
            [NaN, "NaN"],
            [Infinity, "Infinity"],
            [-Infinity, "-Infinity"],
        ];
        for (const [n, text] of cases) assert.equal(dotnetDoubleText(n), text, String(n));
    });
});
