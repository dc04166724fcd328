// Schema changes and re-syncs through the real pipeline (PostgreSQL 16 with the admin on Azure's terms, NOSUPERUSER; Debezium, Kafka, the real Kusto
// sink, the ADX double), each step as `pulumi up` would run it (the providers' update paths):
// - a column added while 200 changes/s flow: its values are in ADX (the record column) before the up,
//   and after it a typed column, backfilled; nothing lost;
// - a column dropped and types widened: history intact, current state equals the source; a type Kusto
//   cannot change is refused before anything changes;
// - a table added to the running pipeline: its existing rows arrive by incremental snapshot while the
//   other table keeps streaming;
// - partitions attached with rows, detached and dropped (no change event for any): pulumi up reads the new
//   partitions' rows, and fences and re-reads a table that lost one; status names a removed one meanwhile;
// - Connect killed (-9) while the watchdog holds a new sink STOPPED to give its topic first offsets: the
//   restarted worker's watchdog resumes it (Connect keeps a stopped connector stopped); every row arrives;
// - Connect killed (-9) before its first offset flush while rows are deleted: the re-snapshot's rule
//   hides every key deleted meanwhile.
import { after, afterEach, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import { stringify as stringifyLosslessJson } from "lossless-json";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient } from "../../local/capturedSource";
import { ADX_DATABASE, deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { getKustoAccessToken, runKustoCommand } from "../../kql/kustoRestClient";
import { compareWithSource, waitUntilEqual, assertEqualToSource } from "./harness/sourceComparison";
import { readTopic } from "../../local/topicReader";
import { buildDebeziumSourceConfig, topicForTable } from "../../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { capturedTableShapes, incrementalSnapshotProvider } from "../../postgres/incrementalSnapshot";
import { buildScramSha256Verifier } from "../../postgres/scramVerifier";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { planPipeline } from "../../plan/pipelinePlan";
import { sourceConnectorInput } from "../../plan/sourceConnectorInput";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import {
    evaluatePipelineHealth,
    readGoneTables,
    readIncrementalSnapshots,
    readRemovedPartitions,
    readTruncatedPartitions,
    readTruncateTriggerGaps,
} from "../../operations/pipelineHealth";
import { truncationTriggerNames } from "../../postgres/partitionTruncations";
import { localOperationsOutputs } from "./harness/operationsOutputs";
import { KustoRow } from "../../local/doubles/adxIngestionTestDouble";
import { pollUntil } from "../../runtime/pollUntil";
import { connectRequest } from "../../connectors/connectRestClient";
import { REREAD_FIELD, TRUNCATE_OP } from "../../contract/recordFields";

const PREFIX = "schema";
const ORDERS = "shop.orders";
const RETURNS = "shop.returns";
const names = sourceObjectNames(PREFIX);
const SOURCE = `${PREFIX}-postgres-source`;

let pipeline: LocalPipeline;
let admin: Client;
let sink: KustoSinkDeployment;
let bootstrapInputs: any;
let sourceInputs: any;
let snapshotInputs: any;
const started = Date.now();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const changeRows = (table: string): KustoRow[] => (pipeline.adx.ingested.get(adxNamesFor(table).changes) ?? []).map((r) => r.row);

/**
 * A re-read fence names its re-read's signal, and Debezium's end of that read (a TRUNCATE row without an LSN, from
 * the stack's transform) reached ADX after it: what made the fence hide the rows the re-read did not find.
 */
function assertRereadEnded(table: string, fence: KustoRow): void {
    const { op, lsn, emissionStamp, record } = changeMetadataColumns(["id"]);
    const signal = (fence[record.column] as any)?.[REREAD_FIELD];
    assert.match(String(signal), /^pg-adx-cdc-/, "the fence names its re-read's signal");
    const ends = changeRows(table).filter(
        (r) => r[op.column] === TRUNCATE_OP && r[lsn.column] === null && BigInt(r[emissionStamp.column] as bigint) > BigInt(fence[emissionStamp.column] as bigint),
    );
    assert.ok(ends.length > 0, `the re-read's end follows the fence of ${table}`);
}

function bootstrapFor(prefix: string, tables: string[]) {
    const n = sourceObjectNames(prefix);
    return {
        connection: pipeline.adminConnection,
        bootstrap: {
            tables,
            publicationName: n.publicationName,
            heartbeatTable: n.heartbeatTable,
            signalTable: n.signalTable,
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "c2NoZW1hLXNhbHQtMTIzNA=="),
        },
        slotName: n.slotName,
        timeoutSeconds: 60,
    };
}

function sourceConnectorFor(prefix: string, tables: string[]) {
    const plan = planPipeline({ topicPrefix: prefix, tables });
    return {
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName: plan.connectors.source,
        timeoutSeconds: 120,
        config: buildDebeziumSourceConfig(sourceConnectorInput(plan, [], pipeline.sourceDeployment)),
    };
}

const QUICK = { deadlineMs: 5_000, initialDelayMs: 50, maxDelayMs: 500 };
const connectEndpoint = () => ({ url: pipeline.connectUrl, credentials: pipeline.connectCredentials });

async function connectorState(connector: string): Promise<{ state?: string; tasks: { state: string }[] }> {
    const r = await connectRequest(connectEndpoint(), "GET", `/connectors/${connector}/status`, undefined, QUICK);
    return r.status === 200 ? { state: r.data.connector?.state, tasks: r.data.tasks ?? [] } : { tasks: [] };
}

/** Until the sink has a committed offset for each partition of `topic` (the watchdog's first offsets) and runs again. */
async function waitForFirstOffsets(connector: string, topic: string, partitions: number): Promise<void> {
    let last = "";
    await pollUntil({
        attempt: async () => {
            const r = await connectRequest(connectEndpoint(), "GET", `/connectors/${connector}/offsets`, undefined, QUICK);
            const have = new Set((r.data?.offsets ?? []).filter((o: any) => o.partition?.kafka_topic === topic).map((o: any) => o.partition.kafka_partition));
            const s = await connectorState(connector);
            last = `${have.size} of ${partitions} partitions with an offset, connector ${s.state}, tasks ${s.tasks.map((t) => t.state).join(",")}`;
            return have.size === partitions && s.state === "RUNNING" && s.tasks.length > 0 && s.tasks.every((t) => t.state === "RUNNING") ? true : undefined;
        },
        timeoutMs: 90_000,
        intervalMs: 250,
        timeoutError: () => new Error(`the sink ${connector} did not get its first offsets on ${topic}: ${last}`),
    });
}

