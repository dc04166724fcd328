// Any table, end to end: four tables captured at once (the demo orders, the Debezium cookbook's
// products, one column of every type in the type table, and a composite-key table whose column
// names are KQL keywords, upper case, spaces, and characters ADX refuses in a column name). Their ADX models are generated from the real
// catalog by the stack's SourceCatalog provider and generator; the real Kusto sink delivers into the
// ADX test double. For every table, what ADX holds equals `SELECT *` of the source, value by value:
// PostgreSQL itself reads each ADX value back as the column's type and compares (the type table's
// `sameValueSql`), after a snapshot, inserts, updates (a key change included) and deletes.
// PostgreSQL 16 (the stack's default) with the admin on Azure's terms (NOSUPERUSER; the extensions the
// types need are trusted ones, created by the database's owner as Azure's admin creates them).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient } from "../../local/capturedSource";
import { waitUntilEqual as waitUntilEqualToSource, assertEqualToSource } from "./harness/sourceComparison";
import { bootstrapCapture } from "./harness/capturedTables";
import { KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { TYPE_TABLE, typeRuleFor } from "../../contract/typeTable";
import { heartbeatCatalog, ORDERS_CATALOG, PRODUCTS_CATALOG, PRODUCTS_DDL } from "../support/catalogFixtures";
import { localOperationsOutputs } from "./harness/operationsOutputs";
import { localReconcile } from "./harness/localReconcile";
import { kafkaClient } from "../../runtime/kafkaClient";
import { topicForTable } from "../../connectors/debeziumSource";
import { DEFAULT_TABLE_PARTITIONS } from "../../connectors/kafkaTopics";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import { planPipeline } from "../../plan/pipelinePlan";
import { requestIncrementalSnapshot } from "../../postgres/incrementalSnapshot";
import { pollUntil } from "../../runtime/pollUntil";

const PREFIX = "anytable";
const ORDERS = "retail.orders_info";
const PRODUCTS = "inventory.products";
const ALL_TYPES = "types.all_types";
const LINE_ITEMS = "shop.line_items";
/** No primary key: captured through pg-adx-cdc:capture.keys (Debezium's message.key.columns, as the stack sets it). */
const EVENTS = "logs.events";
/** A name as EF Core writes it, keyed by a text-form type (citext: e-mail addresses, case-insensitive). */
const CUSTOMERS = 'shop."Customers"';
/**
 * Keyed by values Kusto's typed columns cannot tell apart: an array (Kusto cannot group by dynamic) and
 * timestamps whose infinities, BC and past-9999 values are all null in a datetime column.
 */
const PRICE_HISTORY = "shop.price_history";
/** Every example type again, each through a domain over it (Debezium names a domain column's type by the domain). */
const ALL_DOMAINS = "types.all_domains";
const KEYS = { [EVENTS]: ["host", "seq"] };
const TABLES = [ORDERS, PRODUCTS, ALL_TYPES, ALL_DOMAINS, LINE_ITEMS, EVENTS, CUSTOMERS, PRICE_HISTORY];
const ENUM_TYPE = "types.mood";
const COMPOSITE_TYPE = "types.address";

let pipeline: LocalPipeline;
let admin: Client;
let sink: KustoSinkDeployment;
let connectorInputs: any;
const started = Date.now();

/** All-types columns: one per example type of each rule, in table order. */
const typeColumns = TYPE_TABLE.flatMap((rule) =>
    rule.examples.map((e, i) => ({
        name: `c_${rule.id.replace(/-/g, "_")}_${i}`,
        type: e.type.replace("{enum}", ENUM_TYPE).replace("{composite}", COMPOSITE_TYPE),
        values: e.values,
        serial: /serial$/.test(e.type),
    })),
);
const maxExamples = Math.max(...typeColumns.map((c) => c.values.length));
/**
 * The domain table's columns: a domain over each example type (a serial is no type, and a domain's column
 * declares no array dimensions, so integer[][] would be the one-dimensional column its known limit names).
 */
const domainColumns = typeColumns
    .filter((c) => !c.serial && !c.type.includes("[][]"))
    .map((c) => ({ ...c, domain: `types.dom_${c.name.slice(2)}`, base: c.type, type: `types.dom_${c.name.slice(2)}` }));

/** One row per example index (missing examples and serials left to their default), then one row of NULLs. */
function allTypesInserts(firstId: number, table = ALL_TYPES, columns: { name: string; type: string; values: string[] }[] = typeColumns): string[] {
    const rows: string[] = [];
    for (let i = 0; i < maxExamples; i++) {
        const cols = columns.filter((c) => c.values[i] !== undefined);
        rows.push(
            `INSERT INTO ${table} (id, ${cols.map((c) => c.name).join(", ")}) VALUES (${firstId + i}, ${cols.map((c) => `(${c.values[i]})::${c.type.replace(/serial$/, "int")}`).join(", ")})`,
        );
    }
    rows.push(`INSERT INTO ${table} (id) VALUES (${firstId + maxExamples})`);
    return rows;
}

before(async () => {
    pipeline = await startLocalPipeline({ azureLikePostgres: true });
    admin = await adminClient(pipeline);
    await admin.query("CREATE SCHEMA inventory; CREATE SCHEMA types; CREATE SCHEMA shop; CREATE SCHEMA logs");
    await admin.query(`CREATE TABLE ${EVENTS} (host text NOT NULL, seq bigint NOT NULL, message text)`);
    await admin.query(PRODUCTS_DDL);
    await admin.query(`CREATE TYPE ${ENUM_TYPE} AS ENUM ('sad', 'ok', 'happy')`);
    await admin.query(`CREATE TYPE ${COMPOSITE_TYPE} AS (street text, zip integer)`);
    // Extensions a type-table example needs (trusted extensions: on Azure the admin creates them once azure.extensions lists them).
    for (const extension of new Set(TYPE_TABLE.flatMap((rule) => rule.examples.flatMap((e) => (e.extension ? [e.extension] : []))))) {
        await admin.query(`CREATE EXTENSION IF NOT EXISTS ${extension}`);
    }
    await admin.query(`CREATE TABLE ${CUSTOMERS} ("Email" citext PRIMARY KEY, "Name" text, search tsvector, home ${COMPOSITE_TYPE})`);
    await admin.query(`CREATE TABLE ${ALL_TYPES} (id integer PRIMARY KEY, ${typeColumns.map((c) => `${c.name} ${c.type}`).join(", ")})`);
    for (const c of domainColumns) await admin.query(`CREATE DOMAIN ${c.domain} AS ${c.base}`);
    await admin.query(`CREATE TABLE ${ALL_DOMAINS} (id integer PRIMARY KEY, ${domainColumns.map((c) => `${c.name} ${c.type}`).join(", ")})`);
    await admin.query(
        `CREATE TABLE ${LINE_ITEMS} ("Order Date" date, "where" integer, "type" text, "count" integer, "UPPER" text, "op" text, "deleted" boolean, "it's" text, "Price ($)" numeric(10,2), "__v" integer, PRIMARY KEY ("Order Date", "where"))`,
    );
    await admin.query(
        `CREATE TABLE ${PRICE_HISTORY} (skus text[] NOT NULL, valid_to timestamptz NOT NULL, valid_from timestamp NOT NULL, price numeric(10,2), PRIMARY KEY (skus, valid_to, valid_from))`,
    );
    const capture = await bootstrapCapture(pipeline, { prefix: PREFIX, tables: TABLES, keys: KEYS, createDemoTables: true, scramSalt: "YW55dGFibGUtc2FsdC0xMjM=" });
    // Snapshot rows: present before the connector starts.
    await admin.query(`INSERT INTO ${ORDERS} (custid, amount, city) SELECT g, g * 1.25, (ARRAY['Austin','Boston'])[1 + g % 2] FROM generate_series(1, 30) g`);
    await admin.query(`INSERT INTO ${PRODUCTS} (name, weight) SELECT 'product ' || g, g * 0.5 FROM generate_series(1, 20) g`);
    for (const sql of allTypesInserts(1)) await admin.query(sql);
    for (const sql of allTypesInserts(1, ALL_DOMAINS, domainColumns)) await admin.query(sql);
    await admin.query(
        `INSERT INTO ${LINE_ITEMS} VALUES ('2024-02-29', 1, 'a', 10, 'X', 'op!', false, 'quote''d', 9.99, 1), ('2024-02-29', 2, 'b', 20, NULL, NULL, true, NULL, NULL, NULL), ('1999-12-31', 1, 'c', 30, 'Y', 'r', NULL, '', 0, 0)`,
    );
    await admin.query(`INSERT INTO ${EVENTS} SELECT 'web-' || (g % 3), g, 'event ' || g FROM generate_series(1, 12) g`);
    await admin.query(
        `INSERT INTO ${CUSTOMERS} SELECT 'user' || g || '@Example.com', 'User ' || g, to_tsvector('simple', 'customer number ' || g), ROW('Street ' || g, g)::${COMPOSITE_TYPE} FROM generate_series(1, 8) g`,
    );
    await admin.query(
        `INSERT INTO ${PRICE_HISTORY} VALUES ('{a}', 'infinity', '-infinity', 1), ('{a}', '-infinity', 'infinity', 2), ('{a}', '4713-01-01 00:00:00+00 BC', '2024-01-01', 3), ` +
            `('{a}', '4000-01-01 00:00:00+00 BC', '2024-01-01', 4), ('{a}', '2024-06-01 00:00:00+00', '2024-01-01', 5), ('{a}', '294276-12-31 23:59:59.999999+00', '294276-12-31 23:59:59.999999', 6), ` +
            `('{a,"b c"}', 'infinity', '-infinity', 7), ('{}', 'infinity', '-infinity', 8), ('{NULL}', 'infinity', '-infinity', 9), ('{b}', 'infinity', '-infinity', NULL)`,
    );
    ({ sink, connectorInputs } = await capture.start());
});

after(async () => {
    await admin?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: anyTable.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

async function waitUntilEqual(label: string): Promise<void> {
    const results = await waitUntilEqualToSource(pipeline, admin, sink, TABLES, label);
    assertEqualToSource(results);
}

describe("any table: the ADX model generated from the catalog, every type, composite keys, keywords as names", () => {
    it("the catalog the stack reads describes the demo and cookbook tables exactly as the unit tests' fixtures do", () => {
        const described = (t: string) => {
            // The key is the model's; the relation (pg_class OID) is this cluster's, checked for its form only.
            const { key, relationId, ...rest } = sink.models.find((m) => m.table === t)!.described;
            void key;
            assert.match(relationId ?? "", /^\d+$/, `${t}: its relation is recorded`);
            return rest;
        };
        assert.deepEqual(described(ORDERS), ORDERS_CATALOG);
        assert.deepEqual(described(PRODUCTS), PRODUCTS_CATALOG);
        const heartbeat = sourceObjectNames(PREFIX).heartbeatTable;
        assert.deepEqual(described(heartbeat), heartbeatCatalog(heartbeat), "the mocks' heartbeat fixture is the bootstrap's table");
        assert.deepEqual(sink.models.find((m) => m.table === EVENTS)!.described.key, ["host", "seq"], "a keyless table is kept per its configured key");
        assert.equal(connectorInputs.config["message.key.columns"], "(?-i)logs\\.events:host,seq");
        assert.deepEqual(sink.models.find((m) => m.table === LINE_ITEMS)!.described.key, ["Order Date", "where"]);
        assert.deepEqual(
            sink.models.find((m) => m.table === ALL_TYPES)!.described.columns.map((c) => typeRuleFor(ALL_TYPES, c).id),
            ["integer", ...TYPE_TABLE.flatMap((r) => r.examples.map(() => r.id))],
        );
        // A domain's column maps as its base type does, and the converter is told which base each domain has.
        const ruleOf = (table: string) => new Map(sink.models.find((m) => m.table === table)!.described.columns.map((c) => [c.name, typeRuleFor(table, c).id]));
        const [typed, domains] = [ruleOf(ALL_TYPES), ruleOf(ALL_DOMAINS)];
        for (const c of domainColumns) assert.equal(domains.get(c.name), typed.get(c.name), `${c.domain} over ${c.base}`);
        assert.ok(String(connectorInputs.config["pgValues.domain.types"]).includes("dom_date_0:date"), connectorInputs.config["pgValues.domain.types"]);
    });

    it("snapshot: every table in ADX equals SELECT * of the source, value by value (every type, its edges, NULL in every column)", async () => {
        await waitUntilEqual("snapshot");
    });

    it("every table's topic has the stack's partitions, though the sink subscribed before the source's first record", async () => {
        const kafkaAdmin = kafkaClient(pipeline.kafka, "anytable-partitions").admin();
        await kafkaAdmin.connect();
        try {
            for (const table of TABLES) {
                const topic = topicForTable(PREFIX, table);
                assert.equal((await kafkaAdmin.fetchTopicOffsets(topic)).length, DEFAULT_TABLE_PARTITIONS, `${topic}: created by the source with kafka.partitions`);
            }
        } finally {
            await kafkaAdmin.disconnect();
        }
    });

    it("inserts, updates (a key column too) and deletes: still equal, value by value", async () => {
        await admin.query(`INSERT INTO ${ORDERS} (custid, amount, city) SELECT g, g * 0.75, 'Denver' FROM generate_series(100, 120) g`);
        await admin.query(`UPDATE ${ORDERS} SET amount = amount + 1, city = 'Zürich' WHERE orderid % 3 = 0`);
        await admin.query(`DELETE FROM ${ORDERS} WHERE orderid % 7 = 0`);
        await admin.query(`INSERT INTO ${PRODUCTS} (name, weight) SELECT 'new ' || g, g FROM generate_series(1, 10) g`);
        await admin.query(`UPDATE ${PRODUCTS} SET weight = weight * 2 WHERE name LIKE 'product 1%'`);
        await admin.query(`DELETE FROM ${PRODUCTS} WHERE name = 'product 2'`);
        for (const sql of allTypesInserts(100)) await admin.query(sql);
        // Every value of row 1 moves to row 2's, and row 2 to NULLs: each column changes.
        await admin.query(
            `UPDATE ${ALL_TYPES} t SET ${typeColumns
                .filter((c) => !c.serial)
                .map((c) => `${c.name} = s.${c.name}`)
                .join(", ")} FROM ${ALL_TYPES} s WHERE t.id = 1 AND s.id = 2`,
        );
        await admin.query(
            `UPDATE ${ALL_TYPES} SET ${typeColumns
                .filter((c) => !c.serial)
                .map((c) => `${c.name} = NULL`)
                .join(", ")} WHERE id = 2`,
        );
        await admin.query(`DELETE FROM ${ALL_TYPES} WHERE id = 3`);
        // Every example value through the stream too, each through its domain.
        for (const sql of allTypesInserts(100, ALL_DOMAINS, domainColumns)) await admin.query(sql);
        await admin.query(`DELETE FROM ${ALL_DOMAINS} WHERE id = 3`);
        await admin.query(`UPDATE ${LINE_ITEMS} SET "count" = "count" + 1, "type" = 'where', "Price ($)" = 19.99, "__v" = "__v" + 1 WHERE "where" = 1`);
        await admin.query(`UPDATE ${LINE_ITEMS} SET "where" = 3 WHERE "Order Date" = '2024-02-29' AND "where" = 2`);
        await admin.query(`DELETE FROM ${LINE_ITEMS} WHERE "Order Date" = '1999-12-31'`);
        await admin.query(`INSERT INTO ${EVENTS} SELECT 'db-1', g, 'late ' || g FROM generate_series(1, 5) g`);
        await admin.query(`UPDATE ${EVENTS} SET message = 'edited' WHERE host = 'web-1'`);
        await admin.query(`UPDATE ${EVENTS} SET seq = seq + 100 WHERE host = 'web-2' AND seq < 6`);
        await admin.query(`DELETE FROM ${EVENTS} WHERE host = 'web-0' AND seq > 6`);
        // The key's case changes (the same citext value to PostgreSQL, another string to Debezium and ADX).
        await admin.query(`UPDATE ${CUSTOMERS} SET "Email" = upper("Email") WHERE "Email" = 'user1@example.com'`);
        await admin.query(`UPDATE ${CUSTOMERS} SET search = to_tsvector('simple', 'moved away'), home = ROW(NULL, 0)::${COMPOSITE_TYPE} WHERE "Email" = 'USER2@EXAMPLE.COM'`);
        await admin.query(`DELETE FROM ${CUSTOMERS} WHERE "Email" = 'user3@example.com'`);
        await admin.query(`INSERT INTO ${CUSTOMERS} VALUES ('new@example.com', NULL, NULL, NULL)`);
        // Keys that only their exact text tells apart: each change must reach its own row and no other.
        await admin.query(`UPDATE ${PRICE_HISTORY} SET price = price + 100 WHERE skus = '{a}' AND valid_to = 'infinity'`);
        await admin.query(`DELETE FROM ${PRICE_HISTORY} WHERE skus = '{a}' AND valid_to = '-infinity'`);
        await admin.query(`DELETE FROM ${PRICE_HISTORY} WHERE skus = '{a}' AND valid_to = '4000-01-01 00:00:00+00 BC'`);
        await admin.query(`UPDATE ${PRICE_HISTORY} SET skus = '{c}' WHERE skus = '{a,"b c"}'`);
        await admin.query(`UPDATE ${PRICE_HISTORY} SET valid_to = '-infinity' WHERE skus = '{}'`);
        await admin.query(`INSERT INTO ${PRICE_HISTORY} VALUES ('{a}', '-infinity', '-infinity', 10), ('{z}', 'infinity', 'infinity', 11)`);
        // Array keys PostgreSQL tells apart by their dimensions and bounds: three rows, each changed once.
        await admin.query(
            `INSERT INTO ${PRICE_HISTORY} VALUES ('{x,y}', 'infinity', 'infinity', 12), ('[0:1]={x,y}', 'infinity', 'infinity', 13), ('{{x,y}}', 'infinity', 'infinity', 14)`,
        );
        await admin.query(`UPDATE ${PRICE_HISTORY} SET price = price + 100 WHERE skus IN ('[0:1]={x,y}', '{{x,y}}')`);
        await waitUntilEqual("after changes");
    });

    it("the current-state function answers over the query endpoint for every table (keys quoted, json parsed)", async () => {
        for (const table of TABLES) {
            const rows = await sink.currentRows(table);
            const {
                rows: [{ n }],
            } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
            assert.equal(rows.length, n, table);
        }
        const typed = await sink.currentRows(ALL_TYPES);
        const jsonColumn = typeColumns.find((c) => c.type === "jsonb")!.name;
        assert.ok(
            typed.some((r) => r[jsonColumn] && typeof r[jsonColumn] === "object"),
            "jsonb is dynamic in the current state",
        );
        const dateColumn = typeColumns.find((c) => c.type === "date")!.name;
        assert.ok(
            typed.some((r) => /^\d{4}-\d{2}-\d{2}T00:00:00\.0000000Z$/.test(String(r[dateColumn]))),
            "date is a datetime in the current state",
        );
    });

    it("reconcile agrees: every table equal, every bucket's digest the same on both sides where the type table says the canonical forms agree (each type's edges and special values included)", async () => {
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: sink.models.filter((m) => TABLES.includes(m.table)).map((m) => m.table) });
        const reconciler = await localReconcile(pipeline, outputs);
        try {
            for (const r of await reconciler.run("anyTable")) {
                assert.equal(r.equal, true, `${r.table}: ${JSON.stringify(r.differences)}`);
                const model = sink.models.find((m) => m.table === r.table)!;
                const approximate = model.described.columns.filter((c) => typeRuleFor(r.table, c).canonicalApproximate);
                if (approximate.length === 0) assert.equal(r.bucketsDiffering, 0, `${r.table}: the canonical texts of PostgreSQL and ADX agree`);
                else assert.equal(r.unsettled, 0, `${r.table}: buckets with ${approximate.map((c) => c.name).join(", ")} settled row by row`);
            }
        } finally {
            await reconciler.close();
        }
    });

    it("a re-read of more than six chunks (snapshot --replace, a table added later: Debezium's incremental snapshot) carries every value as the snapshot and the stream do", async () => {
        // 1,000 copies of each example row: past the fifth run of the chunk query (1,024 rows a chunk), after which pgjdbc
        // would read a server-prepared statement's results in binary form (the connector turns that off).
        const columns = typeColumns.filter((c) => !c.serial).map((c) => c.name);
        await admin.query(
            `INSERT INTO ${ALL_TYPES} (id, ${columns.join(", ")}) SELECT t.id * 10000 + g, ${columns.map((c) => `t.${c}`).join(", ")} FROM ${ALL_TYPES} t CROSS JOIN generate_series(1, 1000) g WHERE t.id < 100`,
        );
        const {
            rows: [{ n: rows }],
        } = await admin.query(`SELECT count(*)::int AS n FROM ${ALL_TYPES}`);
        assert.ok(rows > 6 * 1024, `${rows} rows`);
        const { snapshot } = changeMetadataColumns(sink.models.find((m) => m.table === ALL_TYPES)!.described.columns.map((c) => c.name));
        const reread = () => (pipeline.adx.ingested.get(adxNamesFor(ALL_TYPES).changes) ?? []).filter((r) => r.row[snapshot.column] === "incremental").length;
        const before = reread();
        const plan = planPipeline({ topicPrefix: PREFIX, tables: TABLES });
        const t0 = Date.now();
        await requestIncrementalSnapshot(
            admin,
            { signalTable: plan.postgres.signalTable, connectUrl: pipeline.connectUrl, connectorName: connectorInputs.connectorName, timeoutSeconds: 120 },
            [ALL_TYPES],
            (m) => process.stderr.write(`e2e: ${m}\n`),
        );
        await pollUntil({
            attempt: async () => (reread() - before >= rows ? true : undefined),
            timeoutMs: 240_000,
            intervalMs: 1000,
            timeoutError: () => new Error(`the re-read delivered ${reread() - before} of ${rows} rows`),
        });
        process.stderr.write(`e2e: re-read of ${rows} rows of every type delivered in ${Date.now() - t0} ms\n`);
        // Each row's latest change is now its re-read.
        await waitUntilEqual("after the re-read");
    });

    it("a table added by name only needs no KQL file: none exists but for the orders analytics overlay", () => {
        for (const m of sink.models) assert.ok(m.scripts.some((s) => s.name.startsWith(`generated/${m.table}/`)));
        assert.deepEqual(
            sink.models.filter((m) => m.scripts.some((s) => !s.name.startsWith("generated/"))).map((m) => m.table),
            [ORDERS],
        );
    });
});
