// The WAL guard (pg-adx-cdc:postgres.walGuard) on the real pipeline: pg_cron preloaded as the stack's
// parameters preload it, the guard scheduled by the bootstrap provider in pg_cron's database
// ("postgres", Azure's default) for the source database. While the pipeline streams, the guard leaves
// the slot alone; with the source connector paused (its consumer still attached, its slot held) and
// changes made, including deletes, the slot retains more WAL than the limit: the guard ends the
// consumer and drops the slot, status names the drop, and when the connector resumes Debezium finds its
// slot gone, re-reads every table (snapshot.mode when_needed) and ADX's current state equals the source
// value by value — the rows deleted while the slot was gone included. A slot PostgreSQL itself invalidated
// (max_slot_wal_keep_size: wal_status lost), from which Debezium can never stream again, is dropped the
// same way, and capture recovers by itself.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient, sessionAs } from "../../local/capturedSource";
import { KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { connectRequest } from "../../connectors/connectRestClient";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { evaluatePipelineHealth, readSlotHealth } from "../../operations/pipelineHealth";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import { pollUntil } from "../../runtime/pollUntil";
import { bootstrapCapture, TableCapture } from "./harness/capturedTables";
import { waitUntilEqual } from "./harness/sourceComparison";

const PREFIX = "guarded";
const TABLE = "app.accounts";
/** 24 MB: far above what a streaming pipeline retains here, far below what the test writes while paused. */
const LIMIT_BYTES = 24_000_000;
const names = sourceObjectNames(PREFIX);

let pipeline: LocalPipeline;
let admin: Client;
let capture: TableCapture;
let sink: KustoSinkDeployment;
let connectorName: string;

async function cronDatabase(): Promise<Client> {
    const { Client } = require("pg");
    const client = new Client({ host: pipeline.adminConnection.host, port: pipeline.adminConnection.port, user: pipeline.adminConnection.user, database: "postgres" });
    await client.connect();
    return client;
}

/**
 * pg_cron runs the guard at second 0 of every minute: a drill's setup (about 10 s) starts early in a
 * minute, so that the scheduled guard acts after it, not between the bulk load and the checks.
 */
async function startEarlyInMinute(): Promise<void> {
    const second = Number((await admin.query("SELECT extract(second FROM clock_timestamp())::int AS s")).rows[0].s);
    if (second > 35) await new Promise((r) => setTimeout(r, (62 - second) * 1000));
}

async function guardLog(): Promise<{ retained_bytes: string; limit_bytes: string }[]> {
    return (await admin.query(`SELECT retained_bytes::text, limit_bytes::text FROM ${names.walGuard.logTable} ORDER BY dropped_at`)).rows;
}

before(async () => {
    pipeline = await startLocalPipeline({ walGuard: { maxRetainedWalGb: LIMIT_BYTES / 1e9 } });
    admin = await adminClient(pipeline);
    await admin.query(`CREATE SCHEMA app;
        CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(14,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO ${TABLE} (id, owner, balance) SELECT g, 'owner ' || g, g * 1.25 FROM generate_series(1, 300) g`);
    capture = await bootstrapCapture(pipeline, { prefix: PREFIX, tables: [TABLE], scramSalt: "d2FsLWd1YXJkLXNhbHQtMTI=", walGuardMaxRetainedWalBytes: LIMIT_BYTES });
    const started = await capture.start();
    sink = started.sink;
    connectorName = started.connectorInputs.connectorName;
});

after(async () => {
    await admin?.end().catch(() => undefined);
    await pipeline?.stop();
});

describe("WAL guard", () => {
    it("is scheduled by the bootstrap in pg_cron's database, for the source database, with the configured limit", async () => {
        const cron = await cronDatabase();
        try {
            const { rows } = await cron.query("SELECT schedule, command, database FROM cron.job WHERE jobname = $1", [names.walGuard.jobName]);
            assert.deepEqual(rows, [{ schedule: "* * * * *", command: `SELECT ${names.walGuard.functionName}()`, database: pipeline.postgres.database }]);
        } finally {
            await cron.end();
        }
        assert.match(
            (await admin.query(`SELECT prosrc FROM pg_proc WHERE oid = '${names.walGuard.functionName}()'::regprocedure`)).rows[0].prosrc,
            new RegExp(`<= ${LIMIT_BYTES}`),
        );
    });

    it("leaves a streaming pipeline's slot alone", async () => {
        await admin.query(`UPDATE ${TABLE} SET balance = balance + 1 WHERE id % 10 = 0`);
        const [equal] = await waitUntilEqual(pipeline, admin, sink, [TABLE], "streaming under the guard");
        assert.deepEqual(equal.mismatches, []);
        assert.equal(equal.adxRows, 300);
        // Run now as pg_cron runs it every minute: it drops nothing.
        assert.equal((await admin.query(`SELECT ${names.walGuard.functionName}() AS outcome`)).rows[0].outcome, "within the limit");
        assert.deepEqual(await guardLog(), []);
    });

    it("drops a slot that retains more WAL than the limit, status names the drop, and the re-read brings ADX back to the source, deletes made meanwhile included", async () => {
        const { op } = changeMetadataColumns(sink.models[0].described.columns.map((c) => c.name));
        const ingested = () => pipeline.adx.ingested.get(sink.models[0].names.changes) ?? [];
        await startEarlyInMinute();
        // Paused: the task stays connected (the slot is active) but confirms nothing, so its WAL accumulates.
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/pause`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
        await new Promise((r) => setTimeout(r, 3000));
        await admin.query(`DELETE FROM ${TABLE} WHERE id BETWEEN 1 AND 40`);
        await admin.query(`UPDATE ${TABLE} SET owner = owner || ' (moved)', balance = balance * 2 WHERE id BETWEEN 41 AND 80`);
        await admin.query(`INSERT INTO ${TABLE} (id, owner, balance) SELECT g, 'late ' || g, g FROM generate_series(301, 330) g`);
        // WAL the pipeline does not capture: a bulk load into another table.
        await admin.query("CREATE TABLE app.bulk_import AS SELECT g, repeat(md5(g::text), 12) AS payload FROM generate_series(1, 100000) g");
        const retained = await readSlotHealth(admin, names.slotName);
        assert.ok((retained.retainedBytes ?? 0) > LIMIT_BYTES, `the slot retains ${retained.retainedBytes} bytes, more than the limit`);
        assert.equal(retained.active, true, "the paused task still holds the slot: the guard has to end its consumer");
        const readsBefore = ingested().filter((r) => r.row[op.column] === "r").length;

        // pg_cron runs the guard within a minute.
        const [drop] = await pollUntil({
            attempt: async () => {
                const log = await guardLog();
                return log.length ? log : undefined;
            },
            timeoutMs: 150_000,
            intervalMs: 2000,
            timeoutError: () => new Error("the WAL guard did not drop the slot within 150 s"),
        });
        assert.ok(Number(drop.retained_bytes) > LIMIT_BYTES);
        assert.equal(Number(drop.limit_bytes), LIMIT_BYTES);
        const slot = await readSlotHealth(admin, names.slotName, names.walGuard.logTable);
        assert.equal(slot.exists, false, "the slot is gone");
        const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot });
        process.stderr.write(`e2e: status says: ${problems.join(" | ")}\n`);
        assert.match(
            problems.join("\n"),
            /replication slot debezium_guarded was dropped by the WAL guard at .* \(it retained [\d.]+ MiB of WAL, limit 22\.9 MiB\).*re-reads every captured table/,
        );

        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/resume`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
        const [equal] = await waitUntilEqual(pipeline, admin, sink, [TABLE], "after the WAL guard's drop", 180_000);
        assert.deepEqual(equal.mismatches, []);
        assert.equal(equal.sourceRows, 290);
        assert.equal(equal.adxRows, 290, "the 40 rows deleted while the slot was gone are not in the current state");
        const reread = ingested().filter((r) => r.row[op.column] === "r").length - readsBefore;
        assert.ok(reread >= 290, `Debezium re-read the table (${reread} snapshot reads)`);
        assert.equal((await readSlotHealth(admin, names.slotName)).exists, true, "Debezium created its slot again");
        // The re-read's fence outlives the change rows: aged out, the 40 keys deleted while the slot was gone stay hidden.
        assert.ok(pipeline.adx.expireRows(adxNamesFor(TABLE).changes, () => true) > 0);
        const [aged] = await waitUntilEqual(pipeline, admin, sink, [TABLE], "after the change rows aged out");
        assert.deepEqual(aged.mismatches, []);
        assert.equal(aged.adxRows, 290);
        // And streaming goes on from the new slot.
        await admin.query(`UPDATE ${TABLE} SET balance = 0 WHERE id = 300`);
        const [after] = await waitUntilEqual(pipeline, admin, sink, [TABLE], "streaming after the re-read");
        assert.deepEqual(after.mismatches, []);
    });

    it("drops a slot PostgreSQL invalidated (a DBA's max_slot_wal_keep_size, wal_status lost): Debezium cannot stream from it again; after the drop it re-reads, and ADX equals the source", async () => {
        const { op } = changeMetadataColumns(sink.models[0].described.columns.map((c) => c.name));
        const ingested = () => pipeline.adx.ingested.get(sink.models[0].names.changes) ?? [];
        // Azure's server parameter max_slot_wal_keep_size, set by the cluster's superuser (Azure), below the guard's limit.
        const superuser = await sessionAs(pipeline, pipeline.postgres.superuser);
        try {
            await startEarlyInMinute();
            await superuser.query("ALTER SYSTEM SET max_slot_wal_keep_size = '16MB'");
            await superuser.query("SELECT pg_reload_conf()");
            await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/pause`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
            await new Promise((r) => setTimeout(r, 3000));
            await admin.query(`DELETE FROM ${TABLE} WHERE id BETWEEN 81 AND 100`);
            await admin.query(`UPDATE ${TABLE} SET owner = owner || ' (lost)' WHERE id BETWEEN 101 AND 120`);
            await admin.query(`INSERT INTO ${TABLE} (id, owner, balance) SELECT g, 'after the loss ' || g, g FROM generate_series(331, 350) g`);
            await admin.query("CREATE TABLE app.bulk_import_lost AS SELECT g, repeat(md5(g::text), 12) AS payload FROM generate_series(1, 100000) g");
            // A checkpoint removes the WAL segments past the cap, and with them the slot's: PostgreSQL invalidates it.
            let walStatus: string | undefined;
            await pollUntil({
                attempt: async () => {
                    await superuser.query("CHECKPOINT");
                    walStatus = (await readSlotHealth(admin, names.slotName)).walStatus;
                    return walStatus === "lost" ? true : undefined;
                },
                timeoutMs: 30_000,
                intervalMs: 1000,
                timeoutError: () => new Error(`the slot was not invalidated (wal_status ${walStatus})`),
            });
            const lost = await readSlotHealth(admin, names.slotName, names.walGuard.logTable);
            const before = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: lost });
            assert.ok(
                before.some((p) => /^replication slot debezium_guarded was invalidated by PostgreSQL \(wal_status lost.*The WAL guard drops it at its next run/.test(p)),
                before.join(" | "),
            );
            const readsBefore = ingested().filter((r) => r.row[op.column] === "r").length;
            // The guard's run, as pg_cron runs it every minute (the case above waits for pg_cron itself): it drops the slot
            // although the slot retains nothing it can measure (no restart_lsn).
            assert.equal((await admin.query(`SELECT ${names.walGuard.functionName}() AS outcome`)).rows[0].outcome, "dropped: invalidated (wal_removed)");
            const { rows } = await admin.query(`SELECT outcome, invalidated FROM ${names.walGuard.logTable} ORDER BY dropped_at DESC LIMIT 1`);
            assert.deepEqual(rows, [{ outcome: "dropped", invalidated: "wal_removed" }]);
            const dropped = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: await readSlotHealth(admin, names.slotName, names.walGuard.logTable) });
            assert.ok(
                dropped.some((p) => /dropped by the WAL guard at .* \(PostgreSQL had invalidated it: wal_removed/.test(p)),
                dropped.join(" | "),
            );
            await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/resume`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
            await superuser.query("ALTER SYSTEM RESET max_slot_wal_keep_size");
            await superuser.query("SELECT pg_reload_conf()");

            // Debezium finds its slot gone, creates it again and re-reads (left with the lost slot, it retries for good while
            // Connect shows it RUNNING: 40 changes short after 100 s, measured with the guard unscheduled).
            const [equal] = await waitUntilEqual(pipeline, admin, sink, [TABLE], "after PostgreSQL invalidated the slot", 240_000);
            assert.deepEqual(equal.mismatches, []);
            assert.equal(equal.adxRows, equal.sourceRows);
            assert.equal(equal.sourceRows, 290, "the 20 rows deleted while the slot was lost are not in the current state");
            const reread = ingested().filter((r) => r.row[op.column] === "r").length - readsBefore;
            assert.ok(reread >= 290, `Debezium re-read the table (${reread} snapshot reads)`);
            const slot = await readSlotHealth(admin, names.slotName);
            assert.equal(slot.exists && slot.walStatus !== "lost", true, "a new, valid slot");
        } finally {
            await superuser.query("ALTER SYSTEM RESET max_slot_wal_keep_size").catch(() => undefined);
            await superuser.query("SELECT pg_reload_conf()").catch(() => undefined);
            await superuser.end();
        }
    });

    it("a guard that cannot act is not silent: its failure is logged and status names it", async () => {
        // The guard run by a role with neither the replication user's privileges nor REPLICATION (what
        // pulumi up grants the admin): it cannot end the slot's consumer, nor drop the slot.
        await admin.query(`CREATE ROLE guard_without_replication; GRANT USAGE ON SCHEMA cdc_meta TO guard_without_replication;
            GRANT INSERT ON ${names.walGuard.logTable} TO guard_without_replication; GRANT EXECUTE ON FUNCTION ${names.walGuard.functionName}() TO guard_without_replication`);
        // Over the limit again: Connect paused, WAL written.
        await startEarlyInMinute();
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/pause`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
        await admin.query("CREATE TABLE app.bulk_import_2 AS SELECT g, repeat(md5(g::text), 12) AS payload FROM generate_series(1, 100000) g");
        await admin.query("SET ROLE guard_without_replication");
        const outcome = (await admin.query(`SELECT ${names.walGuard.functionName}() AS outcome`)).rows[0].outcome;
        await admin.query("RESET ROLE");
        assert.match(outcome, /^failed: must be a member of the role whose process is being terminated or member of pg_signal_backend$/);
        const slot = await readSlotHealth(admin, names.slotName, names.walGuard.logTable);
        const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot });
        assert.ok(
            problems.some((p) => /^the WAL guard failed at .* \(must be a member of the role whose process is being terminated .*\): it cannot protect the source/.test(p)),
            problems.join(" | "),
        );
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${connectorName}/resume`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
    });

    it("is unscheduled and removed with the stack", async () => {
        await connectRequest(pipeline.connectUrl, "DELETE", `/connectors/${connectorName}`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
        await sourceBootstrapProvider.delete!("bootstrap", capture.bootstrapInputs);
        const cron = await cronDatabase();
        try {
            assert.deepEqual((await cron.query("SELECT jobname FROM cron.job")).rows, []);
        } finally {
            await cron.end();
        }
        assert.equal((await admin.query("SELECT to_regproc($1) AS f, to_regclass($2) AS t", [names.walGuard.functionName, names.walGuard.logTable])).rows[0].f, null);
    });
});
