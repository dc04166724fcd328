// Tables a real application has, on the real pipeline (PostgreSQL 16 with an admin on Azure's terms, NOSUPERUSER → Debezium → Kafka → the real Kusto
// sink → the ADX test double), each compared with `SELECT *` of the source value by value:
// - a table partitioned by range, captured by its root's name (publish_via_partition_root), with rows
//   moving between partitions and a partition created while the pipeline runs;
// - TRUNCATE mid-stream, of two tables in one statement and inside a transaction that writes again;
// - a multi-tenant table under row-level security (the pipeline's roles read it whole);
// - a join table as Prisma makes it (no primary key, a unique index over NOT NULL columns);
// - names an ORM creates (EF Core's public."Orders", beside an uncaptured public.orders twin) and a
//   schema and table with spaces, parentheses and accents;
// - the bootstrap leaves a table that already has REPLICA IDENTITY FULL alone: a `pulumi up` while
//   the application holds a long transaction on it takes no lock and does not wait.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient, sessionAs } from "../../local/capturedSource";
import { compareWithSource, waitUntilEqual as waitUntilEqualToSource, assertEqualToSource } from "./harness/sourceComparison";
import { bootstrapCapture } from "./harness/capturedTables";
import { localReconcile } from "./harness/localReconcile";
import { ADX_DATABASE, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { OVERSIZED_FIELD, OVERSIZED_MARKER_PREFIX, TRUNCATE_OP } from "../../contract/recordFields";
import { connectRequest } from "../../connectors/connectRestClient";
import { pollUntil } from "../../runtime/pollUntil";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { capturedTableShapes, incrementalSnapshotProvider, requestIncrementalSnapshot } from "../../postgres/incrementalSnapshot";
import { readCatalogTables } from "../../postgres/catalog";
import { truncationTriggerNames } from "../../postgres/partitionTruncations";
import { rowSecurityPolicyName, sourceObjectNames } from "../../postgres/sourceSchema";
import { parseTableName } from "../../contract/identifiers";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import { kafkaClient } from "../../runtime/kafkaClient";
import { evaluatePipelineHealth, readGoneTables, readInheritedTables, readOversizedRows, readReplicaIdentityGaps, readRowSecurityGaps } from "../../operations/pipelineHealth";
import { localOperationsOutputs } from "./harness/operationsOutputs";

const PREFIX = "realworld";
const CONNECTOR = `${PREFIX}-postgres-source`;
const ORDERS = "sales.orders_by_month";
const SESSIONS = "app.sessions";
const AUDIT = "app.audit";
/** As Npgsql/EF Core creates it; a lower-case twin that is not captured sits beside it. */
const EF_ORDERS = 'public."Orders"';
const ACCENTED = '"Ventes Été"."Commandes spéciales (2024)"';
/** Rows whose text can pass 1 MB. */
const DOCUMENTS = "app.documents";
/** Arrays of the types whose edges Debezium 3.7 does not carry (pg-adx-cdc's converter writes them). */
const EDGE_ARRAYS = "app.edge_arrays";
const EDGE_ARRAY_COLUMNS = {
    // 1582-10-05: a day the Julian calendar skipped, which PostgreSQL's proleptic calendar has (a java.sql.Date cannot hold it).
    dates: [
        "date[]",
        `'{infinity,-infinity,"4713-01-01 BC",2024-02-29,294276-12-31,1582-10-05,NULL}'`,
        ["infinity", "-infinity", "-4712-01-01Z", "2024-02-29Z", "+294276-12-31Z", "1582-10-05Z", null],
    ],
    times: ["time[]", "'{24:00:00,00:00:00.5,23:59:59.999999}'", ["24:00:00Z", "00:00:00.5Z", "23:59:59.999999Z"]],
    amounts: ["numeric[]", "'{NaN,Infinity,-Infinity,1.50,-0.000001}'", ["NAN", "POSITIVE_INFINITY", "NEGATIVE_INFINITY", "1.50", "-0.000001"]],
    stamps: [
        "timestamp[]",
        `'{infinity,-infinity,"4713-01-01 00:00:00 BC","2024-02-29 12:00:00.5"}'`,
        ["infinity", "-infinity", "-4712-01-01T00:00:00Z", "2024-02-29T12:00:00.5Z"],
    ],
    zoned: [
        "timestamptz[]",
        `'{infinity,-infinity,"0001-01-01 00:00:00+00 BC","2024-02-29 12:00:00+02"}'`,
        ["infinity", "-infinity", "0000-01-01T00:00:00Z", "2024-02-29T10:00:00Z"],
    ],
} as const;
/** A many-to-many join table as Prisma makes it: no primary key, a unique index over its two NOT NULL columns. */
const JOIN_TABLE = 'public."_CategoryToPost"';
/** Left at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity): large TOASTed bodies, updated often. */
const NOTES = "app.notes";
/**
 * A table as wide as an ERP's: 1,000 columns, past what one Kusto strcat_delim takes (63 values) and what one or-chain
 * of Kusto's passes its query-depth limit (between 300 and 500 terms).
 */
const WIDE = "erp.wide";
const WIDE_TYPES = ["integer", "text", "numeric(12,2)", "timestamptz", "boolean"];
const WIDE_COLUMNS = Array.from({ length: 999 }, (_, i) => ({ name: `c${String(i).padStart(3, "0")}`, type: WIDE_TYPES[i % WIDE_TYPES.length] }));
/** A value of every wide column, derived from the row's number `n`. */
const wideValues = (n: number) =>
    WIDE_COLUMNS.map((c, i) =>
        c.type === "integer"
            ? `${n * 1000 + i}`
            : c.type === "text"
              ? `'row ${n} col ${i}'`
              : c.type === "boolean"
                ? `${(n + i) % 2 === 0}`
                : c.type === "timestamptz"
                  ? `'2026-01-01 00:00:00+00'::timestamptz + interval '${n * 1000 + i} seconds'`
                  : `${n}.${String(i % 100).padStart(2, "0")}`,
    ).join(", ");
const TABLES = [ORDERS, SESSIONS, AUDIT, EF_ORDERS, ACCENTED, DOCUMENTS, EDGE_ARRAYS, JOIN_TABLE, NOTES, WIDE];

let pipeline: LocalPipeline;
/** The stack's admin: on Azure's terms (azureLikePostgres), NOSUPERUSER and without BYPASSRLS. */
let admin: Client;
/** The cluster's superuser: writes what only the row-level-security policies' own roles could, and reads the source whole. */
let source: Client;
let sink: KustoSinkDeployment;
let bootstrapInputs: any;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline({ azureLikePostgres: true });
    admin = await adminClient(pipeline);
    source = await sessionAs(pipeline, pipeline.postgres.superuser);
    await admin.query("CREATE SCHEMA sales; CREATE SCHEMA app");
    // A partitioned table as applications write them: the key includes the partition column.
    await admin.query(
        `CREATE TABLE ${ORDERS} (id bigint NOT NULL, ordered_at date NOT NULL, customer text NOT NULL, note text, amount numeric(12,2), PRIMARY KEY (id, ordered_at)) PARTITION BY RANGE (ordered_at)`,
    );
    await admin.query(`CREATE TABLE sales.orders_2025 PARTITION OF ${ORDERS} FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
    await admin.query(`CREATE TABLE sales.orders_2026 PARTITION OF ${ORDERS} FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`);
    await admin.query(`CREATE TABLE sales.orders_other PARTITION OF ${ORDERS} DEFAULT`);
    await admin.query(`CREATE TABLE ${SESSIONS} (id integer PRIMARY KEY, token text NOT NULL, started_at timestamptz NOT NULL DEFAULT now())`);
    // Row-level security as a multi-tenant application sets it: its own role sees its tenant's rows, nobody else any.
    await admin.query(
        `CREATE ROLE app_tenant; ALTER TABLE ${SESSIONS} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; CREATE POLICY own_sessions ON ${SESSIONS} TO app_tenant USING (token = current_user)`,
    );
    // A generated column: PostgreSQL before 18 does not publish it, so it is not captured (the catalog leaves it out).
    await admin.query(`CREATE TABLE ${AUDIT} (id bigserial PRIMARY KEY, what text NOT NULL, what_upper text GENERATED ALWAYS AS (upper(what)) STORED)`);
    await admin.query(
        `CREATE TABLE ${EF_ORDERS} ("Id" integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "CustomerName" text NOT NULL, "Total" numeric(18,2) NOT NULL, "CreatedAt" timestamptz NOT NULL DEFAULT now())`,
    );
    await admin.query(`CREATE TABLE public.orders (id integer PRIMARY KEY, note text)`);
    await admin.query(
        `CREATE TABLE ${JOIN_TABLE} ("A" integer NOT NULL, "B" integer NOT NULL, "addedAt" timestamptz DEFAULT now()); CREATE UNIQUE INDEX "_CategoryToPost_AB_unique" ON ${JOIN_TABLE} ("A", "B"); CREATE INDEX ON ${JOIN_TABLE} ("B")`,
    );
    await admin.query(`CREATE TABLE ${DOCUMENTS} (id integer PRIMARY KEY, title text NOT NULL, body text)`);
    await admin.query(`CREATE SCHEMA "Ventes Été"`);
    await admin.query(`CREATE TABLE ${ACCENTED} ("N° commande" integer, "Ligne" integer, "Désignation" text, PRIMARY KEY ("N° commande", "Ligne"))`);
    await admin.query(
        `CREATE TABLE ${EDGE_ARRAYS} (id integer PRIMARY KEY, ${Object.entries(EDGE_ARRAY_COLUMNS)
            .map(([name, [type]]) => `${name} ${type}`)
            .join(", ")})`,
    );
    await admin.query(edgeArraysInsert(1));
    // Bodies PostgreSQL cannot compress below its TOAST threshold (8 kB of hex digits): stored out of line.
    await admin.query(`CREATE TABLE ${NOTES} (id integer PRIMARY KEY, views integer NOT NULL DEFAULT 0, body text)`);
    await admin.query(`CREATE SCHEMA erp; CREATE TABLE ${WIDE} (id integer PRIMARY KEY, ${WIDE_COLUMNS.map((c) => `${c.name} ${c.type}`).join(", ")})`);
    await admin.query(`INSERT INTO ${NOTES} SELECT g, 0, (SELECT string_agg(md5(g || '.' || i), '') FROM generate_series(1, 250) i) FROM generate_series(1, 40) g`);
    const capture = await bootstrapCapture(pipeline, { prefix: PREFIX, tables: TABLES, scramSalt: "cmVhbHdvcmxkLXNhbHQtMTI=", defaultIdentityTables: [NOTES] });
    bootstrapInputs = capture.bootstrapInputs;
    // Snapshot rows, in every partition.
    await admin.query(
        `INSERT INTO ${ORDERS} SELECT g, DATE '2025-01-01' + (g * 7 % 900), 'customer ' || (g % 13), CASE WHEN g % 5 = 0 THEN repeat('long note ', 400) END, g * 1.5 FROM generate_series(1, 120) g`,
    );
    await source.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, md5(g::text) FROM generate_series(1, 70) g`);
    await admin.query(`INSERT INTO ${AUDIT} (what) SELECT 'event ' || g FROM generate_series(1, 25) g`);
    await admin.query(`INSERT INTO ${EF_ORDERS} ("CustomerName", "Total") SELECT 'Customer ' || g, g * 2.5 FROM generate_series(1, 30) g`);
    await admin.query(`INSERT INTO public.orders SELECT g, 'twin ' || g FROM generate_series(1, 30) g`);
    await admin.query(`INSERT INTO ${JOIN_TABLE} ("A", "B") SELECT g % 4, g FROM generate_series(1, 20) g`);
    await admin.query(`INSERT INTO ${ACCENTED} SELECT g / 3, g % 3, 'article ' || g FROM generate_series(1, 24) g`);
    for (const n of [1, 2, 3]) await admin.query(`INSERT INTO ${WIDE} VALUES (${n}, ${wideValues(n)})`);
    await admin.query(`INSERT INTO ${WIDE} (id) VALUES (4)`);
    ({ sink } = await capture.start());
});

