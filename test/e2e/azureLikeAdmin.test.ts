// The whole pipeline with PostgreSQL as Azure runs it (local/azureLikePostgres.ts): PostgreSQL 16 (the
// stack's default major version, not Debian's 15), a server admin that is NOSUPERUSER with exactly
// Azure's attributes (LOGIN, INHERIT, CREATEDB, CREATEROLE, REPLICATION, member of azure_pg_admin), and
// the application's tables owned by another role, written by a third (the application's login).
// - readiness as that admin names the owner and the GRANT the owner runs, and a replication role a DBA created
//   before (PostgreSQL 16 lets the admin alter only roles it holds ADMIN OPTION on), then passes;
// - the bootstrap, the snapshot and the stream run with no superuser anywhere: the replication user the
//   admin creates is REPLICATION only, the operator role gets pg_monitor through azure_pg_admin;
// - what the application writes (a partitioned table with rows moving between partitions, an EF-style
//   quoted name, TRUNCATE) arrives in ADX as the source holds it;
// - `pulumi destroy` as that admin leaves no slot, publication or role of the stack's, and the owner's
//   tables and rows untouched.
// The cluster's bootstrap superuser plays only the parties that are not the stack: Azure itself (the
// roles) and the application's owner (its schema, tables and the one GRANT).
import { after, before, describe, it, mock } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient, sessionAs } from "../../local/capturedSource";
import { AZURE_LIKE_ADMIN, AZURE_PG_ADMIN_ROLE } from "../../local/azureLikePostgres";
import { waitUntilEqual as waitUntilEqualToSource, assertEqualToSource } from "./harness/sourceComparison";
import { bootstrapCapture } from "./harness/capturedTables";
import { KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { sourceReadinessProvider } from "../../postgres/sourceReadiness";
import { OPERATOR_USER, sourceObjectNames, STACK_SCHEMA } from "../../postgres/sourceSchema";
import { defaultPostgresSettings } from "../../config/postgresSettings";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import { TRUNCATE_OP } from "../../contract/recordFields";
import { pollUntil } from "../../runtime/pollUntil";
import { evaluatePipelineHealth, readReplicaIdentityGaps, readSlotHealth } from "../../operations/pipelineHealth";
import { readUnpublishedTruncations } from "../../postgres/partitionTruncations";
import { capturedTableShapes, incrementalSnapshotProvider } from "../../postgres/incrementalSnapshot";
import { readCatalogTables } from "../../postgres/catalog";

const PREFIX = "azurelike";
const OWNER = "erp_owner";
const APP_LOGIN = "erp_app";
const CUSTOMERS = "erp.customers";
/** Partitioned by range, as an application keeps a large table; the key includes the partition column. */
const INVOICES = "erp.invoices";
/** As EF Core names it. */
const EF_PAYMENTS = 'erp."Payments"';
const TABLES = [CUSTOMERS, INVOICES, EF_PAYMENTS];

let pipeline: LocalPipeline;
/** The server admin's session: what the stack's providers connect as. */
let admin: Client;
/** The application's own login (not the owner, not the admin). */
let app: Client;
/** The cluster's superuser, playing Azure and the application's owner only; reads the source as it is. */
let superuser: Client;
let sink: KustoSinkDeployment;
let bootstrapInputs: any;
let connectorInputs: any;
/** The captured tables' shapes the last pulumi up recorded (before a partition was truncated alone). */
let recordedAtUp: ReturnType<typeof capturedTableShapes>;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline({ azureLikePostgres: true });
    superuser = await sessionAs(pipeline, pipeline.postgres.superuser);
    // The application's owner creates its schema and tables, and lets its login write them.
    await superuser.query(`CREATE ROLE ${OWNER} NOLOGIN; CREATE ROLE ${APP_LOGIN} LOGIN`);
    await superuser.query(`CREATE SCHEMA erp AUTHORIZATION ${OWNER}`);
    await superuser.query(`SET ROLE ${OWNER}`);
    await superuser.query(`CREATE TABLE ${CUSTOMERS} (id integer PRIMARY KEY, name text NOT NULL, tier text)`);
    await superuser.query(
        `CREATE TABLE ${INVOICES} (id bigint NOT NULL, issued_on date NOT NULL, customer_id integer NOT NULL, amount numeric(12,2), PRIMARY KEY (id, issued_on)) PARTITION BY RANGE (issued_on)`,
    );
    await superuser.query(`CREATE TABLE erp.invoices_2025 PARTITION OF ${INVOICES} FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
    await superuser.query(`CREATE TABLE erp.invoices_2026 PARTITION OF ${INVOICES} FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`);
    await superuser.query(
        `CREATE TABLE ${EF_PAYMENTS} ("Id" integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "InvoiceId" bigint NOT NULL, "PaidAt" timestamptz NOT NULL DEFAULT now(), "Note" text)`,
    );
    await superuser.query(
        `GRANT USAGE ON SCHEMA erp TO ${APP_LOGIN}; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA erp TO ${APP_LOGIN}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA erp TO ${APP_LOGIN}`,
    );
    await superuser.query("RESET ROLE");
    admin = await adminClient(pipeline);
    app = await sessionAs(pipeline, APP_LOGIN);
});

after(async () => {
    for (const client of [admin, app, superuser]) await client?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: azureLikeAdmin.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

const readinessInputs = () => ({
    connection: pipeline.adminConnection,
    slotName: sourceObjectNames(PREFIX).slotName,
    restartHint: "Restart the server.",
    tables: TABLES,
    roles: ["cdc_replicator", OPERATOR_USER],
    stackSchema: STACK_SCHEMA,
});

async function waitUntilEqual(label: string): Promise<void> {
    // Compared against what the superuser reads: the source as it is, whatever the stack's roles may see.
    const results = await waitUntilEqualToSource(pipeline, superuser, sink, TABLES, label);
    assertEqualToSource(results);
}

describe("PostgreSQL as Azure runs it: a NOSUPERUSER admin, the application's tables owned by another role", () => {
    it("the server is the stack's default major version, and its admin has exactly Azure's attributes", async () => {
        assert.equal(pipeline.postgres.version.split(".")[0], defaultPostgresSettings().version);
        const {
            rows: [role],
        } = await admin.query(
            "SELECT rolsuper, rolinherit, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin, rolbypassrls, pg_has_role(current_user, $1, 'MEMBER') AS in_azure_pg_admin FROM pg_roles WHERE rolname = current_user",
            [AZURE_PG_ADMIN_ROLE],
        );
        assert.deepEqual(role, {
            rolsuper: false,
            rolinherit: true,
            rolcreatedb: true,
            rolcreaterole: true,
            rolreplication: true,
            rolcanlogin: true,
            rolbypassrls: false,
            in_azure_pg_admin: true,
        });
        assert.equal(pipeline.adminConnection.user, AZURE_LIKE_ADMIN);
    });

    it("readiness as that admin names the owner's GRANT, and the replication role a DBA created before, then passes once both are granted", async () => {
        // A DBA prepared the replication role beforehand: on PostgreSQL 16 the admin may not alter a role another login created.
        await superuser.query("CREATE ROLE cdc_replicator WITH LOGIN REPLICATION");
        await assert.rejects(admin.query("ALTER ROLE cdc_replicator WITH LOGIN"), /permission denied to alter role/);
        await assert.rejects(
            sourceReadinessProvider.create!(readinessInputs()),
            new RegExp(
                `erp\\."Payments", erp\\.customers, erp\\.invoices, erp\\.invoices_2025, erp\\.invoices_2026 belong to ${OWNER}, whose rights the admin login ${AZURE_LIKE_ADMIN} does not hold .*: as ${OWNER} or a superuser, run GRANT ${OWNER} TO ${AZURE_LIKE_ADMIN}\\n` +
                    `  - role cdc_replicator already exists .*created by another login, and the admin login ${AZURE_LIKE_ADMIN} may not alter it .*run GRANT cdc_replicator TO ${AZURE_LIKE_ADMIN} WITH ADMIN OPTION`,
            ),
        );
        // What the readiness message tells the owner and the DBA to run.
        await superuser.query(`GRANT ${OWNER} TO ${AZURE_LIKE_ADMIN}; GRANT cdc_replicator TO ${AZURE_LIKE_ADMIN} WITH ADMIN OPTION`);
        const { outs } = await sourceReadinessProvider.create!(readinessInputs());
        assert.deepEqual(outs.facts.tablesNotOwned, []);
        assert.deepEqual(outs.facts.rolesNotManaged, []);
        assert.equal(outs.facts.canCreateReplicationUser, true);
        assert.equal(Math.floor(outs.facts.serverVersion / 10000), Number(defaultPostgresSettings().version));
    });

    it("a transaction left open after a write (as a SQL client with autocommit off leaves one) stops pulumi up before anything is created, naming the session and the fix", async () => {
        const { rows: me } = await app.query("SELECT pg_backend_pid() AS pid");
        await app.query("BEGIN");
        await app.query(`INSERT INTO ${CUSTOMERS} VALUES (9999, 'held open', NULL)`);
        const started = Date.now();
        await assert.rejects(
            bootstrapCapture(pipeline, { prefix: PREFIX, tables: TABLES, scramSalt: "YXp1cmVsaWtlLXNhbHQtMTI=", bootstrapTimeoutSeconds: 4 }),
            new RegExp(
                `replication slot "${sourceObjectNames(PREFIX).slotName}" cannot be created yet: .* still open.*\\n  - pid ${me[0].pid} \\(${APP_LOGIN}(, application '[^']*')?, idle in transaction for \\d+ s, ` +
                    `last statement: INSERT INTO erp\\.customers .*SELECT pg_terminate_backend\\(${me[0].pid}\\)\\).*nothing of the capture was created yet`,
                "s",
            ),
        );
        assert.ok(Date.now() - started < 30_000, "it waited about its deadline, not the connector's");
        const { rows: created } = await superuser.query("SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1", [sourceObjectNames(PREFIX).publicationName]);
        assert.equal(created[0].n, 0, "no publication, nothing of the stack's");
        await app.query("ROLLBACK");
    });

    it("bootstrap, snapshot and stream with no superuser: what the application writes arrives in ADX as the source holds it; its login truncating a partition alone is logged for status", async () => {
        await app.query(`INSERT INTO ${CUSTOMERS} SELECT g, 'customer ' || g, CASE WHEN g % 3 = 0 THEN 'gold' END FROM generate_series(1, 40) g`);
        await app.query(`INSERT INTO ${INVOICES} SELECT g, DATE '2025-06-01' + (g * 11 % 400), 1 + g % 40, g * 2.25 FROM generate_series(1, 90) g`);
        await app.query(`INSERT INTO ${EF_PAYMENTS} ("InvoiceId", "Note") SELECT g, 'paid ' || g FROM generate_series(1, 30) g`);
        const capture = await bootstrapCapture(pipeline, { prefix: PREFIX, tables: TABLES, scramSalt: "YXp1cmVsaWtlLXNhbHQtMTI=" });
        bootstrapInputs = capture.bootstrapInputs;
        // A transaction opened after the bootstrap's check holds Debezium's slot creation: status names it, and capture starts once it ends.
        const { rows: me } = await app.query("SELECT pg_backend_pid() AS pid");
        await app.query("BEGIN");
        await app.query(`UPDATE ${CUSTOMERS} SET tier = tier WHERE id = 1`);
        const starting = capture.start();
        const operator = await sessionAs(pipeline, OPERATOR_USER);
        const slot = await pollUntil({
            attempt: async () => {
                const health = await readSlotHealth(operator, sourceObjectNames(PREFIX).slotName);
                return health.creationWait?.blockers.length ? health : undefined;
            },
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () => new Error("status never saw Debezium's slot creation waiting"),
        });
        assert.deepEqual(
            slot.creationWait!.blockers.map((b) => b.pid),
            [me[0].pid],
        );
        assert.match(
            evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot }).join("\n"),
            new RegExp(
                `SLOT CREATION WAITING: Debezium has waited \\d+ s to create replication slot .*Still open: pid ${me[0].pid} \\(${APP_LOGIN}(, application '[^']*')?, idle in transaction`,
            ),
        );
        await app.query("COMMIT");
        await operator.end();
        ({ sink, connectorInputs } = await starting);
        await waitUntilEqual("snapshot");

        // The stack's roles as the admin made them: no superuser, the replication user REPLICATION only.
        const { rows: roles } = await superuser.query(
            "SELECT rolname, rolsuper, rolreplication, rolcreaterole, pg_has_role(rolname, 'pg_monitor', 'MEMBER') AS monitor FROM pg_roles WHERE rolname IN ('cdc_replicator', $1) ORDER BY 1",
            [OPERATOR_USER],
        );
        assert.deepEqual(roles, [
            { rolname: OPERATOR_USER, rolsuper: false, rolreplication: false, rolcreaterole: false, monitor: true },
            { rolname: "cdc_replicator", rolsuper: false, rolreplication: true, rolcreaterole: false, monitor: false },
        ]);
        const { rows: superusers } = await superuser.query("SELECT rolname FROM pg_roles WHERE rolsuper");
        assert.deepEqual(superusers, [{ rolname: pipeline.postgres.superuser }], "nobody but Azure's own role is superuser");
        const { rows: senders } = await superuser.query("SELECT usename FROM pg_stat_replication");
        assert.deepEqual(senders, [{ usename: "cdc_replicator" }], "Debezium streams as the replication user");
        const { rows: owners } = await superuser.query(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'erp'::regnamespace AND relkind IN ('r', 'p')",
        );
        assert.deepEqual(owners, [{ owner: OWNER }], "the bootstrap changed no table's owner");

        // The application's changes: updates, deletes, a row moving between partitions, TRUNCATE, inserts after it.
        await app.query(`UPDATE ${CUSTOMERS} SET tier = 'silver' WHERE id % 4 = 0`);
        await app.query(`DELETE FROM ${CUSTOMERS} WHERE id > 35`);
        await app.query(`UPDATE ${INVOICES} SET issued_on = DATE '2026-03-01', amount = amount + 1 WHERE id IN (1, 2, 3) AND issued_on < DATE '2026-01-01'`);
        await app.query(`DELETE FROM ${INVOICES} WHERE id BETWEEN 50 AND 55`);
        await app.query(`TRUNCATE ${EF_PAYMENTS}`);
        await app.query(`INSERT INTO ${EF_PAYMENTS} ("InvoiceId", "Note") SELECT g, 'after truncate ' || g FROM generate_series(100, 104) g`);
        await waitUntilEqual("changes");
        const { op } = changeMetadataColumns(sink.models.find((m) => m.table === EF_PAYMENTS)!.described.columns.map((c) => c.name));
        assert.ok(
            (pipeline.adx.ingested.get(adxNamesFor(EF_PAYMENTS).changes) ?? []).some((r) => r.row[op.column] === TRUNCATE_OP),
            "the TRUNCATE arrived as a change of its own",
        );

        // A partition truncated alone by the application's login, which holds no grant on the stack's schema: the
        // TRUNCATE succeeds (the trigger's function is the admin's), the stack's log has it, and status names it.
        recordedAtUp = capturedTableShapes((await readCatalogTables(admin, TABLES)).tables, TABLES);
        await app.query(`TRUNCATE erp.invoices_2025`);
        const truncations = await readUnpublishedTruncations(admin, [INVOICES]);
        assert.deepEqual(
            truncations.map((t) => t.relation),
            [(await superuser.query("SELECT 'erp.invoices_2025'::regclass::oid::text AS oid")).rows[0].oid],
        );
        const statusSession = await sessionAs(pipeline, OPERATOR_USER);
        try {
            assert.deepEqual(await readUnpublishedTruncations(statusSession, [INVOICES]), truncations, "the operator (status) reads the log too");
        } finally {
            await statusSession.end();
        }
    });

    it("a pulumi up again as that admin succeeds and takes no lock on the owner's tables (replica identity already FULL)", async () => {
        await sourceBootstrapProvider.update!("bootstrap", bootstrapInputs, bootstrapInputs);
        const { rows } = await superuser.query(
            "SELECT c.oid::regclass::text AS rel, c.relreplident AS ri FROM pg_class c WHERE c.relnamespace = 'erp'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1",
        );
        assert.ok(
            rows.every((r) => r.ri === "f"),
            JSON.stringify(rows),
        );
    });

    it("a partition another role creates under capture (one the admin holds no rights on): pulumi refresh + up goes on, reads the table again (a partition was truncated alone too), and the log gives the owner's fixes; status names it until they are run", async () => {
        // A partition-maintenance role of the owner's creates next year's partition: it owns the partition, and the
        // admin (a member of the table's owner only) may neither set its replica identity nor create a trigger on it.
        await superuser.query(`CREATE ROLE erp_partman NOLOGIN IN ROLE ${OWNER}; GRANT CREATE ON SCHEMA erp TO erp_partman`);
        await superuser.query(`SET ROLE erp_partman`);
        await superuser.query(`CREATE TABLE erp.invoices_2027 PARTITION OF ${INVOICES} FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')`);
        await superuser.query("RESET ROLE");
        await app.query(`INSERT INTO ${INVOICES} SELECT g, DATE '2027-01-05' + (g - 500), 1 + g % 40, g * 1.5 FROM generate_series(500, 520) g`);
        await app.query(`UPDATE ${INVOICES} SET amount = amount + 1 WHERE id BETWEEN 500 AND 504`);
        await app.query(`DELETE FROM ${INVOICES} WHERE id = 520`);
        const refreshed = capturedTableShapes((await readCatalogTables(admin, TABLES)).tables, TABLES);
        const logged: string[] = [];
        const info = mock.method(require("@pulumi/pulumi").log, "info", (message: string) => void logged.push(message));
        let outs: any;
        try {
            const snapshotInputs = {
                connection: bootstrapInputs.connection,
                signalTable: sourceObjectNames(PREFIX).signalTable,
                connectUrl: pipeline.connectUrl,
                connectCredentials: pipeline.connectCredentials,
                connectorName: connectorInputs.connectorName,
                tables: TABLES,
                topicPrefix: PREFIX,
            };
            ({ outs } = await incrementalSnapshotProvider.update!("id", { ...snapshotInputs, ...recordedAtUp, signals: [] }, { ...snapshotInputs, ...refreshed }));
        } finally {
            info.mock.restore();
        }
        assert.deepEqual(
            outs.signals.map((s: any) => s.tables),
            [[INVOICES]],
            "the table is read again: the truncated partition's rows leave ADX, the new partition's arrive",
        );
        const log = logged.join("\n");
        assert.match(
            log,
            /erp\.invoices_2027 \(of captured table erp\.invoices\): REPLICA IDENTITY FULL not set: .*have its owner run ALTER TABLE erp\.invoices_2027 REPLICA IDENTITY FULL/,
        );
        assert.match(log, /erp\.invoices_2027 \(of erp\.invoices\): no TRUNCATE trigger of the stack's \(another role owns it\).*have its owner run CREATE TRIGGER/);
        const status = await sessionAs(pipeline, OPERATOR_USER);
        try {
            assert.deepEqual(await readReplicaIdentityGaps(status, [INVOICES]), [{ table: INVOICES, relations: ["erp.invoices_2027"] }], "status names it");
        } finally {
            await status.end();
        }
        assert.match(log, /erp\.invoices: partition\(s\) .*erp\.invoices_2025.* truncated/);
        await waitUntilEqual("a partition truncated alone, and one another role owns");
        // The owner runs what the log gave it; status is quiet about the partition then.
        await superuser.query(`SET ROLE erp_partman`);
        await superuser.query(`ALTER TABLE erp.invoices_2027 REPLICA IDENTITY FULL`);
        await superuser.query("RESET ROLE");
        assert.deepEqual(await readReplicaIdentityGaps(admin, [INVOICES]), []);
    });

    it("pulumi destroy as that admin leaves no slot, publication or role of the stack's, and the owner's tables and rows as they were", async () => {
        const { rows: before } = await superuser.query(`SELECT count(*)::int AS n FROM ${INVOICES}`);
        await sink.delete();
        await kafkaConnectorProvider.delete!(connectorInputs.connectorName, connectorInputs);
        await sourceBootstrapProvider.delete!("bootstrap", bootstrapInputs);
        // The slot is dropped once the connector's task has let go of it (the provider waits for that).
        await pollUntil({
            attempt: async () => ((await superuser.query("SELECT count(*)::int AS n FROM pg_replication_slots")).rows[0].n === 0 ? true : undefined),
            timeoutMs: 30_000,
            intervalMs: 500,
            timeoutError: () => new Error("a replication slot is left"),
        });
        assert.deepEqual((await superuser.query("SELECT pubname FROM pg_publication")).rows, []);
        assert.deepEqual((await superuser.query("SELECT rolname FROM pg_roles WHERE rolname IN ('cdc_replicator', $1)", [OPERATOR_USER])).rows, []);
        assert.deepEqual((await superuser.query(`SELECT count(*)::int AS n FROM ${INVOICES}`)).rows, before);
    });
});
