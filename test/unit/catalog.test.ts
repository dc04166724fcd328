// What the catalog reader makes of a table. Generated columns: PostgreSQL before 18 does not publish
// them to logical replication, so the catalog leaves them out of the captured columns (a snapshot
// would read values the stream never sends), and a primary key that includes one is refused with the
// capture.keys fix. Keys: the primary key, else a unique index over NOT NULL columns, else refused.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { catalogTablesFromRows, CatalogRow, currentStateKey, messageKeyColumns } from "../../postgres/catalog";
import {
    buildCreateTriggerStatement,
    buildTriggerReleaseStatement,
    buildTruncationLogStatements,
    buildTruncationTeardownStatements,
    partitionKey,
    partitionOid,
    truncationTriggerNames,
    UNPUBLISHED_TRUNCATIONS_SQL,
} from "../../postgres/partitionTruncations";
import { arrayElementColumn, domainBaseTypes, typeRuleFor } from "../../contract/typeTable";

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

describe("a partitioned table in the catalog", () => {
    it("records its leaf partitions by relation OID (a plain table none), so a deployment sees one come or go", () => {
        const leaves = { "16401": "app.invoices_2025", "16402": 'app."Invoices 2026"' };
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1, relation_id: "16400", partitions: leaves })]);
        assert.deepEqual(tables[0].partitions, leaves);
        const plain = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1, relation_id: "16400", partitions: null })]).tables[0];
        assert.equal("partitions" in plain, false);
        const empty = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1, relation_id: "16400", partitions: {} })]).tables[0];
        assert.deepEqual(empty.partitions, {}, "a partitioned table with no partition yet records none, so its first one counts as new");
    });

    it("records a partition truncated alone (a TRUNCATE PostgreSQL did not publish) under its OID and that truncation, so a deployment sees it", () => {
        const leaves = { "16401": "app.invoices_2025", "16402": "app.invoices_2026" };
        const truncations = [
            { captured: "app.invoices", relation: "16401", truncation: "7" },
            { captured: "app.other", relation: "16402", truncation: "9" },
        ];
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1, relation_id: "16400", partitions: leaves })], truncations);
        assert.deepEqual(tables[0].partitions, { "16401@7": "app.invoices_2025", "16402": "app.invoices_2026" }, "another table's truncation is not this one's");
        assert.equal(partitionOid("16401@7"), "16401");
        assert.equal(partitionKey("16401"), "16401");
    });
});

describe("the stack's TRUNCATE triggers", () => {
    it("are named after the publication, write the shared log as the admin, and go with their function on destroy", () => {
        const names = truncationTriggerNames("debezium_cdc_pub");
        assert.deepEqual(names, { functionName: "cdc_meta.debezium_cdc_pub_truncated", triggerName: "debezium_cdc_pub_truncate" });
        const statements = buildTruncationLogStatements("debezium_cdc_pub", "cdc_operator").join("\n");
        assert.match(statements, /CREATE TABLE IF NOT EXISTS cdc_meta\.partition_truncations/);
        assert.match(statements, /REVOKE ALL ON cdc_meta\.partition_truncations FROM PUBLIC/);
        assert.match(statements, /SECURITY DEFINER SET search_path = pg_catalog, pg_temp/);
        assert.match(statements, /GRANT SELECT ON cdc_meta\.partition_truncations TO cdc_operator/);
        assert.equal(
            buildCreateTriggerStatement("debezium_cdc_pub", '"App"."Invoices 2025"'),
            'CREATE TRIGGER debezium_cdc_pub_truncate AFTER TRUNCATE ON "App"."Invoices 2025" FOR EACH STATEMENT EXECUTE FUNCTION cdc_meta.debezium_cdc_pub_truncated()',
        );
        assert.match(buildTruncationTeardownStatements("debezium_cdc_pub")[0], /^DROP FUNCTION IF EXISTS cdc_meta\.debezium_cdc_pub_truncated\(\) CASCADE$/);
        assert.match(buildTriggerReleaseStatement("debezium_cdc_pub", 'app."It\'s"', "3s"), /to_regclass\('app\."It''s"'\)/);
        assert.match(
            UNPUBLISHED_TRUNCATIONS_SQL,
            /NOT EXISTS \(SELECT FROM cdc_meta\.partition_truncations r WHERE r\.xid = l\.xid AND r\.relation = to_regclass\(w\.captured\)\)/,
        );
    });
});