after(async () => {
    await admin?.end().catch(() => undefined);
    await source?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: realWorldTables.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

async function waitUntilEqual(label: string, tables = TABLES): Promise<void> {
    const results = await waitUntilEqualToSource(pipeline, source, sink, tables, label);
    assertEqualToSource(results);
}

/** The change rows ADX holds for a table with the given op. */
function changeRowsWithOp(table: string, op: string) {
    const { op: opColumn } = changeMetadataColumns(sink.models.find((m) => m.table === table)!.described.columns.map((c) => c.name));
    return (pipeline.adx.ingested.get(adxNamesFor(table).changes) ?? []).map((r) => r.row).filter((r) => r[opColumn.column] === op);
}

function edgeArraysInsert(id: number): string {
    return `INSERT INTO ${EDGE_ARRAYS} VALUES (${id}, ${Object.values(EDGE_ARRAY_COLUMNS)
        .map(([, literal]) => literal)
        .join(", ")})`;
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
            TABLES.map(parseTableName)
                .map((t) => `${t.schema}.${t.table}`)
                .sort(),
            "the root is published, not its partitions; quoted names exactly",
        );
        assert.deepEqual(await replicaIdentities(), {
            [AUDIT]: "f",
            [DOCUMENTS]: "f",
            [EDGE_ARRAYS]: "f",
            [NOTES]: "d",
            [SESSIONS]: "f",
            [ORDERS]: "f",
            "sales.orders_2025": "f",
            "sales.orders_2026": "f",
            "sales.orders_other": "f",
        });
    });

    it("a table with row-level security arrives whole: the bootstrap adds a read policy for the pipeline's own roles and leaves the application's policies as they were", async () => {
        const { rows } = await admin.query("SELECT polname, polpermissive, polcmd, polroles::regrole[]::text[] AS roles FROM pg_policy WHERE polrelid = $1::regclass ORDER BY 1", [
            SESSIONS,
        ]);
        assert.deepEqual(rows, [
            { polname: rowSecurityPolicyName(sourceObjectNames(PREFIX).publicationName), polpermissive: true, polcmd: "r", roles: ["cdc_replicator", "cdc_operator"] },
            { polname: "own_sessions", polpermissive: true, polcmd: "*", roles: ["app_tenant"] },
        ]);
        // Without that policy the snapshot (as the replication user) reads no row of it, and says nothing.
        await waitUntilEqual("row-level security", [SESSIONS]);
        // Switched on later on another captured table: status names it, the next pulumi up adds the policy.
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: TABLES });
        assert.deepEqual(await readRowSecurityGaps(admin, outputs), []);
        await admin.query(`ALTER TABLE ${EF_ORDERS} ENABLE ROW LEVEL SECURITY`);
        try {
            const gaps = await readRowSecurityGaps(admin, outputs);
            assert.deepEqual(gaps, [{ table: EF_ORDERS, missingPolicy: true }]);
            assert.match(
                evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], rowSecurityGaps: gaps }).join("\n"),
                /ROW SECURITY: public\."Orders" has row-level security and no read policy of the stack's.*Run pulumi up/,
            );
            await sourceBootstrapProvider.update!("id", bootstrapInputs, bootstrapInputs);
            assert.deepEqual(await readRowSecurityGaps(admin, outputs), []);
            // A RESTRICTIVE policy for everyone added later: the stack's roles read a subset again, and status says so.
            await admin.query(`CREATE POLICY recent_only ON ${EF_ORDERS} AS RESTRICTIVE USING ("Id" > 10)`);
            const restricted = await readRowSecurityGaps(admin, outputs);
            assert.deepEqual(restricted, [{ table: EF_ORDERS, missingPolicy: false, restrictive: "recent_only" }]);
            assert.match(
                evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], rowSecurityGaps: restricted }).join("\n"),
                /ROW SECURITY: public\."Orders" has RESTRICTIVE policies that apply to the pipeline's roles \(recent_only\).*ALTER POLICY \.\.\. ON public\."Orders" TO <role>/,
            );
        } finally {
            await admin.query(`DROP POLICY IF EXISTS recent_only ON ${EF_ORDERS}; ALTER TABLE ${EF_ORDERS} DISABLE ROW LEVEL SECURITY`);
        }
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

    it("a partition created while capture runs is captured, a TOASTed value its updates leave unchanged arrives, and the next pulumi refresh + up set its replica identity and TRUNCATE trigger", async () => {
        // What the stack recorded of the captured tables at the last up (the catalog read before this partition existed).
        const recorded = capturedTableShapes((await readCatalogTables(admin, TABLES)).tables, TABLES);
        await admin.query(`CREATE TABLE sales.orders_2028 PARTITION OF ${ORDERS} FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')`);
        // A note PostgreSQL cannot compress below its TOAST threshold (9.6 kB of hex digits) is stored out of
        // line; the partition's identity is DEFAULT, so an update that leaves it unchanged does not carry it.
        await admin.query(
            `INSERT INTO ${ORDERS} SELECT g, DATE '2028-02-01' + (g % 20), 'new partition ' || g, (SELECT string_agg(md5(g || '.' || i), '') FROM generate_series(1, 300) i), g FROM generate_series(3000, 3020) g`,
        );
        const toasted = await admin.query(`SELECT count(*)::int AS n FROM sales.orders_2028 WHERE pg_column_compression(note) IS NOT NULL OR pg_column_size(note) > 2000`);
        assert.equal(toasted.rows[0].n, 21, "the notes are TOASTed");
        await admin.query(`UPDATE ${ORDERS} SET customer = 'changed' WHERE id BETWEEN 3000 AND 3005`);
        await admin.query(`DELETE FROM ${ORDERS} WHERE id BETWEEN 3018 AND 3020`);
        await waitUntilEqual("new partition", [ORDERS]);
        assert.equal((await replicaIdentities())["sales.orders_2028"], "d", "a partition created later starts with the default replica identity");
        assert.deepEqual(await readReplicaIdentityGaps(admin, [ORDERS, SESSIONS]), [{ table: ORDERS, relations: ["sales.orders_2028"] }], "status names it");
        // pulumi refresh reads the catalog again; pulumi up then updates the snapshot resource only (the bootstrap's
        // inputs are unchanged, so the engine does not run its update), which reads the new partition's rows.
        const snapshotInputs = {
            connection: bootstrapInputs.connection,
            signalTable: sourceObjectNames(PREFIX).signalTable,
            connectUrl: pipeline.connectUrl,
            connectCredentials: pipeline.connectCredentials,
            connectorName: CONNECTOR,
            tables: TABLES,
            topicPrefix: PREFIX,
            defaultIdentityTables: [NOTES],
        };
        const refreshed = capturedTableShapes((await readCatalogTables(admin, TABLES)).tables, TABLES);
        assert.equal((await sourceBootstrapProvider.diff!("id", bootstrapInputs, bootstrapInputs)).changes, false);
        const { outs } = await incrementalSnapshotProvider.update!("id", { ...snapshotInputs, ...recorded, signals: [] }, { ...snapshotInputs, ...refreshed });
        assert.deepEqual(
            outs.signals.map((s: any) => s.tables),
            [[ORDERS]],
            "the new partition's rows are read",
        );
        assert.equal((await replicaIdentities())["sales.orders_2028"], "f", "pulumi up sets it");
        assert.deepEqual(await readReplicaIdentityGaps(admin, [ORDERS, SESSIONS]), []);
        const { rows: triggers } = await admin.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'sales.orders_2028'::regclass AND tgname = $1`, [
            truncationTriggerNames(sourceObjectNames(PREFIX).publicationName).triggerName,
        ]);
        assert.equal(triggers[0].n, 1, "and gives it the stack's TRUNCATE trigger");
        await waitUntilEqual("new partition read again", [ORDERS]);
    });

    it("a table left at REPLICA IDENTITY DEFAULT (capture.replicaIdentity): updates that leave its TOASTed body unchanged, deletes carrying the key only, arrive exactly; the WAL it saves, measured", async () => {
        await admin.query(`UPDATE ${NOTES} SET views = views + 1 WHERE id % 2 = 0`);
        await admin.query(`UPDATE ${NOTES} SET views = views + 1 WHERE id % 4 = 0`);
        await admin.query(`UPDATE ${NOTES} SET body = 'short now ' || id WHERE id IN (5, 7)`);
        await admin.query(`DELETE FROM ${NOTES} WHERE id % 9 = 0`);
        await admin.query(`INSERT INTO ${NOTES} VALUES (100, 3, 'inserted after the snapshot')`);
        await waitUntilEqual("a table at REPLICA IDENTITY DEFAULT", [NOTES]);
        const rows = (pipeline.adx.ingested.get(adxNamesFor(NOTES).changes) ?? []).map((r) => r.row);
        // Debezium reads a value an update left unchanged back from the table by key; a row deleted before that read keeps the
        // placeholder in that one history row (its delete follows), never in the current state (compared value by value above).
        const marked = rows.filter((r) => r.body === "__debezium_unavailable_value").map((r) => Number(r.id));
        assert.deepEqual(
            marked.filter((id) => id % 9 !== 0),
            [],
            "only updates of rows deleted before Debezium read them back keep the placeholder",
        );
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: TABLES, defaultIdentityTables: [NOTES] });
        assert.equal(outputs.adx.tables.find((t) => t.sourceTable === NOTES)!.replicaIdentity, "default", "status expects it at DEFAULT and names no gap for it");
        // The WAL an update of a small column writes, the body (8 kB, TOASTed) unchanged: FULL logs the old row whole.
        await admin.query(`CREATE TABLE app.wal_default (LIKE ${NOTES} INCLUDING ALL); CREATE TABLE app.wal_full (LIKE ${NOTES} INCLUDING ALL)`);
        await admin.query(`ALTER TABLE app.wal_full REPLICA IDENTITY FULL`);
        const walOf = async (table: string) => {
            await admin.query(`INSERT INTO ${table} SELECT g, 0, (SELECT string_agg(md5(g || '.' || i), '') FROM generate_series(1, 250) i) FROM generate_series(1, 200) g`);
            const { rows: measured } = await admin.query(`SELECT pg_current_wal_insert_lsn()::text AS lsn`);
            await admin.query(`UPDATE ${table} SET views = views + 1`);
            const { rows: after } = await admin.query(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint AS bytes`, [measured[0].lsn]);
            return Number(after[0].bytes);
        };
        const asDefault = await walOf("app.wal_default");
        const asFull = await walOf("app.wal_full");
        process.stderr.write(
            `e2e: WAL of 200 updates leaving an 8 kB TOASTed value unchanged: REPLICA IDENTITY DEFAULT ${asDefault} bytes, FULL ${asFull} bytes (${(asFull / asDefault).toFixed(1)}x)\n`,
        );
        assert.ok(asFull > 5 * asDefault, `FULL writes the old row whole (${asFull} vs ${asDefault} bytes)`);
        await admin.query(`DROP TABLE app.wal_default, app.wal_full`);
    });

    it("TRUNCATE of two tables in one statement, then writes in the same transaction and after: the truncated rows leave the current state", async () => {
        await source.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, 'more' FROM generate_series(71, 90) g`);
        await source.query(`UPDATE ${SESSIONS} SET token = 'updated' WHERE id <= 10`);
        await waitUntilEqual("before truncate", [SESSIONS, AUDIT]);
        await source.query(`BEGIN; TRUNCATE ${SESSIONS}, ${AUDIT}; INSERT INTO ${SESSIONS} (id, token) VALUES (5, 'same key as before'), (500, 'new'); COMMIT`);
        await source.query(`INSERT INTO ${SESSIONS} (id, token) SELECT g, 'after' FROM generate_series(1000, 1009) g`);
        await admin.query(`INSERT INTO ${AUDIT} (what) VALUES ('after truncate')`);
        await waitUntilEqual("after truncate", [SESSIONS, AUDIT]);
        assert.equal(changeRowsWithOp(SESSIONS, TRUNCATE_OP).length, 1, "one truncate row for sessions");
        assert.equal(changeRowsWithOp(AUDIT, TRUNCATE_OP).length, 1, "one truncate row for audit");
        // A second truncate later, then a row again: the newest truncate is the fence.
        await source.query(`TRUNCATE ${SESSIONS}`);
        await source.query(`INSERT INTO ${SESSIONS} (id, token) VALUES (7, 'after the second truncate')`);
        await waitUntilEqual("after a second truncate", [SESSIONS]);
    });

    it("TRUNCATE of the partitioned table (its root) empties its current state; rows written after it are live", async () => {
        await admin.query(`TRUNCATE ${ORDERS}`);
        await admin.query(`INSERT INTO ${ORDERS} VALUES (1, '2025-06-01', 'after the truncate', NULL, 1), (2, '2031-06-01', 'default partition', NULL, 2)`);
        await waitUntilEqual("after truncating the partitioned table", [ORDERS]);
    });

    it("the current state outlives the change table's retention: with every change row aged out, truncated keys stay hidden and unchanged keys stay", async () => {
        await waitUntilEqual("before the change rows age out", [SESSIONS, AUDIT, ORDERS]);
        // What the change table's soft-delete period does to old rows; the view and the fences keep their own retention.
        for (const table of [SESSIONS, AUDIT, ORDERS]) assert.ok(pipeline.adx.expireRows(adxNamesFor(table).changes, () => true) > 0);
        await waitUntilEqual("after every change row aged out", [SESSIONS, AUDIT, ORDERS]);
        // The fences are what keeps the truncated rows hidden: without them (as when the rule read them from
        // the change table) the rows truncated from audit come back.
        const fences = adxNamesFor(AUDIT).fences;
        const kept = [...(pipeline.adx.ingested.get(fences) ?? [])];
        assert.ok(kept.length > 0, "audit's TRUNCATE is a fence");
        pipeline.adx.expireRows(fences, () => true);
        const { adxRows, sourceRows } = await compareWithSource(pipeline, source, sink, AUDIT);
        pipeline.adx.ingested.set(fences, kept);
        assert.ok(adxRows > sourceRows, `without its fences audit shows ${adxRows} rows against ${sourceRows}`);
        await waitUntilEqual("fences back", [AUDIT]);
        // New changes still apply on top of what the view kept.
        await source.query(`UPDATE ${SESSIONS} SET token = 'changed after the change rows aged out' WHERE id = 7`);
        await source.query(`INSERT INTO ${SESSIONS} (id, token) VALUES (8, 'new'), (9, 'new, then deleted')`);
        await source.query(`DELETE FROM ${SESSIONS} WHERE id = 9`);
        await waitUntilEqual("changes after the change rows aged out", [SESSIONS]);
        assert.equal((await source.query(`SELECT count(*)::int AS n FROM ${SESSIONS}`)).rows[0].n, 2);
    });

    it("a generated column is left out of the ADX model (PostgreSQL before 18 does not publish it), and the rest of its table is exact", async () => {
        const audit = sink.models.find((m) => m.table === AUDIT)!.described;
        assert.deepEqual(audit.generatedColumns, ["what_upper"]);
        assert.ok(!audit.columns.some((c) => c.name === "what_upper"));
        await admin.query(`INSERT INTO ${AUDIT} (what) SELECT 'late event ' || g FROM generate_series(1, 5) g`);
        await waitUntilEqual("generated column", [AUDIT]);
    });

    it("a join table without a primary key is keyed by its unique index: inserts, a key change and deletes arrive exactly, with no capture.keys set", async () => {
        assert.deepEqual(sink.models.find((m) => m.table === JOIN_TABLE)!.described.key, ["A", "B"]);
        await admin.query(`INSERT INTO ${JOIN_TABLE} ("A", "B") VALUES (9, 1), (9, 2)`);
        // A row whose key changes: Debezium sends a delete of the old key and a create of the new one.
        await admin.query(`UPDATE ${JOIN_TABLE} SET "A" = 7 WHERE "A" = 1 AND "B" = 5`);
        await admin.query(`UPDATE ${JOIN_TABLE} SET "addedAt" = '2024-01-01' WHERE "A" = 2`);
        await admin.query(`DELETE FROM ${JOIN_TABLE} WHERE "A" = 3`);
        await waitUntilEqual("unique-index key", [JOIN_TABLE]);
        // Read again by incremental snapshot (as a schema change or `snapshot --table` does): Debezium chunks it by the same key.
        const snapshotRows = () => changeRowsWithOp(JOIN_TABLE, "r").filter((r) => r[changeMetadataColumns([]).snapshot.column] === "incremental").length;
        const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${JOIN_TABLE}`);
        await requestIncrementalSnapshot(
            admin,
            { signalTable: sourceObjectNames(PREFIX).signalTable, connectUrl: pipeline.connectUrl, connectCredentials: pipeline.connectCredentials, connectorName: CONNECTOR },
            [JOIN_TABLE],
            () => undefined,
        );
        await pollUntil({
            attempt: async () => (snapshotRows() >= rows[0].n ? true : undefined),
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () => new Error(`${snapshotRows()} of ${rows[0].n} rows of ${JOIN_TABLE} read again`),
        });
        await waitUntilEqual("unique-index key, read again", [JOIN_TABLE]);
    });

    it("names as an ORM or a user writes them: captured exactly, and the uncaptured twin public.orders nowhere", async () => {
        await admin.query(`UPDATE ${EF_ORDERS} SET "Total" = "Total" + 1 WHERE "Id" % 4 = 0`);
        await admin.query(`DELETE FROM ${EF_ORDERS} WHERE "Id" % 9 = 0`);
        await admin.query(`INSERT INTO ${EF_ORDERS} ("CustomerName", "Total") VALUES ('new', 1)`);
        await admin.query(`UPDATE public.orders SET note = 'changed'`);
        await admin.query(`UPDATE ${ACCENTED} SET "Désignation" = 'modifié' WHERE "Ligne" = 1`);
        await admin.query(`DELETE FROM ${ACCENTED} WHERE "N° commande" = 2`);
        await waitUntilEqual("names", [EF_ORDERS, ACCENTED]);
        const kafkaAdmin = kafkaClient(pipeline.kafka, "realworld-topics").admin();
        await kafkaAdmin.connect();
        const topics = await kafkaAdmin.listTopics().finally(() => kafkaAdmin.disconnect());
        assert.ok(topics.includes("realworld.public.Orders"), topics.join(", "));
        assert.ok(!topics.includes("realworld.public.orders"), "the twin is not captured (Debezium's include list is case-insensitive unless told otherwise)");
        assert.ok(topics.includes("realworld.Ventes__t_.Commandes_sp_ciales__2024_"), topics.join(", "));
    });

    it("a 1.5 MB row does not stall capture: it arrives with the value as a marker (size and SHA-256), and every change after it arrives", async () => {
        await admin.query(`INSERT INTO ${DOCUMENTS} VALUES (1, 'small', 'short body'), (2, 'big', repeat('0123456789abcdef', 98304)), (3, 'after', 'after the big one')`);
        await admin.query(`UPDATE ${DOCUMENTS} SET title = 'small, edited' WHERE id = 1`);
        await source.query(`INSERT INTO ${SESSIONS} (id, token) VALUES (4242, 'another table, after the big row')`);
        const {
            rows: [big],
        } = await admin.query(`SELECT octet_length(body) AS bytes, encode(sha256(convert_to(body, 'UTF8')), 'hex') AS sha FROM ${DOCUMENTS} WHERE id = 2`);
        assert.equal(big.bytes, 1572864);
        await pollUntil({
            attempt: async () => (["2", "3"].every((id) => changeRowsWithOp(DOCUMENTS, "c").some((r) => String(r.id) === id)) ? true : undefined),
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () => new Error(`the documents' inserts did not all reach ADX: ${changeRowsWithOp(DOCUMENTS, "c").length} of 3`),
        });
        const marked = changeRowsWithOp(DOCUMENTS, "c").find((r) => String(r.id) === "2")!;
        assert.equal(marked.body, `${OVERSIZED_MARKER_PREFIX} bytes=${big.bytes} sha256=${big.sha}`);
        assert.equal(marked.title, "big", "the row's other values arrive as they are");
        assert.equal((marked.record as Record<string, unknown>)[OVERSIZED_FIELD], `body:${big.bytes}`);
        // What `status` reports, by the query it sends to ADX.
        assert.deepEqual(
            await readOversizedRows(pipeline.adx.url, ADX_DATABASE, [
                { sourceTable: DOCUMENTS, rawTable: adxNamesFor(DOCUMENTS).changes, recordColumn: "record" },
                { sourceTable: SESSIONS, rawTable: adxNamesFor(SESSIONS).changes, recordColumn: "record" },
            ]),
            [{ table: DOCUMENTS, rows: 1, examples: [`body:${big.bytes}`] }],
        );
        // Once the value is small again the table equals the source, and so does every table written meanwhile.
        await admin.query(`UPDATE ${DOCUMENTS} SET body = 'trimmed' WHERE id = 2`);
        await waitUntilEqual("after the 1.5 MB row", [DOCUMENTS, SESSIONS]);
        const status = await connectRequest(pipeline.connectUrl, "GET", `/connectors/${CONNECTOR}/status`, undefined, {
            deadlineMs: 30_000,
            initialDelayMs: 200,
            maxDelayMs: 1000,
        });
        assert.deepEqual(
            status.data.tasks.map((t: { state: string }) => t.state),
            ["RUNNING"],
        );
    });

    it("arrays of dates, times, numerics and timestamps keep BC, infinity, NaN and 24:00:00, the same through the snapshot and the stream", async () => {
        await admin.query(edgeArraysInsert(2));
        await waitUntilEqual("edge arrays", [EDGE_ARRAYS]);
        const { record } = changeMetadataColumns(sink.models.find((m) => m.table === EDGE_ARRAYS)!.described.columns.map((c) => c.name));
        const rows = (pipeline.adx.ingested.get(adxNamesFor(EDGE_ARRAYS).changes) ?? []).map((r) => r.row);
        const expected = Object.fromEntries(Object.entries(EDGE_ARRAY_COLUMNS).map(([name, [, , values]]) => [name, values]));
        for (const id of [1, 2]) {
            const row = rows.find((r) => String(r.id) === String(id))!;
            const held = row[record.column] as Record<string, unknown>;
            assert.deepEqual(Object.fromEntries(Object.keys(expected).map((c) => [c, held[c]])), expected, `row ${id} (${id === 1 ? "snapshot" : "stream"})`);
        }
    });

    it("a value with more dimensions or other bounds than its array column declares arrives as PostgreSQL's text, exact, and capture goes on (before, the converter refused such a value and the column arrived null)", async () => {
        const { record } = changeMetadataColumns(sink.models.find((m) => m.table === EDGE_ARRAYS)!.described.columns.map((c) => c.name));
        const latest = (id: number) =>
            (pipeline.adx.ingested.get(adxNamesFor(EDGE_ARRAYS).changes) ?? [])
                .map((r) => r.row)
                .filter((r) => String(r.id) === String(id))
                .at(-1);
        await admin.query(edgeArraysInsert(3));
        await admin.query(
            `UPDATE ${EDGE_ARRAYS} SET dates = '{{2024-02-29,infinity},{"4713-01-01 BC",NULL}}', times = '[0:1]={24:00:00,12:00:00}', amounts = '{{NaN,1.5}}', ` +
                `stamps = '{{"2024-02-29 12:00:00.5"}}' WHERE id = 3`,
        );
        // A change after it, in the same table.
        await admin.query(`UPDATE ${EDGE_ARRAYS} SET times = '{01:00:00}' WHERE id = 2`);
        await pollUntil({
            attempt: async () =>
                (latest(2)?.[record.column] as any)?.times?.[0] === "01:00:00Z" && typeof (latest(3)?.[record.column] as any)?.amounts === "string" ? true : undefined,
            timeoutMs: 90_000,
            intervalMs: 500,
            timeoutError: () => new Error(`the changes after the multi-dimensional values did not arrive: ${JSON.stringify(latest(3)?.[record.column])}`),
        });
        const held = latest(3)![record.column] as Record<string, unknown>;
        assert.deepEqual(
            { dates: held.dates, times: held.times, amounts: held.amounts, stamps: held.stamps },
            { dates: '{{2024-02-29,infinity},{"4713-01-01 BC",NULL}}', times: "[0:1]={24:00:00,12:00:00}", amounts: "{{NaN,1.5}}", stamps: '{{"2024-02-29 12:00:00.5"}}' },
        );
        await waitUntilEqual("edge arrays with more dimensions and other bounds", [EDGE_ARRAYS]);
        await admin.query(`DELETE FROM ${EDGE_ARRAYS} WHERE id = 3`);
        await admin.query(`UPDATE ${EDGE_ARRAYS} SET times = '{24:00:00,00:00:00.5,23:59:59.999999}' WHERE id = 2`);
        await waitUntilEqual("edge arrays again", [EDGE_ARRAYS]);
    });

    it("a table of 1,000 columns: snapshot, an insert, updates of one column and of all, a delete arrive exactly, and reconcile finds it equal", async () => {
        await admin.query(`INSERT INTO ${WIDE} VALUES (5, ${wideValues(5)})`);
        const lastText = WIDE_COLUMNS.filter((c) => c.type === "text").at(-1)!.name;
        await admin.query(`UPDATE ${WIDE} SET ${lastText} = 'changed' WHERE id = 1`);
        await admin.query(`UPDATE ${WIDE} SET ${WIDE_COLUMNS.map((c) => `${c.name} = NULL`).join(", ")} WHERE id = 2`);
        await admin.query(`DELETE FROM ${WIDE} WHERE id = 3`);
        await waitUntilEqual("the wide table", [WIDE]);
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [WIDE] });
        const reconciler = await localReconcile(pipeline, outputs);
        try {
            const [wide] = await reconciler.run("wide");
            assert.equal(wide.equal, true, JSON.stringify(wide.differences));
            assert.equal(wide.sourceRows, 4);
        } finally {
            await reconciler.close();
        }
    });

    it("a bootstrap (pulumi up) while the application holds a long transaction on a captured table takes no lock on it", async () => {
        // The application's session (it may write the table under row-level security).
        const app = await sessionAs(pipeline, pipeline.postgres.superuser);
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

    it("a captured table renamed under capture, given an UNLOGGED partition, or an inheritance child, is never silent: status names it, with the fix", async () => {
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: TABLES });
        assert.deepEqual(await readGoneTables(admin, outputs), { missing: [], uncapturedPublished: [], unpublished: [], unlogged: [] });
        // The publication follows the table by its OID; Debezium's include list names it.
        await admin.query(`ALTER TABLE ${AUDIT} RENAME TO audit_log`);
        try {
            const gone = await readGoneTables(admin, outputs);
            assert.deepEqual(gone, { missing: [AUDIT], uncapturedPublished: ["app.audit_log"], unpublished: [], unlogged: [] });
            const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], goneTables: gone }).join("\n");
            assert.match(problems, /CAPTURED TABLE GONE: app\.audit no longer exists .*the publication now holds app\.audit_log.*put the new name in pg-adx-cdc:capture\.tables/);
            // The next pulumi up stops at the bootstrap, before it changes anything, with the same fix.
            await assert.rejects(
                sourceBootstrapProvider.update!("id", bootstrapInputs, bootstrapInputs),
                /captured table app\.audit does not exist in database \w+, and the stack's publication holds app\.audit_log, which it does not capture: renamed\? Put the new name in pg-adx-cdc:capture\.tables/,
            );
        } finally {
            await admin.query("ALTER TABLE app.audit_log RENAME TO audit");
        }
        assert.deepEqual(await readGoneTables(admin, outputs), { missing: [], uncapturedPublished: [], unpublished: [], unlogged: [] });
        // PostgreSQL refuses SET UNLOGGED on a published table, but not a partition created so: its changes write no WAL and never stream.
        await admin.query(`CREATE UNLOGGED TABLE sales.orders_2030 PARTITION OF ${ORDERS} FOR VALUES FROM ('2030-01-01') TO ('2031-01-01')`);
        try {
            const gone = await readGoneTables(admin, outputs);
            assert.deepEqual(gone.unlogged, [ORDERS]);
            const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], goneTables: gone }).join("\n");
            assert.match(
                problems,
                /CAPTURED TABLE UNLOGGED: a partition of sales\.orders_by_month is UNLOGGED .*Repair: ALTER TABLE <partition> SET LOGGED, then pg-adx-cdc reconcile --table sales\.orders_by_month --repair/,
            );
        } finally {
            await admin.query("DROP TABLE sales.orders_2030");
        }
        assert.deepEqual((await readGoneTables(admin, outputs)).unlogged, []);
        // An inheritance child made under capture (the bootstrap refuses a table that has one): a read of the parent takes its rows, its changes never stream.
        assert.deepEqual(await readInheritedTables(admin, TABLES), []);
        await admin.query(`CREATE TABLE app.audit_archive () INHERITS (${AUDIT})`);
        try {
            const inherited = await readInheritedTables(admin, TABLES);
            assert.deepEqual(inherited, [{ table: AUDIT, children: ["app.audit_archive"] }]);
            assert.match(
                evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], inheritedTables: inherited }).join("\n"),
                /CAPTURED TABLE INHERITED: app\.audit_archive inherits from app\.audit .*never change or leave\. Repair: ALTER TABLE <child> NO INHERIT app\.audit .*reconcile --table app\.audit --repair/,
            );
        } finally {
            await admin.query("DROP TABLE app.audit_archive");
        }
        assert.deepEqual(await readInheritedTables(admin, TABLES), []);
    });
});
