// reconcile on the real pipeline (PostgreSQL → Debezium → Kafka → the real Kusto sink → the ADX test
// double, which evaluates the KQL reconcile sends): equal after a workload, with every bucket's
// digest equal on both sides (the type table's canonical forms agree for every type these tables
// hold); drift injected into ADX's change tables found down to the key and the column; `reconcile
// --repair` (the CLI, as an operator runs it) re-reads exactly those keys and the next run is equal;
// and a run during a load (up to 500 changes/s) reports no drift. A fenced re-read (snapshot --replace)
// queued behind a repair's filtered read of the same table: the filtered read's end applies no fence, so
// the current state keeps every row until the re-read's own end.
// PostgreSQL 16 with the admin on Azure's terms (NOSUPERUSER, local/azureLikePostgres.ts).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { pollUntil } from "../../runtime/pollUntil";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient } from "../../local/capturedSource";
import { KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { waitUntilEqual as waitUntilEqualToSource } from "./harness/sourceComparison";
import { bootstrapCapture } from "./harness/capturedTables";
import { localOperationsOutputs } from "./harness/operationsOutputs";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";
import { OperationsOutputs } from "../../contract/stackOutputs";
import { TableReconcile } from "../../operations/reconcileTable";
import { localReconcile, LocalReconcile } from "./harness/localReconcile";
import { runOperatorCli } from "./harness/operatorCli";
import { executeSnapshotSignal } from "../../postgres/incrementalSnapshot";
import { writeTableFences } from "../../postgres/tableFence";
import { topicForTable } from "../../connectors/debeziumSource";
import { REREAD_FIELD, TRUNCATE_OP } from "../../contract/recordFields";

const PREFIX = "reconcile";
const ORDERS = "shop.orders";
const LINES = 'shop."Line Items"';
const TABLES = [ORDERS, LINES];

let pipeline: LocalPipeline;
let admin: Client;
let reconciler: LocalReconcile;
let sink: KustoSinkDeployment;
let outputs: OperationsOutputs;
let outputsFile: string;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline({ azureLikePostgres: true });
    admin = await adminClient(pipeline);
    await admin.query("CREATE SCHEMA shop");
    // One column of most types the type table maps, so every canonical form meets the double's KQL.
    await admin.query(
        `CREATE TABLE ${ORDERS} (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), placed_at timestamptz, day date, at_time time, flag boolean, ratio double precision, ` +
            `small real, tags text[], doc jsonb, uid uuid, pic bytea, took interval, code char(4), big numeric)`,
    );
    await admin.query(`CREATE TABLE ${LINES} ("Order" integer, "Line" integer, sku text NOT NULL, qty integer, PRIMARY KEY ("Order", "Line"))`);
    await admin.query(
        `INSERT INTO ${ORDERS} SELECT g, 'customer ' || g, g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes 1.5 seconds', date '2020-01-01' + g, ` +
            `time '00:00:00' + g * interval '1.25 seconds', g % 2 = 0, g / 7.0, g / 3.0, ARRAY['a' || g, NULL, 'b, c'], jsonb_build_object('n', g, 'k', ARRAY[1, 2]), ` +
            `md5(g::text)::uuid, decode(md5(g::text), 'hex'), g * interval '1 day 2 hours', 'c' || (g % 10), g * 1000000000000.5 FROM generate_series(1, 3000) g`,
    );
    await admin.query(`INSERT INTO ${ORDERS} (id, customer) VALUES (0, '')`);
    await admin.query(`INSERT INTO ${LINES} SELECT g / 4, g % 4, 'sku-' || g, g FROM generate_series(1, 800) g`);
    const capture = await bootstrapCapture(pipeline, { prefix: PREFIX, tables: TABLES, scramSalt: "cmVjb25jaWxlLXNhbHQtMTI=" });
    ({ sink } = await capture.start());
    outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [ORDERS, LINES] });
    outputsFile = path.join(pipeline.workDir, "operations-outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify({ operations: outputs }));
    reconciler = await localReconcile(pipeline, outputs);
});