describe("the key of a table without a primary key", () => {
    it("is its unique index over NOT NULL columns (a join table an ORM made), which Debezium is told to key its records by", () => {
        const unique = { unique_key: ["A", "B"] };
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("A", { not_null: true, ...unique }), row("B", { not_null: true, ...unique }), row("note", unique)]);
        assert.deepEqual(tables[0].uniqueKey, ["A", "B"]);
        assert.deepEqual(currentStateKey(tables[0]), ["A", "B"]);
        assert.deepEqual(currentStateKey(tables[0], ["note"]), ["note"], "capture.keys still decides");
        assert.deepEqual(messageKeyColumns([{ ...tables[0], key: ["A", "B"] }]), { "app.invoices": ["A", "B"] });
    });

    it("a table with a primary key keeps it, and Debezium its default key; one with neither is refused with both fixes", () => {
        const { tables } = catalogTablesFromRows(["app.invoices"], [row("id", { key_position: 1, unique_key: ["code"] }), row("code", { unique_key: ["code"] })]);
        assert.equal("uniqueKey" in tables[0], false);
        assert.deepEqual(messageKeyColumns([{ ...tables[0], key: currentStateKey(tables[0]) }]), {});
        const separator = catalogTablesFromRows(["app.invoices"], [row("a:b", { not_null: true, unique_key: ["a:b"] })]).tables[0];
        assert.throws(
            () => currentStateKey(separator),
            /app\.invoices has no primary key, and its unique index over \(a:b\) cannot key it: column name\(s\) "a:b" hold , ; or :.*ADD PRIMARY KEY.*RENAME COLUMN/,
            "a name Debezium's key list cannot hold is no key, and the message says why",
        );
        const keyless = catalogTablesFromRows(["app.invoices"], [row("a"), row("b")]).tables[0];
        assert.throws(
            () => currentStateKey(keyless),
            /app\.invoices has no primary key and no unique index over NOT NULL columns.*ADD PRIMARY KEY.*capture\.keys\["app\.invoices"\]\[0\]/,
        );
    });
});

describe("domains", () => {
    it("map as their base type; the converter is told each domain's base; two domains of one name over different types are refused", () => {
        const { tables } = catalogTablesFromRows(
            ["app.invoices"],
            [
                row("id", { key_position: 1, not_null: true }),
                row("due", { declared_type: "app.due_date", base_declared_type: "date", domain_type_name: "due_date", type_name: "date", type_category: "D" }),
                row("codes", {
                    declared_type: "app.codes",
                    base_declared_type: "integer[]",
                    domain_type_name: "codes",
                    type_name: "_int4",
                    type_category: "A",
                    element_type_name: "int4",
                    element_type_type: "b",
                }),
            ],
        );
        const [due, codes] = tables[0].columns.slice(1);
        assert.equal(typeRuleFor("app.invoices", due).id, "date");
        assert.equal(typeRuleFor("app.invoices", codes).id, "array");
        // An array domain's element is its base's element (the read-back SQL casts to it).
        assert.equal(arrayElementColumn(codes).declaredType, "integer");
        assert.deepEqual(domainBaseTypes(tables), ["codes:_int4", "due_date:date"]);
        const other = { ...tables[0], qualifiedName: "billing.invoices", columns: [{ ...due, typeName: "timestamptz" }] };
        assert.throws(
            () => domainBaseTypes([...tables, other]),
            /domains named due_date over different types, date at app\.invoices\.due \(app\.due_date\) and timestamptz at billing\.invoices\.due.*ALTER DOMAIN/,
        );
        // A column of a plain type names no domain: catalogs read before stay equal.
        assert.equal("domainTypeName" in tables[0].columns[0], false);
    });
});
