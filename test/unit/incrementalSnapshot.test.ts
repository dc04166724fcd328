// The incremental snapshot request's pure parts: which tables joined, whether the running task
// already captures them, the signal row Debezium reads, and how status renders the progress.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    addedTables,
    capturedTableShapes,
    executeSnapshotSignal,
    incrementalSnapshotProvider,
    partitionChanges,
    partitionReadFilter,
    relabeledTables,
    rereadPlan,
    replacedTables,
    tablesToReread,
    taskCaptures,
} from "../../postgres/incrementalSnapshot";
import { tableFromDebeziumPattern } from "../../contract/identifiers";
import { renderHealthReport } from "../../operations/pipelineHealth";
import { tableGenerations } from "../../kql/kqlSchema";
import { changeTableGenerations } from "../../kql/adxModel";

describe("incremental snapshot of tables added to a running stack", () => {
    it("signals only the tables that joined, in config order", () => {
        assert.deepEqual(addedTables(["a.x", "b.y"], ["c.z", "a.x", "b.y", "d.w"]), ["c.z", "d.w"]);
        assert.deepEqual(addedTables(["a.x"], ["a.x"]), []);
        assert.deepEqual(addedTables(undefined, ["a.x"]), ["a.x"]);
    });

    it("re-reads a table that gained a column name (RENAME COLUMN, ADD COLUMN ... DEFAULT), not one that only lost one", () => {
        const olds = { tables: ["a.x", "b.y"], tableColumns: { "a.x": ["id", "note"], "b.y": ["id", "v", "w"] } };
        assert.deepEqual(tablesToReread(olds, { tables: ["a.x", "b.y"], tableColumns: { "a.x": ["id", "remark"], "b.y": ["id", "v"] } }), ["a.x"]);
        assert.deepEqual(tablesToReread(olds, { tables: ["a.x", "b.y", "c.z"], tableColumns: { ...olds.tableColumns, "c.z": ["id"] } }), ["c.z"]);
        assert.deepEqual(
            tablesToReread({ tables: ["a.x"] }, { tables: ["a.x"], tableColumns: { "a.x": ["id"] } }),
            [],
            "a stack deployed before columns were recorded re-reads nothing",
        );
    });

    it("re-reads a table with a column whose declared type changed (ALTER COLUMN ... TYPE rewrites every row, publishing nothing), once", () => {
        const described = [
            {
                qualifiedName: "a.x",
                columns: [
                    { name: "id", declaredType: "integer" },
                    { name: "price", declaredType: "numeric(10,2)" },
                ],
            },
            { qualifiedName: "b.y", columns: [{ name: "id", declaredType: "integer" }] },
            { qualifiedName: "cdc_meta.heartbeat_cdc", columns: [{ name: "id", declaredType: "integer" }] },
        ];
        const tables = ["a.x", "b.y"];
        const olds = { tables, ...capturedTableShapes(described, tables) };
        assert.deepEqual(Object.keys(olds.tableColumnTypes), ["a.x", "b.y"], "the heartbeat is not a captured table");
        const retyped = described.map((t) => (t.qualifiedName === "a.x" ? { ...t, columns: [t.columns[0], { name: "price", declaredType: "bigint" }] } : t));
        const news = { tables, ...capturedTableShapes(retyped, tables) };
        assert.deepEqual(tablesToReread(olds, news), ["a.x"]);
        assert.deepEqual(tablesToReread(news, news), [], "the next pulumi up reads nothing again");
        assert.deepEqual(tablesToReread({ tables, tableColumns: olds.tableColumns }, news), [], "a stack deployed before types were recorded re-reads nothing");
    });

    it("re-reads a table whose ADX change table was created again (dropped in ADX, restored by pulumi up), once", () => {
        const adopted = tableGenerations(["a_x_changes", "b_y_changes"], [], undefined);
        assert.deepEqual(adopted, { a_x_changes: "adopted", b_y_changes: "adopted" }, "tables that existed before the stack");
        const recreated = tableGenerations(["a_x_changes", "b_y_changes"], ["b_y_changes"], adopted, new Date("2026-12-03T21:00:00Z"));
        assert.deepEqual(recreated, { a_x_changes: "adopted", b_y_changes: "2026-12-03T21:00:00.000Z" });
        const tables = ["a.x", "b.y"];
        const olds = { tables, adxTableGenerations: changeTableGenerations(tables, adopted) };
        const news = { tables, adxTableGenerations: changeTableGenerations(tables, recreated) };
        assert.deepEqual(tablesToReread(olds, news), ["b.y"]);
        assert.deepEqual(tablesToReread(news, news), [], "the next pulumi up reads nothing again");
        assert.deepEqual(tablesToReread({ tables }, news), [], "a stack deployed before generations were recorded re-reads nothing");
        // A table that joins and whose ADX table is new is read once, as a new table.
        assert.deepEqual(tablesToReread({ tables: ["a.x"], adxTableGenerations: { "a.x": "adopted" } }, news), ["b.y"]);
    });

    it("fences and re-reads a table dropped and created again under its name (another relation), once; an unchanged one never", () => {
        const tables = ["a.x", "b.y"];
        const described = (xRelation: string) => [
            { qualifiedName: "a.x", relationId: xRelation, columns: [{ name: "id", declaredType: "integer" }] },
            { qualifiedName: "b.y", relationId: "16500", columns: [{ name: "id", declaredType: "integer" }] },
        ];
        const olds = { tables, ...capturedTableShapes(described("16400"), tables) };
        assert.deepEqual(olds.tableRelations, { "a.x": "16400", "b.y": "16500" });
        const news = { tables, ...capturedTableShapes(described("16999"), tables) };
        assert.deepEqual(replacedTables(olds, news), ["a.x"]);
        assert.deepEqual(tablesToReread(olds, news), ["a.x"]);
        assert.deepEqual(tablesToReread(news, news), [], "the next pulumi up reads nothing again");
        assert.deepEqual(replacedTables({ tables }, news), [], "a stack deployed before relations were recorded replaces nothing");
        assert.deepEqual(replacedTables({ tables: ["b.y"], tableRelations: { "b.y": "16500" } }, news), [], "a table joining capture is added, not replaced");
        // Replaced and given a new column: read once, and still fenced.
        const reshaped = {
            tables,
            ...capturedTableShapes(
                described("16999").map((t) => (t.qualifiedName === "a.x" ? { ...t, columns: [...t.columns, { name: "v", declaredType: "text" }] } : t)),
                tables,
            ),
        };
        assert.deepEqual(tablesToReread(olds, reshaped), ["a.x"]);
        assert.deepEqual(replacedTables(olds, reshaped), ["a.x"]);
    });

    it("re-reads a table whose composite type gained or lost an attribute (every value's text changed unpublished)", () => {
        const tables = ["a.x"];
        const described = (shape: string) => [
            {
                qualifiedName: "a.x",
                columns: [
                    { name: "id", declaredType: "integer" },
                    { name: "parcel", declaredType: "shop.parcel", compositeShape: shape },
                ],
            },
        ];
        const olds = { tables, ...capturedTableShapes(described("shop.parcel(carrier text, grams integer)"), tables) };
        assert.deepEqual(olds.tableColumnTypes, { "a.x": { id: "integer", parcel: "shop.parcel = shop.parcel(carrier text, grams integer)" } });
        assert.deepEqual(tablesToReread(olds, { tables, ...capturedTableShapes(described("shop.parcel(carrier text, grams integer)"), tables) }), [], "unchanged");
        const added = { tables, ...capturedTableShapes(described("shop.parcel(carrier text, grams integer, insured boolean)"), tables) };
        assert.deepEqual(tablesToReread(olds, added), ["a.x"]);
        assert.deepEqual(tablesToReread(added, added), [], "once");
    });

    it("re-reads a table whose enum label was renamed (every row holding it changed unpublished), not one whose enum gained a label", () => {
        const tables = ["a.x"];
        const described = (labels: string[]) => [
            {
                qualifiedName: "a.x",
                columns: [
                    { name: "id", declaredType: "integer" },
                    { name: "mood", declaredType: "mood", enumLabels: labels },
                    { name: "moods", declaredType: "mood[]", enumLabels: labels },
                ],
            },
        ];
        const olds = { tables, ...capturedTableShapes(described(["sad", "ok"]), tables) };
        assert.deepEqual(olds.tableEnumLabels, { "a.x": { mood: ["sad", "ok"], moods: ["sad", "ok"] } });
        const added = { tables, ...capturedTableShapes(described(["sad", "ok", "happy"]), tables) };
        assert.deepEqual(tablesToReread(olds, added), [], "a label added changes no row");
        const renamed = { tables, ...capturedTableShapes(described(["unhappy", "ok", "happy"]), tables) };
        assert.deepEqual(relabeledTables(added, renamed), ["a.x"]);
        assert.deepEqual(tablesToReread(added, renamed), ["a.x"]);
        assert.deepEqual(tablesToReread(renamed, renamed), [], "once");
        assert.deepEqual(tablesToReread({ tables }, renamed), [], "a stack deployed before labels were recorded re-reads nothing");
    });

    it("a partitioned table that lost a partition (DETACH, DROP) is fenced and read whole; one that only gained partitions reads just theirs", () => {
        const tables = ["a.events", "b.y"];
        const described = (leaves: Record<string, string>) => [
            { qualifiedName: "a.events", relationId: "16400", partitions: leaves, columns: [{ name: "id", declaredType: "bigint" }] },
            { qualifiedName: "b.y", relationId: "16500", columns: [{ name: "id", declaredType: "integer" }] },
        ];
        const olds = { tables, ...capturedTableShapes(described({ "16401": "a.events_2025", "16402": "a.events_2026" }), tables) };
        assert.deepEqual(olds.tablePartitions, { "a.events": { "16401": "a.events_2025", "16402": "a.events_2026" } }, "a plain table records no partitions");
        assert.deepEqual(rereadPlan(olds, olds), { tables: [], fenced: [], filters: {} }, "nothing changed: nothing read");

        const attached = { tables, ...capturedTableShapes(described({ "16401": "a.events_2025", "16402": "a.events_2026", "16410": "a.events_2027" }), tables) };
        assert.deepEqual(partitionChanges(olds, attached), [{ table: "a.events", added: ["16410"], removed: [], truncated: [] }]);
        assert.deepEqual(rereadPlan(olds, attached), { tables: ["a.events"], fenced: [], filters: { "a.events": "tableoid IN (16410)" } });

        const dropped = { tables, ...capturedTableShapes(described({ "16402": "a.events_2026", "16410": "a.events_2027" }), tables) };
        assert.deepEqual(partitionChanges(olds, dropped), [{ table: "a.events", added: ["16410"], removed: ["16401"], truncated: [] }]);
        assert.deepEqual(rereadPlan(olds, dropped), { tables: ["a.events"], fenced: ["a.events"], filters: {} }, "fenced and read whole, no filter");

        // Dropped and created again under its name: another relation, so it counts as removed and added.
        const recreated = { tables, ...capturedTableShapes(described({ "16420": "a.events_2025", "16402": "a.events_2026" }), tables) };
        assert.deepEqual(partitionChanges(olds, recreated), [{ table: "a.events", added: ["16420"], removed: ["16401"], truncated: [] }]);

        // A partition truncated alone (its newest unpublished TRUNCATE in its identity): fenced and read whole, like one dropped.
        const truncated = { tables, ...capturedTableShapes(described({ "16401@7": "a.events_2025", "16402": "a.events_2026" }), tables) };
        assert.deepEqual(partitionChanges(olds, truncated), [{ table: "a.events", added: [], removed: [], truncated: ["16401@7"] }]);
        assert.deepEqual(rereadPlan(olds, truncated), { tables: ["a.events"], fenced: ["a.events"], filters: {} });
        const again = { tables, ...capturedTableShapes(described({ "16401@9": "a.events_2025", "16402": "a.events_2026" }), tables) };
        assert.deepEqual(partitionChanges(truncated, again)[0].truncated, ["16401@9"], "a second TRUNCATE of it counts again");
        assert.deepEqual(partitionChanges(truncated, truncated), [], "the same TRUNCATE, recorded, counts once");
        // Truncated, then a partition attached: read whole (the fence hides what the attached rows' read brings back anyway).
        const truncatedAndAttached = { tables, ...capturedTableShapes(described({ "16401@7": "a.events_2025", "16402": "a.events_2026", "16410": "a.events_2027" }), tables) };
        assert.deepEqual(rereadPlan(olds, truncatedAndAttached), { tables: ["a.events"], fenced: ["a.events"], filters: {} });
        // A recorded truncation whose partition is dropped since: removed.
        assert.deepEqual(partitionChanges(truncated, { tables, ...capturedTableShapes(described({ "16402": "a.events_2026" }), tables) })[0].removed, ["16401@7"]);

        // A table read whole for another reason (a new column) is not narrowed to its new partitions.
        const reshaped = { ...attached, tableColumns: { ...attached.tableColumns, "a.events": ["id", "note"] } };
        assert.deepEqual(rereadPlan(olds, reshaped), { tables: ["a.events"], fenced: [], filters: {} });
        assert.deepEqual(rereadPlan({ tables: ["b.y"] }, attached).filters, {}, "a table that joins capture now is read whole");
        assert.deepEqual(partitionChanges({ tables }, attached), [], "a stack deployed before partitions were recorded compares nothing");
        assert.throws(() => partitionReadFilter(["16410); DROP TABLE x; --"]), /partition relation OIDs expected/);
        assert.throws(() => partitionReadFilter([]), /partition relation OIDs expected/);
    });

    it("its diff sees every shape it re-reads for (columns, types, ADX generations, relations, enum labels, partitions), so pulumi up runs the update", async () => {
        const base = { connection: {}, signalTable: "cdc_meta.signal_cdc", connectUrl: "http://c", connectorName: "s", tables: ["a.x"], topicPrefix: "cdc" };
        const shapes = {
            tableColumns: { "a.x": ["id", "mood"] },
            tableColumnTypes: { "a.x": { id: "integer", mood: "mood" } },
            adxTableGenerations: { "a.x": "adopted" },
            tableRelations: { "a.x": "16400" },
            tableEnumLabels: { "a.x": { mood: ["sad", "ok"] } },
            tablePartitions: { "a.x": { "16401": "a.x_1" } },
        };
        const olds = { ...base, ...shapes };
        assert.equal((await incrementalSnapshotProvider.diff!("id", olds, { ...olds })).changes, false);
        const changed: Record<string, unknown> = {
            tableColumns: { "a.x": ["id", "feeling"] },
            tableColumnTypes: { "a.x": { id: "bigint", mood: "mood" } },
            adxTableGenerations: { "a.x": "2026-12-04T00:00:00.000Z" },
            tableRelations: { "a.x": "16999" },
            tableEnumLabels: { "a.x": { mood: ["unhappy", "ok"] } },
            tablePartitions: { "a.x": { "16401": "a.x_1", "16402": "a.x_2" } },
        };
        for (const [key, value] of Object.entries(changed))
            assert.equal((await incrementalSnapshotProvider.diff!("id", olds, { ...olds, [key]: value })).changes, true, `${key} changed`);
    });

    it("waits for a task whose table.include.list (escaped as the stack writes it) has every added table", () => {
        const task = (list: string) => ({ config: { "table.include.list": list } });
        assert.equal(taskCaptures([task("(?-i)retail\\.orders_info,(?-i)cdc_meta\\.heartbeat_cdc")], ["retail.orders_info"]), true);
        assert.equal(taskCaptures([task("(?-i)retail\\.orders_info")], ["retail.orders_info", "shop.returns"]), false);
        assert.equal(taskCaptures([task("(?-i)Sales\\.Order Items")], ['"Sales"."Order Items"']), true);
        assert.equal(taskCaptures([], ["retail.orders_info"]), false);
    });

    it("writes Debezium's execute-snapshot signal for an incremental snapshot, one id per request", () => {
        const signal = executeSnapshotSignal(["shop.returns"], new Date("2026-01-02T03:04:05Z"));
        assert.equal(signal.type, "execute-snapshot");
        // Debezium matches data-collections as regexes against schema.table: each table's exact pattern.
        assert.deepEqual(JSON.parse(signal.data), { "data-collections": ["(?-i)shop\\.returns"], type: "incremental" });
        assert.match(signal.id, /^pg-adx-cdc-2026-01-02T03:04:05\.000Z-[a-z0-9]+$/);
        assert.ok(signal.id.length <= 64, "fits the signal table's id column");
        assert.notEqual(executeSnapshotSignal(["shop.returns"]).id, executeSnapshotSignal(["shop.returns"]).id);
    });

    it("names a table Debezium cannot parse from its regex match (a space, an accent) quoted, and restricts a read to keys with additional-conditions", () => {
        const signal = executeSnapshotSignal(['shop."Line Items"', "shop.orders"], new Date(), {
            'shop."Line Items"': `("Order", "Line") IN (('7'::integer, '2'::integer))`,
            "shop.orders": "id IN ('10'::bigint)",
        });
        assert.deepEqual(JSON.parse(signal.data), {
            "data-collections": ['"shop"."Line Items"', "(?-i)shop\\.orders"],
            type: "incremental",
            "additional-conditions": [
                { "data-collection": '\\Q"shop"."Line Items"\\E', filter: `("Order", "Line") IN (('7'::integer, '2'::integer))` },
                { "data-collection": "(?-i)shop\\.orders", filter: "id IN ('10'::bigint)" },
            ],
        });
        // status reads the quoted entry back as the table's name.
        assert.equal(tableFromDebeziumPattern('"shop"."Line Items"'), 'shop."Line Items"');
        assert.equal(tableFromDebeziumPattern('"Ventes Été"."Commandes"'), '"Ventes Été"."Commandes"');
    });

    it("status lists each requested snapshot as reading or done, with the chunks read", () => {
        const report = {
            connectors: [],
            topics: [],
            unreachable: [],
            incrementalSnapshots: {
                signals: [
                    { id: "s1", tables: ["shop.returns"] },
                    { id: "s2", tables: ["shop.refunds"] },
                ],
                chunksRead: 7,
                inProgress: ["shop.refunds"],
            },
        };
        const text = renderHealthReport(report, []);
        assert.match(text, /snapshot {3}incremental shop\.returns \(s1\): done; 7 chunk/);
        assert.match(text, /snapshot {3}incremental shop\.refunds \(s2\): reading/);
    });
});