/**
 * About `rate` changes a second on the orders table from its own connection: 3 in 10 inserts, 6
 * updates, 1 delete. With `channel` on, every insert and update also writes a channel value, and
 * each (id, value) written is remembered so that the test can count what ADX lost.
 */
/** Workloads still running: a test that fails before finishing its own does not leave it writing into the next. */
const runningWorkloads: { stop: boolean }[] = [];
afterEach(() => {
    for (const w of runningWorkloads.splice(0)) w.stop = true;
});

function startOrdersWorkload(client: Client, rate = 200) {
    const state = { stop: false, made: 0, channel: false, written: [] as { id: string; channel: string }[], failures: [] as string[] };
    runningWorkloads.push(state);
    const ids: string[] = [];
    const loop = (async () => {
        const { rows } = await client.query(`SELECT id::text FROM ${ORDERS}`);
        ids.push(...rows.map((r) => r.id));
        const perTick = Math.max(1, Math.round(rate / 20));
        for (let n = 0; !state.stop;) {
            const tick = Date.now();
            for (let i = 0; i < perTick; i++, n++) {
                const channel = state.channel ? `ch-${n}` : undefined;
                try {
                    if (n % 10 < 3 || ids.length < 10) {
                        const { rows: inserted } = await client.query(
                            `INSERT INTO ${ORDERS} (qty, label, price${channel ? ", channel" : ""}) VALUES ($1, $2, $3${channel ? ", $4" : ""}) RETURNING id::text`,
                            [n % 97, `l${n}`, (n % 1000) / 4, ...(channel ? [channel] : [])],
                        );
                        ids.push(inserted[0].id);
                        if (channel) state.written.push({ id: inserted[0].id, channel });
                    } else if (n % 10 < 9) {
                        const id = ids[n % ids.length];
                        const { rowCount } = await client.query(`UPDATE ${ORDERS} SET qty = qty + 1, price = price + 0.25${channel ? ", channel = $2" : ""} WHERE id = $1`, [
                            id,
                            ...(channel ? [channel] : []),
                        ]);
                        if (channel && rowCount) state.written.push({ id, channel });
                    } else {
                        const [id] = ids.splice(n % ids.length, 1);
                        await client.query(`DELETE FROM ${ORDERS} WHERE id = $1`, [id]);
                    }
                    state.made++;
                } catch (error: any) {
                    state.failures.push(error.message);
                }
            }
            await sleep(Math.max(0, 50 - (Date.now() - tick)));
        }
    })();
    return Object.assign(state, {
        async finish() {
            state.stop = true;
            await loop;
            assert.deepEqual(state.failures.slice(0, 3), [], "the workload's statements all succeeded");
        },
    });
}

before(async () => {
    pipeline = await startLocalPipeline({ azureLikePostgres: true });
    admin = await adminClient(pipeline);
    await admin.query("CREATE SCHEMA shop");
    await admin.query(`CREATE TABLE ${ORDERS} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, qty integer NOT NULL, label varchar(20), price numeric(10,2), note text)`);
    await admin.query(`INSERT INTO ${ORDERS} (qty, label, price, note) SELECT g, 'l' || g, g / 4.0, 'note ' || g FROM generate_series(1, 200) g`);
    // Not captured at first: it joins a running pipeline in the third test, with these rows already in it.
    await admin.query(`CREATE TABLE ${RETURNS} (id int PRIMARY KEY, order_id bigint NOT NULL, reason text)`);
    await admin.query(`INSERT INTO ${RETURNS} SELECT g, g % 200 + 1, 'reason ' || g FROM generate_series(1, 3000) g`);
    bootstrapInputs = bootstrapFor(PREFIX, [ORDERS]);
    await sourceBootstrapProvider.create!(bootstrapInputs);
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [ORDERS], heartbeat: true });
    sourceInputs = sourceConnectorFor(PREFIX, [ORDERS]);
    await kafkaConnectorProvider.create!(sourceInputs);
    snapshotInputs = {
        connection: pipeline.adminConnection,
        signalTable: names.signalTable,
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName: SOURCE,
        tables: [ORDERS],
        ...columnsOf(sink),
        adxTableGenerations: sink.adxTableGenerations(),
        topicPrefix: PREFIX,
        timeoutSeconds: 120,
    };
    await incrementalSnapshotProvider.create!(snapshotInputs);
    const [first] = await waitUntilEqual(pipeline, admin, sink, [ORDERS], "snapshot");
    assert.equal(first.mismatches.length + Math.abs(first.adxRows - first.sourceRows), 0);
});