after(async () => {
    await reconciler?.close().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await pipeline?.stop();
    process.stderr.write(`e2e: reconcile.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

async function reconcileAll(): Promise<TableReconcile[]> {
    return reconciler.run("reconcile.test");
}

function runReconcileCli(args: string[]) {
    return runOperatorCli(pipeline, outputsFile, "reconcile", args, 240_000);
}

/** The ADX double's stored change rows of a table (what the sink ingested), to alter on purpose. */
function changeRows(table: string) {
    return pipeline.adx.ingested.get(adxNamesFor(table).changes)!;
}

function removeKey(table: string, matches: (row: Record<string, unknown>) => boolean): number {
    const rows = changeRows(table);
    let removed = 0;
    for (let i = rows.length - 1; i >= 0; i--) if (matches(rows[i].row)) (rows.splice(i, 1), removed++);
    return removed;
}

describe("reconcile: ADX's current state against PostgreSQL, per table", () => {
    it("after the snapshot and a workload: equal, every bucket's digest the same on both sides (no row read one by one)", async () => {
        await admin.query(`UPDATE ${ORDERS} SET amount = amount + 1, doc = doc || '{"edited": true}', tags = NULL WHERE id % 5 = 0`);
        await admin.query(`DELETE FROM ${ORDERS} WHERE id % 11 = 0`);
        await admin.query(
            `INSERT INTO ${ORDERS} (id, customer, placed_at, day) VALUES (100001, 'BC', '0044-03-15 12:00:00+00 BC', 'infinity'), (100002, 'late', 'infinity', '9999-12-31')`,
        );
        await admin.query(`UPDATE ${LINES} SET qty = qty * 2 WHERE "Line" = 1`);
        await admin.query(`DELETE FROM ${LINES} WHERE "Order" % 9 = 0`);
        const compared = await waitUntilEqualToSource(pipeline, admin, sink, TABLES, "workload");
        assert.deepEqual(
            compared.flatMap((r) => r.mismatches),
            [],
        );
        const results = await reconcileAll();
        for (const r of results) {
            assert.equal(r.equal, true, `${r.table} equal`);
            assert.equal(r.sourceRows, r.adxRows, r.table);
            assert.equal(r.bucketsDiffering, 0, `${r.table}: the canonical texts agree, so no bucket is read row by row`);
        }
    });

    it("finds drift injected into ADX down to the key and the column: change rows deleted, a value altered, a key gone, a key PostgreSQL deleted", async () => {
        const { op } = changeMetadataColumns([]);
        assert.ok(removeKey(ORDERS, (r) => String(r.id) === "10") > 0);
        const latest20 = changeRows(ORDERS)
            .filter((r) => String(r.row.id) === "20")
            .at(-1)!;
        latest20.row.customer = "someone else";
        assert.ok(removeKey(LINES, (r) => String(r.Order) === "7" && String(r.Line) === "2") > 0);
        // A delete event that never arrived: ADX still shows key 22, which PostgreSQL deleted (22 % 11 = 0).
        const deleted22 = changeRows(ORDERS).filter((r) => String(r.row.id) === "22");
        assert.ok(deleted22.length > 0);
        removeKey(ORDERS, (r) => String(r.id) === "22" && r[op.column] === "d");
        const results = await reconcileAll();
        const orders = results.find((r) => r.table === ORDERS)!;
        const lines = results.find((r) => r.table === LINES)!;
        assert.equal(orders.equal, false);
        assert.deepEqual(
            orders.differences.map((d) => ({ key: d.key, kind: d.kind, columns: d.columns.map((c) => c.column) })).sort((a, b) => Number(a.key.id) - Number(b.key.id)),
            [
                { key: { id: "10" }, kind: "missing", columns: [] },
                { key: { id: "20" }, kind: "values", columns: ["customer"] },
                { key: { id: "22" }, kind: "extra", columns: [] },
            ],
        );
        const altered = orders.differences.find((d) => d.kind === "values")!.columns[0];
        assert.deepEqual(altered, { column: "customer", source: "customer 20", adx: "someone else" });
        assert.deepEqual(
            lines.differences.map((d) => ({ key: d.key, kind: d.kind })),
            [{ key: { Order: "7", Line: "2" }, kind: "missing" }],
        );
        // Only the buckets holding the three keys are read row by row (each round, both sides).
        assert.ok(orders.bucketsDiffering <= 3, `${orders.bucketsDiffering} of ${orders.buckets} buckets differed`);
    });

    it("reconcile --repair (the CLI) re-reads exactly the drifted keys PostgreSQL holds and replays the lost delete; the next reconcile is equal", async () => {
        const repair = await runReconcileCli(["--repair", "--json"]);
        assert.equal(repair.code, 0, repair.stdout + repair.stderr);
        const report = JSON.parse(repair.stdout);
        assert.deepEqual(report.repaired, {
            reread: [
                { table: ORDERS, keys: 2 },
                { table: LINES, keys: 1 },
            ],
            deletesReplayed: [{ table: ORDERS, keys: 1 }],
        });
        for (const t of report.tables as TableReconcile[]) assert.deepEqual(t.differences, [], t.table);
        // The replayed delete is a change like Debezium's: op "d", the key's last values, in the key's partition.
        const { op, kafkaPartition } = changeMetadataColumns([]);
        const rows22 = changeRows(ORDERS).filter((r) => String(r.row.id) === "22");
        const replayed = rows22.at(-1)!.row;
        assert.equal(replayed[op.column], "d");
        assert.equal(String(replayed[kafkaPartition.column]), String(rows22[0].row[kafkaPartition.column]));
        const text = await runReconcileCli([]);
        assert.equal(text.code, 0, text.stdout + text.stderr);
        assert.match(text.stdout, new RegExp(`^${ORDERS.replace(".", "\\.")}: EQUAL`, "m"));
    });

    it("reconcile --record --sample 0.5: half of each table's keys, the result in ADX's cdc_meta_reconcile, and status shows each table's latest", async () => {
        const run = await runReconcileCli(["--record", "--sample", "0.5", "--json"]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const report = JSON.parse(run.stdout);
        for (const t of report.tables as TableReconcile[]) {
            assert.equal(t.coverage.fraction, 0.5);
            assert.equal(t.coverage.hashPrefixes!.length, 8);
            assert.ok(t.sourceRows > 0 && t.sourceRows < (t.table === ORDERS ? 2730 : 709), `${t.table}: about half of the rows compared (${t.sourceRows})`);
        }
        const recorded = pipeline.adx.ingested.get("cdc_meta_reconcile")!.map((r) => r.row);
        assert.deepEqual(recorded.map((r) => [r.source_table, r.verdict, r.coverage]).sort(), [
            [LINES, "equal", 0.5],
            [ORDERS, "equal", 0.5],
        ]);
        const status = await runOperatorCli(pipeline, outputsFile, "status", []);
        assert.match(status.stdout, new RegExp(`^reconcile  ${ORDERS.replace(".", "\\.")}: EQUAL at \\S+ \\(50% of keys\\)$`, "m"), status.stdout);
    });

    it("during a load of up to 500 changes/s: no drift reported (changes in flight settle between rounds)", async () => {
        const writer = await adminClient(pipeline);
        let stop = false;
        let changes = 0;
        const load = (async () => {
            let i = 0;
            while (!stop) {
                const t0 = Date.now();
                const results: any[] = (await writer.query(
                    `BEGIN; UPDATE ${ORDERS} SET amount = amount + 1, customer = 'load ' || ${i} WHERE id IN (SELECT (1 + (${i} * 10 + g) % 2900) FROM generate_series(0, 11) g); ` +
                        `INSERT INTO ${LINES} VALUES (${10000 + i}, 0, 'load', ${i}); COMMIT`,
                )) as any;
                changes += results.filter((r) => r.command === "UPDATE" || r.command === "INSERT").reduce((n, r) => n + r.rowCount, 0);
                i++;
                await new Promise((r) => setTimeout(r, Math.max(0, 18 - (Date.now() - t0))));
            }
        })();
        const loadStarted = Date.now();
        try {
            await new Promise((r) => setTimeout(r, 2000));
            const changesBefore = changes;
            const results = await reconcileAll();
            const during = changes - changesBefore;
            const rate = Math.round(changes / ((Date.now() - loadStarted) / 1000));
            process.stderr.write(`e2e: reconcile under load: ${rate} changes/s, ${during} changes committed while reconcile ran\n`);
            // What this proves is concurrency, not speed (a slow machine runs the load slower): changes kept being
            // committed throughout the rounds. Speed lives in `npm run bench`.
            assert.ok(during >= 1000, `only ${during} changes were committed while reconcile ran`);
            for (const r of results) assert.deepEqual(r.differences, [], `${r.table}: no drift under load`);
        } finally {
            stop = true;
            await load;
            await writer.end();
        }
    });

    it("array values with more dimensions or other bounds than their column declares arrive as PostgreSQL's text and are found equal (before, each sub-array's text, and the elements without their bounds, reported as drift); capture goes on", async () => {
        const rowsOf = (id: string) => changeRows(ORDERS).filter((r) => String(r.row.id) === id).length;
        const before = { "5": rowsOf("5"), "6": rowsOf("6"), "7": rowsOf("7") };
        await admin.query(`UPDATE ${ORDERS} SET tags = '{{a,b},{c,NULL}}' WHERE id = 5`);
        await admin.query(`UPDATE ${ORDERS} SET tags = '[0:1]={x,y}' WHERE id = 6`);
        // A change after them still arrives: neither value stops the source task.
        await admin.query(`UPDATE ${ORDERS} SET customer = 'after the odd arrays' WHERE id = 7`);
        await pollUntil({
            attempt: async () => (Object.entries(before).every(([id, n]) => rowsOf(id) > n) ? true : undefined),
            timeoutMs: 90_000,
            intervalMs: 500,
            timeoutError: () =>
                new Error(
                    `the three changes did not all arrive (change rows now ${JSON.stringify({ 5: rowsOf("5"), 6: rowsOf("6"), 7: rowsOf("7") })}, before ${JSON.stringify(before)})`,
                ),
        });
        const orders = (await reconcileAll()).find((r) => r.table === ORDERS)!;
        const differences = orders.differences
            .map((d) => ({ key: d.key, kind: d.kind, columns: d.columns.map((c) => c.column) }))
            .sort((a, b) => Number(a.key.id) - Number(b.key.id));
        assert.deepEqual(differences, [], "reconcile reads each text back as the column's type");
        // The whole value as PostgreSQL writes it, a string in the dynamic column (Debezium alone wrote Java object names, or the elements without their bounds).
        const latestTags = (id: string) =>
            changeRows(ORDERS)
                .filter((r) => String(r.row.id) === id)
                .at(-1)!.row.tags;
        assert.deepEqual([latestTags("5"), latestTags("6")], ["{{a,b},{c,NULL}}", "[0:1]={x,y}"]);
    });

    it("a fenced re-read queued behind a repair's filtered read of the same table: the filtered read's end applies no fence; the current state keeps every row until the re-read's own end, then hides the gone key", async () => {
        await waitUntilEqualToSource(pipeline, admin, sink, [ORDERS], "before the fenced re-read");
        const { op, lsn, emissionStamp, record } = changeMetadataColumns([]);
        const currentName = sink.models.find((m) => m.table === ORDERS)!.names.currentState;
        const current = () => pipeline.adx.currentState(currentName, { stored: true });
        // A key only ADX holds (its row left PostgreSQL without a change event): the fence's whole re-read must hide it.
        const ghost = structuredClone(
            changeRows(ORDERS)
                .filter((r) => String(r.row.id) === "1")
                .at(-1)!,
        );
        ghost.row.id = 900001;
        changeRows(ORDERS).push(ghost);
        const sourceRows = Number((await admin.query(`SELECT count(*) AS n FROM ${ORDERS}`)).rows[0].n);
        assert.equal(current().length, sourceRows + 1);
        const signalTable = outputs.postgres.signalTable!;
        const insert = (signal: { id: string; type: string; data: string }) => ({
            text: `INSERT INTO ${signalTable} (id, type, data) VALUES ($1, $2, $3)`,
            values: [signal.id, signal.type, signal.data],
        });
        // reconcile --repair's filtered read (every other key) and snapshot --replace's fenced whole re-read, in one
        // transaction after the fence: Debezium queues both, the filtered read first, and every read and end follows the fence.
        const filtered = executeSnapshotSignal([ORDERS], new Date(), { [ORDERS]: "id % 2 = 0" });
        const whole = executeSnapshotSignal([ORDERS], new Date());
        // The end rows ADX holds that follow the fence (by emission stamp), once the fence is there.
        const endsAfterFence = () => {
            const rows = changeRows(ORDERS).map((r) => r.row);
            const fence = rows.find((r) => r[op.column] === TRUNCATE_OP && (r[record.column] as any)?.[REREAD_FIELD] === whole.id);
            if (!fence) return 0;
            return rows.filter(
                (r) =>
                    r[op.column] === TRUNCATE_OP &&
                    (r[lsn.column] === null || r[lsn.column] === undefined) &&
                    BigInt(r[emissionStamp.column] as bigint) > BigInt(fence[emissionStamp.column] as bigint),
            ).length;
        };
        // Sampled every 50 ms: the current state's rows, and how many ends after the fence ADX held then.
        let sampling = true;
        const samples: { at: number; rows: number; ends: number }[] = [];
        const sampler = (async () => {
            while (sampling) {
                samples.push({ at: Date.now(), rows: current().length, ends: endsAfterFence() });
                await new Promise((r) => setTimeout(r, 50));
            }
        })();
        await writeTableFences(admin, { [ORDERS]: topicForTable(PREFIX, ORDERS) }, () => whole.id, [insert(filtered), insert(whole)]);
        try {
            await pollUntil({
                attempt: async () => (current().length === sourceRows ? true : undefined),
                timeoutMs: 120_000,
                intervalMs: 200,
                timeoutError: () => new Error(`the fence's re-read did not end: ${current().length} current rows, ${sourceRows} in PostgreSQL`),
            });
        } finally {
            sampling = false;
            await sampler;
        }
        // Before the last end (the whole re-read's), every row must be there; after it, rows of the other partitions that the
        // sink has not handed to ADX yet are missing for a moment (the end row travels on partition 0).
        const lastEnd = endsAfterFence();
        const before = samples.filter((x) => x.ends < lastEnd);
        const fewestBeforeEnd = Math.min(...before.map((x) => x.rows));
        const after = samples.filter((x) => x.ends === lastEnd);
        const dipMs = after.length && after[0].rows < sourceRows ? (after.find((x) => x.rows >= sourceRows)?.at ?? Date.now()) - after[0].at : 0;
        process.stderr.write(
            `e2e: fenced re-read behind a filtered read: ${lastEnd} end row(s) after the fence; fewest current rows before the last ${fewestBeforeEnd} (PostgreSQL ${sourceRows}, ${before.length} samples); ` +
                `after it, rows of other partitions still in the sink's hands were missing for ${dipMs} ms\n`,
        );
        assert.ok(
            fewestBeforeEnd >= sourceRows,
            `until the re-read's end the current state held every row (fewest ${fewestBeforeEnd}, PostgreSQL ${sourceRows}): no other read's end applied the fence`,
        );
        assert.equal(endsAfterFence(), 1, "one end after the fence: the whole re-read's (the filtered read, with the re-read queued after it, ends nothing)");
        assert.equal(current().filter((r) => String(r.id) === "900001").length, 0, "the key PostgreSQL does not hold is hidden");
        const orders = (await reconcileAll()).find((r) => r.table === ORDERS)!;
        assert.deepEqual(orders.differences, []);
    });
});
