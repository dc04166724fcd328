// Tables a real application has, on the real pipeline (PostgreSQL → Debezium → Kafka → the real Kusto
// sink → the ADX test double), each compared with `SELECT *` of the source value by value:
// - a table partitioned by range, captured by its root's name (publish_via_partition_root), with rows
//   moving between partitions and a partition created while the pipeline runs;
// - TRUNCATE mid-stream, of two tables in one statement and inside a transaction that writes again;
// - the bootstrap leaves a table that already has REPLICA IDENTITY FULL alone: a `pulumi up` while
//   the application holds a long transaction on it takes no lock and does not wait.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient } from "../../local/capturedSource";
import { waitUntilEqual as waitUntilEqualToSource } from "./harness/sourceComparison";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { buildDebeziumSourceConfig, TRUNCATE_OP } from "../../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../../postgres/scramVerifier";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";

const PREFIX = "realworld";
const CONNECTOR = `${PREFIX}-postgres-source`;
const ORDERS = "sales.orders_by_month";
const SESSIONS = "app.sessions";
const AUDIT = "app.audit";
const TABLES = [ORDERS, SESSIONS, AUDIT];

let pipeline: LocalPipeline;
let admin: Client;
let sink: KustoSinkDeployment;
let bootstrapInputs: any;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline();
    admin = await adminClient(pipeline);
    const names = sourceObjectNames(PREFIX);
    await admin.query("CREATE SCHEMA sales; CREATE SCHEMA app");
    // A partitioned table as applications write them: the key includes the partition column.
    await admin.query(
        `CREATE TABLE ${ORDERS} (id bigint NOT NULL, ordered_at date NOT NULL, customer text NOT NULL, note text, amount numeric(12,2), PRIMARY KEY (id, ordered_at)) PARTITION BY RANGE (ordered_at)`,
    );
    await admin.query(`CREATE TABLE sales.orders_2025 PARTITION OF ${ORDERS} FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
    await admin.query(`CREATE TABLE sales.orders_2026 PARTITION OF ${ORDERS} FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`);
    await admin.query(`CREATE TABLE sales.orders_other PARTITION OF ${ORDERS} DEFAULT`);
    await admin.query(`CREATE TABLE ${SESSIONS} (id integer PRIMARY KEY, token text NOT NULL, started_at timestamptz NOT NULL DEFAULT now())`);
    await admin.query(`CREATE TABLE ${AUDIT} (id bigserial PRIMARY KEY, what text NOT NULL)`);
    bootstrapInputs = {
        connection: pipeline.adminConnection,
        bootstrap: {
            tables: TABLES,
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "cmVhbHdvcmxkLXNhbHQtMTI="),
        },
        slotName: names.slotName,
        timeoutSeconds: 60,
    };
    await sourceBootstrapProvider.create!(bootstrapInputs);
    // Snapshot rows, in every partition.
    await admin.query(
        `INSERT INTO ${ORDERS} SELECT g, DATE '2025-01-01' + (g * 7 % 900), 'customer ' || (g % 13), CASE WHEN g % 5 = 0 THEN repeat('long note ', 400) END, g * 1.5 FROM generate_series(1, 120) g`,
    );
    await admin.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, md5(g::text) FROM generate_series(1, 70) g`);
    await admin.query(`INSERT INTO ${AUDIT} (what) SELECT 'event ' || g FROM generate_series(1, 25) g`);
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: TABLES, heartbeatTable: names.heartbeatTable });
    await kafkaConnectorProvider.create!({
        connectUrl: pipeline.connectUrl,
        connectorName: CONNECTOR,
        timeoutSeconds: 120,
        config: buildDebeziumSourceConfig({
            connectorName: CONNECTOR,
            database: pipeline.debeziumDatabase,
            tables: TABLES,
            topicPrefix: PREFIX,
            slotName: names.slotName,
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
        }),
    });
});