after(async () => {
    await admin?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: schemaChanges.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

function assertEqual(results: Awaited<ReturnType<typeof waitUntilEqual>>) {
    assertEqualToSource(results);
}

/**
 * `pulumi up` of the snapshot resource with what the stack passes it now (the catalog's shapes, the ADX
 * tables' generations): whether its inputs changed, and the tables each signal it sent reads again.
 */
/**
 * pulumi up after a column of a new type: the ADX model, and the source connector's config from the catalog (its
 * converter learns the type), before the snapshot resource's re-read.
 */
async function redeployModelAndSource(): Promise<void> {
    await sink.redeploy([ORDERS, RETURNS]);
    const nextSource = {
        ...sourceInputs,
        config: buildDebeziumSourceConfig(
            sourceConnectorInput(
                planPipeline({ topicPrefix: PREFIX, tables: [ORDERS, RETURNS] }),
                sink.models.map((m) => m.described),
                pipeline.sourceDeployment,
            ),
        ),
    };
    await kafkaConnectorProvider.update!(SOURCE, sourceInputs, nextSource);
    sourceInputs = nextSource;
}

async function snapshotResourceUp(tables: string[] = snapshotInputs.tables): Promise<{ changed: boolean; reread: string[][] }> {
    const next = { ...snapshotInputs, tables, ...columnsOf(sink), adxTableGenerations: sink.adxTableGenerations() };
    const changed = !!(await incrementalSnapshotProvider.diff!("snapshot", snapshotInputs, next)).changes;
    const { outs } = await incrementalSnapshotProvider.update!("snapshot", { ...snapshotInputs, signals: [] }, next);
    snapshotInputs = next;
    return { changed, reread: outs.signals.map((s: any) => s.tables) };
}

/** Each captured table's column names and types as the sink's catalog read has them (what the stack passes the snapshot resource). */
function columnsOf(deployment: KustoSinkDeployment) {
    return capturedTableShapes(
        deployment.models.map((m) => m.described),
        deployment.models.map((m) => m.table).filter((t) => !t.startsWith("cdc_meta.")),
    );
}

describe("schema changes and re-syncs lose nothing", () => {
    it("a column added under 200 changes/s: in ADX's record column before pulumi up, a typed column backfilled after it, nothing lost", async () => {
        const writer = await adminClient(pipeline);
        const workload = startOrdersWorkload(writer, 200);
        await sleep(2000);
        await admin.query(`ALTER TABLE ${ORDERS} ADD COLUMN channel text`);
        workload.channel = true;
        await sleep(4000);
        // Before pulumi up: the model has no channel column; every value written so far is in the record column.
        const writtenBeforeUp = workload.written.slice();
        const recordKey = (r: KustoRow) => `${r.id}/${(r.record as any)?.channel ?? ""}`;
        let missingBeforeUp: string[] = [];
        await pollUntil({
            attempt: async () => {
                const inRecords = new Set(changeRows(ORDERS).map(recordKey));
                missingBeforeUp = writtenBeforeUp.map((w) => `${w.id}/${w.channel}`).filter((k) => !inRecords.has(k));
                return missingBeforeUp.length ? undefined : true;
            },
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () =>
                new Error(`channel values not queryable in ADX before pulumi up within 60 s (${missingBeforeUp.length}, e.g. ${missingBeforeUp.slice(0, 5).join(", ")})`),
        });
        assert.ok(!changeRows(ORDERS).some((r) => "channel" in r), "no typed channel column before the up");
        assert.deepEqual(missingBeforeUp.slice(0, 5), [], `channel values not queryable in ADX before pulumi up (${missingBeforeUp.length})`);

        // pulumi up (after refresh): the catalog has channel; the model gains a typed column, backfilled.
        const upAt = Date.now();
        await sink.redeploy([ORDERS]);
        process.stderr.write(`e2e: model update with backfill applied in ${Date.now() - upAt} ms\n`);
        await sleep(3000);
        await workload.finish();
        const results = await waitUntilEqual(pipeline, admin, sink, [ORDERS], "after adding a column");
        assertEqual(results);

        const rows = changeRows(ORDERS);
        const unfilled = rows.filter((r) => (r.record as any)?.channel != null && r.channel !== String((r.record as any).channel));
        const typed = new Set(rows.map((r) => `${r.id}/${r.channel ?? ""}`));
        const lost = workload.written.filter((w) => !typed.has(`${w.id}/${w.channel}`));
        process.stderr.write(
            `e2e: added column: ${workload.made} changes made (${workload.written.length} channel values written, ${writtenBeforeUp.length} before the up), ` +
                `${rows.length} change rows in ADX, ${results[0].duplicates} duplicates, ${unfilled.length} rows not backfilled, ${lost.length} channel values lost\n`,
        );
        // Storage the lossless record adds, on the raw JSON (before ADX's per-column compression).
        const columns = sink.models.find((m) => m.table === ORDERS)!.described.columns.map((c) => c.name);
        const recordBytes = rows.reduce((n, r) => n + Buffer.byteLength(stringifyLosslessJson(r.record) ?? ""), 0);
        const typedBytes = rows.reduce((n, r) => n + Buffer.byteLength(stringifyLosslessJson(columns.map((c) => r[c] ?? null)) ?? ""), 0);
        process.stderr.write(`e2e: record column: ${recordBytes} bytes of JSON vs ${typedBytes} for the typed columns (ratio ${(recordBytes / typedBytes).toFixed(2)})\n`);
        assert.equal(unfilled.length, 0, "every change row's typed channel equals its record's");
        assert.equal(lost.length, 0, "every channel value written is in the typed column");
        // The current-state function (over the query endpoint) types and shows the new column.
        const current = await sink.currentRows(ORDERS);
        const { rows: withChannel } = await admin.query(`SELECT count(*)::int AS n FROM ${ORDERS} WHERE channel IS NOT NULL`);
        assert.equal(current.filter((r) => typeof r.channel === "string" && r.channel !== "").length, withChannel[0].n);
        await writer.end();
    });

    it("a column dropped and types widened: history intact, current state equals the source; a type Kusto cannot change is refused", async () => {
        const notesBefore = changeRows(ORDERS).filter((r) => typeof r.note === "string" && r.note !== "").length;
        assert.ok(notesBefore > 0);
        await admin.query(`ALTER TABLE ${ORDERS} DROP COLUMN note, ALTER COLUMN qty TYPE bigint, ALTER COLUMN label TYPE varchar(200), ALTER COLUMN price TYPE numeric(14,2)`);
        // Values only the widened types hold (with headroom: the workload later adds 0.25 to prices).
        await admin.query(`UPDATE ${ORDERS} SET qty = 3000000000 + id, label = repeat('w', 150), price = 123456789012.25 WHERE id % 5 = 0`);
        await admin.query(`INSERT INTO ${ORDERS} (qty, label, price) VALUES (9000000000000000000, repeat('z', 200), 999999999000.00)`);
        await sink.redeploy([ORDERS]);
        const results = await waitUntilEqual(pipeline, admin, sink, [ORDERS], "after drop and widen");
        assertEqual(results);
        const rows = changeRows(ORDERS);
        assert.equal(rows.filter((r) => typeof r.note === "string" && r.note !== "").length, notesBefore, "the dropped column's history is intact");
        assert.match(pipeline.adx.tables.get(adxNamesFor(ORDERS).changes)!, /note:string/, "the change table keeps the dropped column");
        assert.ok(!("note" in (await sink.currentRows(ORDERS))[0]), "the current state no longer shows it");

        // numeric(14,2) → numeric: Kusto's decimal column would have to become string. Refused, nothing changed.
        await admin.query(`ALTER TABLE ${ORDERS} ALTER COLUMN price TYPE numeric`);
        const commandsBefore = pipeline.adx.commands.length;
        await assert.rejects(sink.redeploy([ORDERS]), /column price is decimal, the model now makes it string.*Nothing was changed/s);
        assert.ok(
            pipeline.adx.commands.slice(commandsBefore).every((c) => c.csl.startsWith(".show")),
            "only reads before the refusal",
        );
        await admin.query(`ALTER TABLE ${ORDERS} ALTER COLUMN price TYPE numeric(14,2)`);
        await sink.redeploy([ORDERS]);
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS], "after reverting the refused type"));
    });

    it("a table added to the running pipeline: its existing rows arrive by incremental snapshot while the other table keeps streaming", async () => {
        // The snapshot resource as the earlier pulumi ups left it (they recorded the columns then; the re-read a
        // new column triggers is the rename test's subject).
        snapshotInputs = { ...snapshotInputs, ...columnsOf(sink), adxTableGenerations: sink.adxTableGenerations() };
        const writer = await adminClient(pipeline);
        const workload = startOrdersWorkload(writer, 100);
        await sleep(1000);
        // pulumi up with capture.tables + shop.returns, in the engine's order: bootstrap (publication), catalog and
        // ADX model, sink, source connector, then the incremental snapshot signal.
        const nextBootstrap = bootstrapFor(PREFIX, [ORDERS, RETURNS]);
        await sourceBootstrapProvider.update!("bootstrap", bootstrapInputs, nextBootstrap);
        bootstrapInputs = nextBootstrap;
        await sink.redeploy([ORDERS, RETURNS]);
        const nextSource = sourceConnectorFor(PREFIX, [ORDERS, RETURNS]);
        await kafkaConnectorProvider.update!(SOURCE, sourceInputs, nextSource);
        sourceInputs = nextSource;
        // Changes to the new table while its snapshot runs: the incremental snapshot must not resurrect or stale them.
        await admin.query(`UPDATE ${RETURNS} SET reason = 'changed during snapshot' WHERE id % 7 = 0`);
        const ordersBefore = changeRows(ORDERS).length;
        const nextSnapshot = { ...snapshotInputs, tables: [ORDERS, RETURNS], ...columnsOf(sink), adxTableGenerations: sink.adxTableGenerations() };
        const signalAt = Date.now();
        const { outs } = await incrementalSnapshotProvider.update!("snapshot", { ...snapshotInputs, signals: [] }, nextSnapshot);
        snapshotInputs = nextSnapshot;
        assert.deepEqual(
            outs.signals.map((s: any) => s.tables),
            [[RETURNS]],
        );
        await admin.query(`DELETE FROM ${RETURNS} WHERE id % 11 = 0`);
        await admin.query(`INSERT INTO ${RETURNS} SELECT g, 1, 'late ' || g FROM generate_series(3001, 3050) g`);
        const progress = await readIncrementalSnapshots(admin, names.signalTable, pipeline.connectUrl, SOURCE);
        assert.deepEqual(
            progress.signals.map((s) => s.tables),
            [[RETURNS]],
        );
        // The snapshot is done when ADX holds every row of the new table.
        const done = await waitUntilEqual(pipeline, admin, sink, [RETURNS], "incremental snapshot", 180_000);
        const snapshotMs = Date.now() - signalAt;
        const ordersDuring = changeRows(ORDERS).length - ordersBefore;
        await workload.finish();
        const results = await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after adding a table");
        const reads = changeRows(RETURNS).filter((r) => r.snapshot === "incremental").length;
        const after = await readIncrementalSnapshots(admin, names.signalTable, pipeline.connectUrl, SOURCE);
        process.stderr.write(
            `e2e: added table: ${done[0].sourceRows} rows of ${RETURNS} in ADX ${snapshotMs} ms after the signal (${reads} incremental snapshot reads, ` +
                `${after.chunksRead} chunks); ${ordersDuring} ${ORDERS} change rows arrived meanwhile; in progress now: ${JSON.stringify(after.inProgress)}\n`,
        );
        assertEqual(results);
        assert.ok(reads > 0, "rows arrived as incremental snapshot reads");
        assert.ok(ordersDuring > 0, "the other table kept streaming during the snapshot");
        await writer.end();
    });

    it("RENAME COLUMN under load: pulumi up re-reads the table by itself, and rows unchanged since the rename show the value under the new name", async () => {
        const writer = await adminClient(pipeline);
        const workload = startOrdersWorkload(writer, 100);
        await admin.query(`ALTER TABLE ${RETURNS} RENAME COLUMN reason TO return_reason`);
        await admin.query(`UPDATE ${RETURNS} SET return_reason = 'changed after the rename' WHERE id % 5 = 0`);
        // pulumi refresh + up: the catalog read again, the model with the new column, then the snapshot resource sees the new name.
        await sink.redeploy([ORDERS, RETURNS]);
        const { changed, reread } = await snapshotResourceUp();
        assert.equal(changed, true);
        assert.deepEqual(reread, [[RETURNS]], "only the table with a new column name is read again");
        await workload.finish();
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after a column rename", 180_000));
        await writer.end();
    });

    it("ALTER COLUMN ... TYPE ... USING rewrites every row and publishes no change: pulumi up re-reads the table by itself, and the current state equals the source", async () => {
        // A rewrite that changes every value (as a cents migration or a time-zone fix does), not one row's change event.
        await admin.query(`ALTER TABLE ${RETURNS} ALTER COLUMN return_reason TYPE varchar(500) USING upper(return_reason)`);
        await sink.redeploy([ORDERS, RETURNS]);
        assert.deepEqual((await snapshotResourceUp()).reread, [[RETURNS]], "only the table whose column type changed is read again");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after a type change that rewrote every value", 180_000));
    });

    it("an ADX table dropped by hand: pulumi refresh + up create it again and read its PostgreSQL table again by themselves; the current state equals the source", async () => {
        const names = adxNamesFor(RETURNS);
        const token = await getKustoAccessToken(pipeline.adx.url);
        // As an operator would in the web UI: the view that reads the table, then the table with its rows.
        await runKustoCommand(pipeline.adx.url, ADX_DATABASE, `.drop materialized-view ${names.latest} ifexists`, token);
        await runKustoCommand(pipeline.adx.url, ADX_DATABASE, `.drop table ${names.changes} ifexists`, token);
        const before = sink.adxTableGenerations();
        await sink.redeploy([ORDERS, RETURNS]);
        const after = sink.adxTableGenerations();
        assert.notEqual(after[RETURNS], before[RETURNS], "the provider created the table again and says so");
        assert.equal(after[ORDERS], before[ORDERS]);
        assert.deepEqual((await snapshotResourceUp()).reread, [[RETURNS]], "only the table whose ADX table is new is read again");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after the ADX table was created again", 180_000));
    });

    it("a table replaced under its name (a reload by swap) under load: status names it; pulumi refresh + up fence the replaced rows and read the new table; the current state equals the source", async () => {
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [ORDERS, RETURNS] });
        assert.deepEqual((await readGoneTables(admin, outputs)).unpublished, []);
        const writer = await adminClient(pipeline);
        const workload = startOrdersWorkload(writer, 100);
        // The new table: a third of the rows gone, others changed, new ones; swapped in under the name, the old one dropped.
        await admin.query(`CREATE TABLE shop.returns_new (LIKE ${RETURNS} INCLUDING ALL)`);
        await admin.query(`INSERT INTO shop.returns_new SELECT id, order_id, CASE WHEN id % 4 = 0 THEN 'reloaded' ELSE return_reason END FROM ${RETURNS} WHERE id % 3 <> 0`);
        await admin.query(`INSERT INTO shop.returns_new SELECT g, 7, 'new in the reload ' || g FROM generate_series(5001, 5100) g`);
        await admin.query(`BEGIN; ALTER TABLE ${RETURNS} RENAME TO returns_old; ALTER TABLE shop.returns_new RENAME TO returns; DROP TABLE shop.returns_old; COMMIT`);
        // The application writes the new table before anyone runs pulumi up: none of it streams (it is in no publication).
        await admin.query(`UPDATE ${RETURNS} SET return_reason = 'changed after the swap' WHERE id % 10 = 1`);
        await admin.query(`DELETE FROM ${RETURNS} WHERE id % 10 = 2`);
        const gone = await readGoneTables(admin, outputs);
        assert.deepEqual(gone, { missing: [], uncapturedPublished: [], unpublished: [RETURNS], unlogged: [] });
        const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], goneTables: gone }).join("\n");
        assert.match(
            problems,
            /CAPTURED TABLE REPLACED: shop\.returns was dropped and created again under its name since the last pulumi up.*Repair: pulumi refresh, then pulumi up/,
        );

        // pulumi refresh: the bootstrap reads the publication (without the table) and the catalog the new relation; pulumi up applies both.
        const refreshed = await sourceBootstrapProvider.read!("bootstrap", bootstrapInputs);
        assert.deepEqual(refreshed.props.bootstrap.tables, [ORDERS], "the refresh shows the table gone from the publication");
        assert.equal((await sourceBootstrapProvider.diff!("bootstrap", refreshed.props, bootstrapInputs)).changes, true);
        await sourceBootstrapProvider.update!("bootstrap", refreshed.props, bootstrapInputs);
        assert.deepEqual((await readGoneTables(admin, outputs)).unpublished, [RETURNS], "published again, and still named until the stack has read the new relation");
        await sink.redeploy([ORDERS, RETURNS]);
        const afterUp = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [ORDERS, RETURNS] });
        assert.deepEqual((await readGoneTables(admin, afterUp)).unpublished, [], "the stack's outputs now hold the new relation");
        const before = snapshotInputs.tableRelations[RETURNS];
        const { changed, reread } = await snapshotResourceUp();
        assert.equal(changed, true, "the preview shows the snapshot resource changed, so pulumi up runs its update");
        assert.notEqual(snapshotInputs.tableRelations[RETURNS], before, "the catalog read another relation");
        assert.deepEqual(reread, [[RETURNS]], "only the replaced table is read again");
        await admin.query(`UPDATE ${RETURNS} SET return_reason = 'changed after the up' WHERE id % 10 = 3`);
        await workload.finish();
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after the table was replaced", 180_000));
        const { op, lsn } = changeMetadataColumns(["id"]);
        const fences = changeRows(RETURNS).filter((r) => r[op.column] === "t" && r[lsn.column] !== null);
        assert.equal(fences.length, 1, "one fence, in the replaced table's change stream");
        assert.ok(Number(fences[0][lsn.column]) > 0, "at its position in the stream");
        assertRereadEnded(RETURNS, fences[0]);
        assert.equal((await snapshotResourceUp()).reread.length, 0, "the next pulumi up reads nothing again");
        await writer.end();
    });

    it("an enum label renamed (ALTER TYPE ... RENAME VALUE) changes every row holding it with no change event: pulumi up re-reads the table; the current state equals the source", async () => {
        await admin.query(`CREATE TYPE shop.return_kind AS ENUM ('refund', 'exchange')`);
        await admin.query(`ALTER TABLE ${RETURNS} ADD COLUMN kind shop.return_kind, ADD COLUMN kinds shop.return_kind[]`);
        await admin.query(
            `UPDATE ${RETURNS} SET kind = CASE WHEN id % 2 = 0 THEN 'refund' ELSE 'exchange' END::shop.return_kind, kinds = ARRAY['refund', NULL]::shop.return_kind[] WHERE id % 3 = 0`,
        );
        await redeployModelAndSource();
        assert.deepEqual((await snapshotResourceUp()).reread, [[RETURNS]], "the new columns' table is read once");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "with an enum column", 180_000));
        await admin.query(`ALTER TYPE shop.return_kind ADD VALUE 'store credit'`);
        await sink.redeploy([ORDERS, RETURNS]);
        assert.deepEqual((await snapshotResourceUp()).reread, [], "a label added changes no row: nothing read again");
        await admin.query(`ALTER TYPE shop.return_kind RENAME VALUE 'refund' TO 'money back'`);
        await sink.redeploy([ORDERS, RETURNS]);
        const relabeled = await snapshotResourceUp();
        assert.equal(relabeled.changed, true, "the preview shows the snapshot resource changed, so pulumi up runs its update");
        assert.deepEqual(relabeled.reread, [[RETURNS]], "only the table whose enum label was renamed is read again");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after an enum label was renamed", 180_000));
    });

    it("an attribute added to a composite type (ALTER TYPE ... ADD ATTRIBUTE) changes every value of it with no change event: pulumi up re-reads the table; the current state equals the source", async () => {
        await admin.query(`CREATE TYPE shop.parcel AS (carrier text, grams integer)`);
        await admin.query(`ALTER TABLE ${RETURNS} ADD COLUMN parcel shop.parcel, ADD COLUMN parcels shop.parcel[]`);
        await admin.query(`UPDATE ${RETURNS} SET parcel = ROW('post', id)::shop.parcel, parcels = ARRAY[ROW('dhl', 5)::shop.parcel, NULL] WHERE id % 4 = 0`);
        await redeployModelAndSource();
        assert.deepEqual((await snapshotResourceUp()).reread, [[RETURNS]], "the new columns' table is read once");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "with a composite column", 180_000));
        const {
            rows: [{ before }],
        } = await admin.query(`SELECT parcel::text AS before FROM ${RETURNS} WHERE id % 4 = 0 ORDER BY id LIMIT 1`);
        await admin.query(`ALTER TYPE shop.parcel ADD ATTRIBUTE insured boolean`);
        const {
            rows: [{ after }],
        } = await admin.query(`SELECT parcel::text AS after FROM ${RETURNS} WHERE id % 4 = 0 ORDER BY id LIMIT 1`);
        assert.equal(after, `${before.slice(0, -1)},)`, "every value's text changed, and nothing was published");
        const stale = await compareWithSource(pipeline, admin, sink, RETURNS);
        const holding = Number((await admin.query(`SELECT count(*)::int AS n FROM ${RETURNS} WHERE id % 4 = 0`)).rows[0].n);
        assert.equal(stale.mismatches.length, holding, `before pulumi up, every row holding a parcel differs: ${stale.mismatches.slice(0, 2).join("; ")}`);
        await sink.redeploy([ORDERS, RETURNS]);
        const reshaped = await snapshotResourceUp();
        assert.equal(reshaped.changed, true, "the preview shows the snapshot resource changed, so pulumi up runs its update");
        assert.deepEqual(reshaped.reread, [[RETURNS]], "only the table whose composite changed is read again");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, RETURNS], "after an attribute was added to a composite type", 180_000));
        await admin.query(`ALTER TABLE ${RETURNS} DROP COLUMN parcel, DROP COLUMN parcels`);
        await admin.query(`DROP TYPE shop.parcel`);
        await sink.redeploy([ORDERS, RETURNS]);
        assert.deepEqual((await snapshotResourceUp()).reread, [], "columns dropped: nothing read again");
    });

    it("partitions attached, detached, dropped and truncated alone under load publish no change: pulumi up reads an attached partition's rows (and gives it its replica identity and TRUNCATE trigger); status names a removed or truncated one, and pulumi up fences and re-reads its table; the current state equals the source", async () => {
        const EVENTS = "shop.events";
        const tables = [ORDERS, RETURNS, EVENTS];
        await admin.query(`CREATE TABLE ${EVENTS} (id bigint NOT NULL, day date NOT NULL, note text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)`);
        for (const year of [2024, 2025, 2026]) {
            await admin.query(`CREATE TABLE shop.events_${year} PARTITION OF ${EVENTS} FOR VALUES FROM ('${year}-01-01') TO ('${year + 1}-01-01')`);
            await admin.query(`INSERT INTO ${EVENTS} SELECT g, '${year}-01-01'::date + g % 365, 'event ' || g FROM generate_series(${year * 1000}, ${year * 1000 + 299}) g`);
        }
        // pulumi up with the partitioned table captured (bootstrap, model and sink, source connector, then its first read).
        // As the engine runs it: the bootstrap's update only when its inputs changed (the first time here), so what a
        // partition new since needs (its replica identity, the TRUNCATE trigger) comes from the snapshot resource.
        const up = async () => {
            const nextBootstrap = bootstrapFor(PREFIX, tables);
            if ((await sourceBootstrapProvider.diff!("bootstrap", bootstrapInputs, nextBootstrap)).changes)
                await sourceBootstrapProvider.update!("bootstrap", bootstrapInputs, nextBootstrap);
            bootstrapInputs = nextBootstrap;
            await sink.redeploy(tables);
            const nextSource = {
                ...sourceInputs,
                config: buildDebeziumSourceConfig(
                    sourceConnectorInput(
                        planPipeline({ topicPrefix: PREFIX, tables }),
                        sink.models.map((m) => m.described),
                        pipeline.sourceDeployment,
                    ),
                ),
            };
            await kafkaConnectorProvider.update!(SOURCE, sourceInputs, nextSource);
            sourceInputs = nextSource;
            return snapshotResourceUp(tables);
        };
        const writer = await adminClient(pipeline);
        const workload = startOrdersWorkload(writer, 100);
        assert.deepEqual((await up()).reread, [[EVENTS]], "the table that joined capture is read");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [EVENTS], "the partitioned table captured", 180_000));

        // A table loaded apart and attached with its rows (none of them streams), and a partition created under capture (its rows stream).
        await admin.query(`CREATE TABLE shop.events_2027 (LIKE ${EVENTS} INCLUDING DEFAULTS)`);
        await admin.query(`INSERT INTO shop.events_2027 SELECT g, '2027-01-01'::date + g % 365, 'loaded apart ' || g FROM generate_series(2027000, 2027199) g`);
        await admin.query(`ALTER TABLE ${EVENTS} ATTACH PARTITION shop.events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')`);
        await admin.query(`CREATE TABLE shop.events_2028 PARTITION OF ${EVENTS} FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')`);
        await admin.query(`INSERT INTO ${EVENTS} SELECT g, '2028-01-01'::date + g % 365, 'streamed ' || g FROM generate_series(2028000, 2028049) g`);
        await admin.query(`UPDATE ${EVENTS} SET note = 'changed after the attach' WHERE id % 10 = 1`);
        // 200 attached rows, 20 of them changed since (those changes stream whole).
        const beforeAttachUp = await compareWithSource(pipeline, admin, sink, EVENTS);
        assert.ok(
            beforeAttachUp.sourceRows - beforeAttachUp.adxRows >= 180,
            `before pulumi up the attached partition's unchanged rows are not in ADX (${beforeAttachUp.sourceRows} vs ${beforeAttachUp.adxRows})`,
        );
        assert.deepEqual(
            await readTruncateTriggerGaps(admin, [EVENTS], names.publicationName),
            [{ table: EVENTS, relations: ["shop.events_2027", "shop.events_2028"] }],
            "status knows the new partitions lack the TRUNCATE trigger",
        );
        const attached = await up();
        assert.deepEqual(await readTruncateTriggerGaps(admin, [EVENTS], names.publicationName), [], "pulumi up gave them the trigger");
        assert.equal(attached.changed, true, "the preview shows the snapshot resource changed (its recorded partitions)");
        assert.deepEqual(attached.reread, [[EVENTS]]);
        const { rows: identities } = await admin.query(
            `SELECT c.oid::regclass::text AS rel, c.relreplident AS ri FROM pg_class c WHERE c.oid IN ('shop.events_2027'::regclass, 'shop.events_2028'::regclass) ORDER BY 1`,
        );
        assert.deepEqual(
            identities,
            [
                { rel: "shop.events_2027", ri: "f" },
                { rel: "shop.events_2028", ri: "f" },
            ],
            "pulumi up sets the new partitions' replica identity (the snapshot resource does: the bootstrap's inputs did not change)",
        );
        const { rows: signals } = await admin.query(`SELECT data FROM ${names.signalTable} WHERE type = 'execute-snapshot' ORDER BY id DESC LIMIT 1`);
        const conditions = JSON.parse(signals[0].data)["additional-conditions"];
        assert.equal(conditions?.length, 1, "only the new partitions are read");
        const { rows: newPartitions } = await admin.query(
            `SELECT array_agg(oid::text ORDER BY oid) AS oids FROM pg_class WHERE oid IN ('shop.events_2027'::regclass, 'shop.events_2028'::regclass)`,
        );
        assert.equal(conditions[0].filter, `tableoid IN (${newPartitions[0].oids.join(", ")})`);
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [EVENTS], "after a partition was attached with rows", 180_000));

        // Retention as pg_partman runs it: the oldest partition detached (kept apart), the next dropped; the application writes on.
        await admin.query(`ALTER TABLE ${EVENTS} DETACH PARTITION shop.events_2024`);
        await admin.query(`DROP TABLE shop.events_2025`);
        await admin.query(`UPDATE ${EVENTS} SET note = 'changed after the drop' WHERE id % 10 = 2`);
        await admin.query(`DELETE FROM ${EVENTS} WHERE id % 10 = 3`);
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables });
        const removed = await readRemovedPartitions(admin, outputs);
        assert.deepEqual(removed, [{ table: EVENTS, partitions: ["shop.events_2024", "shop.events_2025"] }]);
        assert.match(
            evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], removedPartitions: removed }).join("\n"),
            /PARTITION REMOVED: shop\.events_2024, shop\.events_2025 of shop\.events detached or dropped since the last pulumi up/,
        );
        // 600 rows left with the two partitions; a delete still on its way only adds to ADX's count.
        const beforeDropUp = await compareWithSource(pipeline, admin, sink, EVENTS);
        assert.ok(
            beforeDropUp.adxRows - beforeDropUp.sourceRows >= 600,
            `without the repair ADX keeps the removed partitions' rows (${beforeDropUp.adxRows} vs ${beforeDropUp.sourceRows})`,
        );
        const dropped = await up();
        assert.equal(dropped.changed, true);
        assert.deepEqual(dropped.reread, [[EVENTS]]);
        await workload.finish();
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, EVENTS], "after partitions were detached and dropped", 180_000));
        // One fence: the sink's at-least-once redeliveries repeat its Kafka position, a second fence would have its own.
        const { op, lsn, kafkaPartition, kafkaOffset } = changeMetadataColumns(["id"]);
        const fenceRows = changeRows(EVENTS).filter((r) => r[op.column] === "t" && r[lsn.column] !== null);
        const fences = new Set(fenceRows.map((r) => `${r[kafkaPartition.column]}/${r[kafkaOffset.column]}`));
        assert.equal(fences.size, 1, "one fence, in the table's change stream");
        assertRereadEnded(EVENTS, fenceRows[0]);
        assert.deepEqual(await readRemovedPartitions(admin, localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables })), [], "status is clean after the up");
        assert.deepEqual((await snapshotResourceUp()).reread, [], "the next pulumi up reads nothing again");

        // A partition truncated alone (retention by TRUNCATE) while the application writes on: PostgreSQL publishes no
        // TRUNCATE of a partition through its root, so only the stack's trigger tells of it.
        const { triggerName } = truncationTriggerNames(names.publicationName);
        const { rows: untriggered } = await admin.query(
            `SELECT t.relid::regclass::text AS rel FROM pg_partition_tree($1::regclass) t WHERE NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname = $2)`,
            [EVENTS, triggerName],
        );
        assert.deepEqual(untriggered, [], "every relation of the captured table has the stack's TRUNCATE trigger, the attached and created partitions too");
        const truncatedRows = Number((await admin.query(`SELECT count(*) AS n FROM shop.events_2026`)).rows[0].n);
        assert.ok(truncatedRows > 0);
        const appWrites = startOrdersWorkload(writer, 100);
        await admin.query(`TRUNCATE shop.events_2026`);
        await admin.query(`INSERT INTO ${EVENTS} SELECT g, '2026-06-01'::date, 'after the truncate ' || g FROM generate_series(2026500, 2026519) g`);
        await admin.query(`UPDATE ${EVENTS} SET note = 'changed after the truncate' WHERE id % 10 = 4`);
        const truncatedNow = await readTruncatedPartitions(admin, localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables }));
        assert.deepEqual(
            truncatedNow.map((t) => ({ table: t.table, partitions: t.partitions })),
            [{ table: EVENTS, partitions: ["shop.events_2026"] }],
        );
        assert.match(
            evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], truncatedPartitions: truncatedNow }).join("\n"),
            /PARTITION TRUNCATED: shop\.events_2026 of shop\.events truncated alone since the last pulumi up/,
        );
        const beforeTruncateUp = await compareWithSource(pipeline, admin, sink, EVENTS);
        assert.ok(
            beforeTruncateUp.adxRows - beforeTruncateUp.sourceRows >= truncatedRows - 20,
            `without the repair ADX keeps the truncated partition's rows (${beforeTruncateUp.adxRows} vs ${beforeTruncateUp.sourceRows}, ${truncatedRows} truncated)`,
        );
        const afterTruncate = await up();
        assert.equal(afterTruncate.changed, true, "the preview shows the snapshot resource changed (the partition's recorded identity)");
        assert.deepEqual(afterTruncate.reread, [[EVENTS]]);
        await appWrites.finish();
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [ORDERS, EVENTS], "after a partition was truncated alone", 180_000));
        assert.deepEqual(await readTruncatedPartitions(admin, localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables })), [], "status is clean after the up");

        // A TRUNCATE of the partitioned table itself is published (and fires the partitions' triggers in the same
        // transaction): nothing to report or re-read, and ADX's current state holds none of its rows.
        await admin.query(`TRUNCATE ${EVENTS}`);
        await admin.query(`INSERT INTO ${EVENTS} SELECT g, '2026-07-01'::date, 'after the root truncate ' || g FROM generate_series(2026600, 2026609) g`);
        assert.deepEqual(await readTruncatedPartitions(admin, localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables })), []);
        assert.deepEqual((await up()).reread, [], "a published TRUNCATE is not read again");
        assertEqual(await waitUntilEqual(pipeline, admin, sink, [EVENTS], "after the partitioned table was truncated", 180_000));
        await writer.end();
    });

    it("Connect killed (-9) while the watchdog holds a new sink STOPPED to give its topic first offsets: the restarted worker's watchdog resumes it, every row arrives", async () => {
        const prefix = "seedkill";
        const arrivals = "shop.arrivals";
        const sinkName = `${prefix}-adx-sink`;
        const topic = topicForTable(prefix, arrivals);
        await admin.query(`CREATE TABLE ${arrivals} (id int PRIMARY KEY, note text NOT NULL)`);
        await admin.query(`INSERT INTO ${arrivals} SELECT g, 'before' FROM generate_series(1, 300) g`);
        await sourceBootstrapProvider.create!(bootstrapFor(prefix, [arrivals]));
        const seedSink = await deployKustoSink(pipeline, { topicPrefix: prefix, tables: [arrivals], connectorName: sinkName });
        // The sink runs on a topic that does not exist yet. Watched closely from here: once the topic exists, its tasks
        // fail without an offset (auto.offset.reset=none) and the watchdog stops the connector to give them offset 0.
        let watching = true;
        const stoppedSeen = (async () => {
            while (watching) {
                if ((await connectorState(sinkName).catch(() => ({ state: undefined }))).state === "STOPPED") return true;
                await sleep(20);
            }
            return false;
        })();
        const reader = await readTopic(pipeline.kafka, topic, pipeline.tablePartitions);
        const timeout = setTimeout(() => (watching = false), 60_000);
        assert.equal(await stoppedSeen, true, "the watchdog stopped the sink to give the new topic its first offsets");
        clearTimeout(timeout);
        // The worker dies between the watchdog's stop and its resume; Connect keeps the STOPPED target state in its config topic.
        await pipeline.restartConnect(true);
        const afterRestart = Date.now();
        await kafkaConnectorProvider.create!(sourceConnectorFor(prefix, [arrivals]));
        await admin.query(`INSERT INTO ${arrivals} SELECT g, 'streamed' FROM generate_series(301, 400) g`);
        await admin.query(`UPDATE ${arrivals} SET note = 'updated' WHERE id % 7 = 0`);
        await admin.query(`DELETE FROM ${arrivals} WHERE id % 11 = 0`);
        const [equal] = await waitUntilEqual(pipeline, admin, seedSink, [arrivals], "after kill -9 during the watchdog's seeding", 180_000);
        await reader.stop();
        const watchdog = await connectRequest(connectEndpoint(), "GET", "/pg-adx-cdc/watchdog", undefined, QUICK);
        const resumed = (watchdog.data?.resumedAfterSeeding ?? []).filter((e: any) => e.connector === sinkName);
        process.stderr.write(
            `e2e: sink killed mid-seeding: resumed by the watchdog ${JSON.stringify(resumed)}; equal ${Math.round((Date.now() - afterRestart) / 1000)} s after the restart\n`,
        );
        // Without the watchdog's resume: 0 rows in ADX, the sink STOPPED for good (as CI once found it, kill -9 landing mid-seeding).
        assert.deepEqual(equal.mismatches, []);
        assert.equal(equal.adxRows, equal.sourceRows);
        assert.equal(resumed.length, 1, "the restarted worker's watchdog resumed the sink its killed predecessor had stopped");
        // As sets: every key made reached ADX, each with its latest change.
        const { op } = changeMetadataColumns(["id", "note"]);
        const delivered = new Set(changeRows(arrivals).map((r) => `${r.id}:${r[op.column] === "d" ? "deleted" : r.note}`));
        for (let id = 1; id <= 400; id++) {
            const latest = id % 11 === 0 ? "deleted" : id % 7 === 0 ? "updated" : id > 300 ? "streamed" : "before";
            assert.ok(delivered.has(`${id}:${latest}`), `key ${id}'s change (${latest}) reached ADX`);
        }
        assert.equal((await connectorState(sinkName)).state, "RUNNING");
    });

    it("Connect killed (-9) before the first offset flush while rows are deleted: after recovery no deleted row is live in ADX", async () => {
        // A second pipeline on the same cluster (its own slot, publication, topics and sink) whose source
        // connector is new, so its first offset flush (offset.flush.interval.ms = 5 s) is still ahead.
        const prefix = "resnap";
        const tickets = "shop.tickets";
        await admin.query(`CREATE TABLE ${tickets} (id int PRIMARY KEY, status text NOT NULL)`);
        await admin.query(`INSERT INTO ${tickets} SELECT g, 'open' FROM generate_series(1, 2000) g`);
        await sourceBootstrapProvider.create!(bootstrapFor(prefix, [tickets]));
        const resnapSink = await deployKustoSink(pipeline, { topicPrefix: prefix, tables: [tickets], connectorName: `${prefix}-adx-sink` });
        const reader = await readTopic(pipeline.kafka, topicForTable(prefix, tickets), pipeline.tablePartitions);
        // The new topic's first offsets (the watchdog stops and resumes the sink) before the source starts: a rebalance
        // then would delay the source's start past the snapshot's end, and the kill below past its first offset flush.
        await waitForFirstOffsets(`${prefix}-adx-sink`, topicForTable(prefix, tickets), pipeline.tablePartitions);
        const deleter = await adminClient(pipeline);
        let deleting = true;
        let deletes = 0;
        const deletions = (async () => {
            for (let id = 1; deleting && id <= 2000; id += 3) {
                await deleter.query(`DELETE FROM ${tickets} WHERE id = $1`, [id]);
                deletes++;
                await sleep(20);
            }
        })();
        await kafkaConnectorProvider.create!(sourceConnectorFor(prefix, [tickets]));
        const createdAt = Date.now();
        await reader.waitFor("the snapshot's last record", (records) => records.some((r) => /^last/.test(r.value?.__source_snapshot ?? "")), 60_000);
        const killedAfterMs = Date.now() - createdAt;
        // Deletes go on while the worker is down and restarting.
        await pipeline.restartConnect(true);
        await sleep(3000);
        deleting = false;
        await deletions;
        await deleter.end();
        const results = await waitUntilEqual(pipeline, admin, resnapSink, [tickets], "after kill -9 and re-snapshot", 180_000);
        await reader.stop();

        const rows = changeRows(tickets);
        const { lsn, op, snapshot } = changeMetadataColumns(["id", "status"]);
        const fullSnapshots = new Set(rows.filter((r) => /^last/.test(String(r[snapshot.column]))).map((r) => String(r[lsn.column])));
        // Keys whose latest change is not a delete but that PostgreSQL no longer has: live without the snapshot rule.
        const latest = new Map<string, KustoRow>();
        for (const r of rows)
            if (!latest.has(String(r.id)) || BigInt(r[lsn.column] as bigint) >= BigInt(latest.get(String(r.id))![lsn.column] as bigint)) latest.set(String(r.id), r);
        const { rows: present } = await admin.query(`SELECT id FROM ${tickets}`);
        const presentIds = new Set(present.map((r) => String(r.id)));
        const hiddenByRule = [...latest.values()].filter((r) => r[op.column] !== "d" && !presentIds.has(String(r.id))).length;
        const lostRows = [...presentIds].filter((id) => !latest.has(id)).length;
        process.stderr.write(
            `e2e: kill -9 ${killedAfterMs} ms after the connector started: ${deletes} deletes made, ${fullSnapshots.size} full snapshots, ` +
                `${hiddenByRule} deleted keys without a delete event hidden by the snapshot rule, ${results[0].duplicates} duplicates, ${lostRows} rows lost\n`,
        );
        assert.equal(fullSnapshots.size, 2, "the connector snapshotted again: the kill came before its first offset flush");
        assert.ok(hiddenByRule > 0, "the hole existed: deletes made before the re-snapshot never reached ADX as delete events");
        assertEqual(results);
        assert.equal(lostRows, 0);
        const direct = await compareWithSource(pipeline, admin, resnapSink, tickets);
        assert.equal(direct.adxRows, direct.sourceRows);
    });
});
