// The dev stack capturing two tables by name only (the demo orders and the Debezium cookbook's
// products), under Pulumi mocks whose catalog holds those tables: both are modelled from the
// catalog, reach the source connector, the sink and the operator contract; no KQL file is needed.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { resolveOutput, unsecret } from "../support/pulumiMocks";
import { ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";
import { parseOperationsOutputs } from "../../contract/stackOutputs";
import { currentStateOf, sinkTargetOf } from "../../kql/kqlModel";

let run: ProgramRun;

before(async () => {
    run = await runProgramWithStackFile("dev", {
        "pg-adx-cdc:capture": { tables: ["retail.orders_info", "inventory.products"], replicaIdentity: { "inventory.products": "default" } },
    });
});

describe("the dev stack with capture.tables [retail.orders_info, inventory.products]", () => {
    it("reads both tables, and the stack's heartbeat table, from the catalog after the bootstrap", () => {
        const catalog = run.one("pulumi-nodejs:dynamic/pg-adx-cdc:SourceCatalog");
        assert.deepEqual(catalog.inputs.tables, ["retail.orders_info", "inventory.products", "cdc_meta.heartbeat_cdc"]);
        assert.equal(catalog.inputs.connection.database, "retail");
    });

    it("models each table in its own KqlSchema, generated from the catalog", () => {
        const schemas = ["cdc-kql-retail.orders_info", "cdc-kql-inventory.products"].map((n) => run.dynamic("KqlSchema").find((k) => k.name === n)!);
        assert.deepEqual(
            run
                .dynamic("KqlSchema")
                .filter((k) => k.name.startsWith("cdc-kql-"))
                .map((k) => k.name)
                .sort(),
            ["cdc-kql-heartbeat", "cdc-kql-inventory.products", "cdc-kql-retail.orders_info", "cdc-kql-worker-health"],
        );
        const products = schemas[1].inputs.scripts;
        assert.deepEqual(
            sinkTargetOf(products).tableColumns.map((c) => `${c.name}:${c.type}`),
            [
                "id:guid",
                "name:string",
                "weight:real",
                "created_at:datetime",
                "op:string",
                "lsn:long",
                "source_ts:datetime",
                "snapshot:string",
                "deleted:bool",
                "kafka_partition:long",
                "kafka_offset:long",
                "emission_stamp:long",
                "record:dynamic",
            ],
        );
        assert.deepEqual(currentStateOf(products), { functionName: "inventory_products_current", view: "inventory_products_latest", keys: ["id"] });
        assert.ok(
            products.every((s: { name: string }) => s.name.startsWith("generated/inventory.products/")),
            "no hand-written file for products",
        );
        assert.ok(
            schemas[0].inputs.scripts.some((s: { name: string }) => s.name === "retail.orders_info/50-analytics.kql"),
            "the orders overlay rides on top",
        );
    });

    it("captures both in the source connector and delivers both through the sink", () => {
        const [source, sink] = ["cdc-debezium-source", "cdc-kusto-sink"].map((n) => unsecret(run.dynamic("KafkaConnector").find((c) => c.name === n)!.inputs.config));
        assert.equal(source["table.include.list"], "(?-i)retail\\.orders_info,(?-i)inventory\\.products,(?-i)cdc_meta\\.heartbeat_cdc");
        assert.equal(sink.topics, "cdc.retail.orders_info,cdc.inventory.products,cdc.cdc_meta.heartbeat_cdc,pg-adx-cdc-connect-health");
        assert.match(
            sink["kusto.tables.topics.mapping"],
            /'topic': 'cdc\.inventory\.products', 'db': 'cdc', 'table': 'inventory_products_changes', 'format': 'json', 'mapping': 'inventory_products_changes_json'/,
        );
        // Two tables of 4 partitions and the heartbeat's one: 9 partitions, one task each up to SINK_MAX_TASKS.
        assert.equal(sink["tasks.max"], "8", "one sink task per partition read, up to SINK_MAX_TASKS");
        // The stack's broker: Connect creates each table's topic with the default partitions, the heartbeat's with one.
        assert.equal(source["topic.creation.default.partitions"], "4");
        assert.equal(source["topic.creation.default.replication.factor"], "-1");
        assert.equal(source["topic.creation.heartbeat.include"], "cdc\\.cdc_meta\\.heartbeat_cdc");
        assert.equal(source["topic.creation.heartbeat.partitions"], "1");
    });

    it("routes the heartbeat table to ADX with a freshness function (now minus the last heartbeat's commit)", () => {
        const scripts = run.dynamic("KqlSchema").find((k) => k.name === "cdc-kql-heartbeat")!.inputs.scripts;
        const freshness = scripts.find((s: { name: string }) => s.name.endsWith("50-freshness.kql"));
        assert.match(
            freshness.text,
            /cdc_meta_heartbeat_cdc_freshness\(\) \{\s+cdc_meta_heartbeat_cdc_changes\s+\| summarize last_commit = max\(source_ts\), heartbeats = count\(\)\s+\| extend freshness = now\(\) - last_commit\s+\}/,
        );
    });

    it("creates no demo table: only the generator does, and it is off in dev", () => {
        assert.equal(unsecret(run.dynamic("PostgresSourceBootstrap")[0].inputs.bootstrap).createDemoTables, false);
    });

    it("leaves the table capture.replicaIdentity names at DEFAULT: the bootstrap is told, and so are the operator commands", async () => {
        assert.deepEqual(unsecret(run.dynamic("PostgresSourceBootstrap")[0].inputs.bootstrap).defaultIdentityTables, ["inventory.products"]);
        const operations = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "mocked dev stack");
        assert.deepEqual(
            operations.adx.tables.map((t) => [t.sourceTable, t.replicaIdentity ?? "full"]),
            [
                ["retail.orders_info", "full"],
                ["inventory.products", "default"],
            ],
        );
    });

    it("tells the operator commands about both tables, with their keys", async () => {
        const operations = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "mocked dev stack");
        assert.deepEqual(
            operations.adx.tables.map((t) => [t.sourceTable, t.functionName, t.keys.join(",")]),
            [
                ["retail.orders_info", "retail_orders_info_current", "orderid"],
                ["inventory.products", "inventory_products_current", "id"],
            ],
        );
        assert.deepEqual(operations.adx.heartbeat, {
            sourceTable: "cdc_meta.heartbeat_cdc",
            rawTable: "cdc_meta_heartbeat_cdc_changes",
            functionName: "cdc_meta_heartbeat_cdc_current",
            view: "cdc_meta_heartbeat_cdc_latest",
            keys: ["id"],
            recordColumn: "record",
            partitionColumn: "kafka_partition",
            offsetColumn: "kafka_offset",
            stampColumn: "emission_stamp",
            freshnessFunction: "cdc_meta_heartbeat_cdc_freshness",
            sourceTsColumn: "source_ts",
            opColumn: "op",
            lsnColumn: "lsn",
            changeOrderColumn: "change_order",
        });
    });
});
