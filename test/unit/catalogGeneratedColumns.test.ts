// Generated columns: PostgreSQL before 18 does not publish them to logical replication, so the
// catalog leaves them out of the captured columns (a snapshot would read values the stream never
// sends), and a primary key that includes one is refused with the capture.keys fix.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { catalogTablesFromRows, CatalogRow, currentStateKey } from "../../postgres/catalog";

function row(column: string, extra: Partial<CatalogRow> = {}): CatalogRow {
    return {
        qualified_name: "app.invoices",
        replica_identity: "f",
        column_name: column,
        not_null: false,
        declared_type: "integer",
        type_name: "int4",
        type_type: "b",
        type_category: "N",
        element_type_name: null,
        element_type_type: null,
        numeric_precision: null,
        key_position: 0,
        generated: false,
        ...extra,
    };
}

describe("generated columns in the catalog", () => {
    it("are left out of the captured columns and listed on their own", () => {
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1 }), row("net"), row("gross", { generated: true })]);
        assert.deepEqual(
            tables[0].columns.map((c) => c.name),
            ["id", "net"],
        );
        assert.deepEqual(tables[0].generatedColumns, ["gross"]);
        assert.deepEqual(currentStateKey(tables[0]), ["id"]);
    });

    it("a table without one has no generatedColumns field (catalogs read before stay equal)", () => {
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1 })]);
        assert.equal("generatedColumns" in tables[0], false);
    });

    it("a primary key with a generated column is refused, naming the column and the capture.keys fix; a configured key is accepted", () => {
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1 }), row("slot", { key_position: 2, generated: true }), row("ref")]);
        assert.throws(() => currentStateKey(tables[0]), /app\.invoices's primary key includes generated column\(s\) slot.*capture\.keys\["app\.invoices"\]\[0\]/);
        assert.deepEqual(currentStateKey(tables[0], ["id", "ref"]), ["id", "ref"]);
    });
});