after(async () => {
    await admin?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: realWorldTables.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

async function waitUntilEqual(label: string, tables = TABLES): Promise<void> {
    const results = await waitUntilEqualToSource(pipeline, admin, sink, tables, label);
    assert.deepEqual(
        results.flatMap((r) => r.mismatches),
        [],
    );
    for (const r of results) assert.equal(r.adxRows, r.sourceRows, `${r.table}: rows in ADX vs PostgreSQL`);
}

/** The change rows ADX holds for a table with the given op. */
function changeRowsWithOp(table: string, op: string) {
    const { op: opColumn } = changeMetadataColumns(sink.models.find((m) => m.table === table)!.described.columns.map((c) => c.name));
    return (pipeline.adx.ingested.get(adxNamesFor(table).changes) ?? []).map((r) => r.row).filter((r) => r[opColumn.column] === op);
}

async function replicaIdentities(): Promise<Record<string, string>> {
    const { rows } = await admin.query(
        `SELECT c.oid::regclass::text AS rel, c.relreplident AS ri FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('sales', 'app') AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.rel, r.ri]));
}

describe("real-world tables captured exactly", () => {
    it("the bootstrap publishes a partitioned table through its root and sets REPLICA IDENTITY FULL on every partition", async () => {
        const {
            rows: [publication],
        } = await admin.query("SELECT pubviaroot FROM pg_publication WHERE pubname = $1", [sourceObjectNames(PREFIX).publicationName]);
        assert.equal(publication.pubviaroot, true);
        const { rows } = await admin.query("SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = $1 AND schemaname <> 'cdc_meta' ORDER BY 1", [
            sourceObjectNames(PREFIX).publicationName,
        ]);
        assert.deepEqual(
            rows.map((r) => r.t),
            [AUDIT, SESSIONS, ORDERS].sort(),
            "the root is published, not its partitions",
        );
        assert.deepEqual(await replicaIdentities(), {
            [AUDIT]: "f",
            [SESSIONS]: "f",
            [ORDERS]: "f",
            "sales.orders_2025": "f",
            "sales.orders_2026": "f",
            "sales.orders_other": "f",
        });
    });

    it("snapshot: every table equals the source, the partitioned one read through its root", async () => {
        await waitUntilEqual("snapshot");
    });

    it("partitioned: inserts into every partition, updates (TOASTed column unchanged), a row moved to another partition, deletes", async () => {
        await admin.query(`INSERT INTO ${ORDERS} SELECT g, DATE '2026-03-01' + (g % 40), 'late ' || g, NULL, g FROM generate_series(1000, 1040) g`);
        await admin.query(`INSERT INTO ${ORDERS} VALUES (2000, '2031-05-05', 'far future', 'default partition', 1)`);
        // The long note is TOASTed and left unchanged: it must not arrive as "unavailable".
        await admin.query(`UPDATE ${ORDERS} SET amount = amount + 100 WHERE id % 5 = 0 AND id <= 120`);
        // Moves rows to another partition (published as a delete and an insert, both as the root's): the
        // partition column is part of the key, so the old key leaves the current state and the new one appears.
        await admin.query(`UPDATE ${ORDERS} SET ordered_at = DATE '2031-01-01' WHERE id IN (3, 4)`);
        await admin.query(`DELETE FROM ${ORDERS} WHERE id % 11 = 0`);
        await waitUntilEqual("partitioned changes", [ORDERS]);
    });

    it("a partition created while capture runs is captured, and the next bootstrap sets its replica identity", async () => {
        await admin.query(`CREATE TABLE sales.orders_2028 PARTITION OF ${ORDERS} FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')`);
        await admin.query(`INSERT INTO ${ORDERS} SELECT g, DATE '2028-02-01' + (g % 20), 'new partition ' || g, repeat('x', 3000), g FROM generate_series(3000, 3020) g`);
        await admin.query(`UPDATE ${ORDERS} SET customer = 'changed' WHERE id BETWEEN 3000 AND 3005`);
        await admin.query(`DELETE FROM ${ORDERS} WHERE id BETWEEN 3018 AND 3020`);
        await waitUntilEqual("new partition", [ORDERS]);
        assert.equal((await replicaIdentities())["sales.orders_2028"], "d", "a partition created later starts with the default replica identity");
        await sourceBootstrapProvider.update!("id", bootstrapInputs, bootstrapInputs);
        assert.equal((await replicaIdentities())["sales.orders_2028"], "f", "pulumi up sets it");
    });

    it("TRUNCATE of two tables in one statement, then writes in the same transaction and after: the truncated rows leave the current state", async () => {
        await admin.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, 'more' FROM generate_series(71, 90) g`);
        await admin.query(`UPDATE ${SESSIONS} SET token = 'updated' WHERE id <= 10`);
        await waitUntilEqual("before truncate", [SESSIONS, AUDIT]);
        await admin.query(`BEGIN; TRUNCATE ${SESSIONS}, ${AUDIT}; INSERT INTO ${SESSIONS} (id, token) VALUES (5, 'same key as before'), (500, 'new'); COMMIT`);
        await admin.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, 'after' FROM generate_series(1000, 1009) g`);
        await admin.query(`INSERT INTO ${AUDIT} (what) VALUES ('after truncate')`);
        await waitUntilEqual("after truncate", [SESSIONS, AUDIT]);
        assert.equal(changeRowsWithOp(SESSIONS, TRUNCATE_OP).length, 1, "one truncate row for sessions");
        assert.equal(changeRowsWithOp(AUDIT, TRUNCATE_OP).length, 1, "one truncate row for audit");
        // A second truncate later, then a row again: the newest truncate is the fence.
        await admin.query(`TRUNCATE ${SESSIONS}`);
        await admin.query(`INSERT INTO ${SESSIONS} (id, token) VALUES (7, 'after the second truncate')`);
        await waitUntilEqual("after a second truncate", [SESSIONS]);
    });

    it("TRUNCATE of the partitioned table (its root) empties its current state; rows written after it are live", async () => {
        await admin.query(`TRUNCATE ${ORDERS}`);
        await admin.query(`INSERT INTO ${ORDERS} VALUES (1, '2025-06-01', 'after the truncate', NULL, 1), (2, '2031-06-01', 'default partition', NULL, 2)`);
        await waitUntilEqual("after truncating the partitioned table", [ORDERS]);
    });

    it("a bootstrap (pulumi up) while the application holds a long transaction on a captured table takes no lock on it", async () => {
        const app = await adminClient(pipeline);
        try {
            await app.query("BEGIN");
            await app.query(`INSERT INTO ${SESSIONS} (id, token) VALUES (9000, 'open transaction')`);
            const t0 = Date.now();
            await sourceBootstrapProvider.update!("id", bootstrapInputs, bootstrapInputs);
            assert.ok(Date.now() - t0 < 10_000, `the bootstrap took ${Date.now() - t0} ms beside an open transaction`);
            await app.query("COMMIT");
        } finally {
            await app.end().catch(() => undefined);
        }
        await waitUntilEqual("after the bootstrap beside a transaction", [SESSIONS]);
    });
});
