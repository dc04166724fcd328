// Faults under a continuous workload, one at a time, then recovery (real processes, the real Kusto
// sink delivering into the ADX test double): kill -9 of the Connect worker in the middle of a fenced
// re-read of the table (as snapshot --replace starts one: its end must still apply the fence), the broker down ~10 s,
// a PostgreSQL restart, the source connector deleted and recreated with the same name (offsets
// kept); on the sink side ADX down longer than the sink's retry window (shortened to 15 s here; the
// semantics are the production ones) healed by the workers' watchdog, Connect killed -9 while a flush is in ADX's hands, 429/503
// bursts inside the retry window, a batch ADX rejects permanently (replayed after the fix), and a
// record the sink cannot read after a rebalance (dead-lettered). After each, what ADX holds equals the
// source table; changes made / delivered into ADX / duplicated / lost and the time to recover are
// reported per fault.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { adminClient, CapturedSource, setUpCapturedSource } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { connectRequest } from "../../connectors/connectRestClient";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { kqlSchemaProvider } from "../../kql/kqlSchema";
import {
    evaluatePipelineHealth,
    readConnectorHealth,
    readIngestionFailures,
    readTopicOffsets,
    readWatchdog,
    renderHealthReport,
    WatchdogRestart,
} from "../../operations/pipelineHealth";
import { deliveredChanges, ingestedRows as ingestedRowsOf, LEDGER_SQL, ledgerOfChanges, multisetMinus, startWorkload } from "./harness/changeLedger";
import { pollUntil } from "../../runtime/pollUntil";
import { planPipeline } from "../../plan/pipelinePlan";
import { requestIncrementalSnapshot } from "../../postgres/incrementalSnapshot";
import { writeTableFences } from "../../postgres/tableFence";
import { changeMetadataColumns } from "../../kql/adxModel";
import { REREAD_FIELD, TRUNCATE_OP } from "../../contract/recordFields";

const RATE = 200;
const TABLE = "retail.orders_info";
const PREFIX = "faults";
/** The sink's retry window in this test: short, so an outage can outlast it in seconds. */
const SINK_RETRY_WINDOW_MS = 15_000;
let sink: KustoSinkDeployment;
let pipeline: LocalPipeline;
let source: CapturedSource;
const distinctEvents = new Set<string>();
let countedRecords = 0;
const results: Record<string, unknown>[] = [];

async function sourceState(): Promise<string> {
    const { rows } = await source.admin.query(`SELECT orderid::text AS key, custid, amount::text AS amount_text, city FROM retail.orders_info ORDER BY orderid`);
    return JSON.stringify(rows.map((r) => [r.key, r.custid, r.amount_text, r.city]));
}

/** What ADX holds: the current-state function over the rows the real sink delivered into the double. */
async function adxState(): Promise<string> {
    const rows = await sink.currentRows(TABLE);
    return JSON.stringify(rows.sort((a, b) => Number(a.orderid) - Number(b.orderid)).map((r) => [String(r.orderid), r.custid, r.amount, r.city]));
}

function ingestedRows() {
    return ingestedRowsOf(pipeline, sink);
}

async function waitForConvergence(timeoutMs: number): Promise<number> {
    const expected = await sourceState();
    let last = "[]";
    await pollUntil({
        attempt: async () => ((last = await adxState()) === expected ? true : undefined),
        timeoutMs,
        intervalMs: 200,
        timeoutError: () => {
            const want: string[][] = JSON.parse(expected);
            const have: string[][] = JSON.parse(last);
            const haveKeys = new Set(have.map((r) => JSON.stringify(r)));
            const missing = want.filter((r) => !haveKeys.has(JSON.stringify(r)));
            return new Error(
                `what ADX would hold did not converge within ${timeoutMs / 1000} s: source ${want.length} rows, ADX ${have.length} rows, ${missing.length} source rows missing or different, e.g. ${JSON.stringify(missing.slice(0, 3))}; ${source.reader.records.length} records read`,
            );
        },
    });
    return Date.now();
}

/** Runs one fault under load and returns its figures; the set of changes delivered must be the set made. */
async function underFault(name: string, inject: () => Promise<void>): Promise<Record<string, number | string>> {
    const rowsBefore = ingestedRows().length;
    const ledgerBefore = (await ledgerOfChanges(pipeline)).length;
    const distinctBefore = distinctEvents.size;
    const workload = startWorkload(pipeline, RATE);
    // Longer than the worker's offset.flush.interval.ms (5 s): the fault hits a connector that has
    // committed offsets, as in production. (A kill before the very first flush, which makes Debezium
    // re-snapshot, is proven in schemaChanges.test.ts.)
    await new Promise((r) => setTimeout(r, 7000));
    await inject();
    const backAt = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const made = await workload.stop();
    const convergedAt = await waitForConvergence(180_000);
    // Delivered = distinct change events the real sink put into ADX (the double) in this phase.
    const phase = ingestedRows()
        .slice(rowsBefore)
        .map((r) => r.row);
    // Row changes only: snapshot reads, and a fence's or a re-read's end's TRUNCATE row, are no change the workload made.
    for (const r of phase) if (r.op !== "r" && r.op !== TRUNCATE_OP) distinctEvents.add(`${r.orderid}/${r.lsn}/${r.op}`);
    countedRecords = ingestedRows().length;
    const delivered = distinctEvents.size - distinctBefore;
    // Exact, as sets: every committed change (the ledger, since the first fault) against every record delivered.
    const ledger = await ledgerOfChanges(pipeline);
    const everDelivered = deliveredChanges(pipeline, sink);
    const missing = multisetMinus(ledger, everDelivered);
    const extra = multisetMinus(everDelivered, ledger);
    const figures = {
        fault: name,
        made,
        delivered,
        duplicated: phase.length - delivered,
        resnapshotted: phase.filter((r) => r.op === "r").length,
        lost: missing.length,
        ledgerMade: ledger.length,
        ledgerMadeInPhase: ledger.length - ledgerBefore,
        ledgerDelivered: everDelivered.length,
        extra: extra.length,
        examples: JSON.stringify([...missing.slice(0, 3), ...extra.slice(0, 3)]),
        recoverSeconds: Math.round((convergedAt - backAt) / 100) / 10,
    };
    // `made` is the generator's own count; the ledger is the truth (a commit whose answer a fault cut off is in it).
    results.push(figures);
    process.stderr.write(`faults: ${JSON.stringify(figures)}\n`);
    return figures;
}

before(async () => {
    // The watchdog's first restart 5 s after a failure instead of 30 s (its backoff and checks are the stack's).
    pipeline = await startLocalPipeline({ watchdog: { initialBackoffMs: 5000, intervalMs: 2000 } });
    // Rows before the connector starts: the first drill reads the table again while it kills the worker.
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: "faults-source", preexistingRows: 20_000 });
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [TABLE], sink: { retryWindowMs: SINK_RETRY_WINDOW_MS } });
    await source.admin.query(LEDGER_SQL);
});

/** The sink's tasks: one per partition of the table's topic (the stack's partitions), as its config asks. */
function sinkTaskCount(): number {
    return Number(sink.connectorInputs.config["tasks.max"]);
}

function allSinkTasks(state: string): string[] {
    return Array.from({ length: sinkTaskCount() }, () => state);
}

async function sinkTaskStates(): Promise<string[]> {
    const response = await connectRequest(pipeline.connectUrl, "GET", `/connectors/${sink.connectorName}/status`, undefined, {
        deadlineMs: 60_000,
        initialDelayMs: 200,
        maxDelayMs: 2000,
    });
    return response.status === 200 ? response.data.tasks.map((t: any) => t.state) : [];
}

after(async () => {
    if (results.length) process.stderr.write(`faults: summary ${JSON.stringify(results)}\n`);
    await source?.close();
    await pipeline?.stop();
});

/** Nothing lost and nothing invented: the delivered set equals the committed set. */
function assertExact(f: Record<string, number | string>): void {
    assert.equal(f.lost, 0, `${f.fault}: committed changes not delivered, e.g. ${f.examples}`);
    assert.equal(f.extra, 0, `${f.fault}: delivered changes never committed, e.g. ${f.examples}`);
    assert.equal(f.ledgerDelivered, f.ledgerMade);
}

describe("faults under a continuous workload", () => {
    it("1. kill -9 of the Connect worker in the middle of a fenced re-read of the table loses nothing; the re-read resumes and its end applies the fence", async () => {
        // The rows present before the connector started are in ADX: the re-read has a table to read (chunks of 1,024 rows).
        await waitForConvergence(180_000);
        const plan = planPipeline({ topicPrefix: PREFIX, tables: [TABLE] });
        const windowsClosed = async () =>
            Number((await source.admin.query(`SELECT count(*)::int AS n FROM ${plan.postgres.signalTable} WHERE type = 'snapshot-window-close'`)).rows[0].n);
        let signal: string | undefined;
        let windowsAtKill = 0;
        const f = await underFault("connect-kill-9-mid-reread", async () => {
            // As snapshot --replace does it: the fence naming the re-read's signal, then the signal.
            const before = await windowsClosed();
            const sent = await requestIncrementalSnapshot(
                source.admin,
                { signalTable: plan.postgres.signalTable, connectUrl: pipeline.connectUrl, connectorName: source.connectorInputs.connectorName, timeoutSeconds: 120 },
                [TABLE],
                (m) => process.stderr.write(`faults: ${m}\n`),
                {},
                async (rereadSignal, signalInsert) => void (await writeTableFences(source.admin, { [TABLE]: plan.tables[0].topic }, rereadSignal, signalInsert)),
            );
            signal = sent?.id;
            await pollUntil({
                attempt: async () => ((await windowsClosed()) >= before + 2 ? true : undefined),
                timeoutMs: 60_000,
                intervalMs: 50,
                timeoutError: () => new Error("the re-read closed no snapshot window within 60 s"),
            });
            windowsAtKill = (await windowsClosed()) - before;
            await pipeline.restartConnect(true);
        });
        assertExact(f);
        // The re-read resumes after the kill and ends: the fence and the re-read's end, both naming the signal, the end after the
        // fence (each may be delivered twice after the kill); then the fence applies and ADX still equals the source.
        const { op, lsn, emissionStamp, record } = changeMetadataColumns(sink.models[0].described.columns.map((c) => c.name));
        const named = () => ingestedRows().filter((r) => r.row[op.column] === TRUNCATE_OP && (r.row[record.column] as any)?.[REREAD_FIELD] === signal);
        const end = await pollUntil({
            attempt: async () => named().find((r) => r.row[lsn.column] === null),
            timeoutMs: 180_000,
            intervalMs: 500,
            timeoutError: () => new Error(`the end of re-read ${signal} never reached ADX: ${named().length} row(s) name it`),
        });
        const fence = named().find((r) => r.row[lsn.column] !== null);
        assert.ok(signal && fence, `the fence of re-read ${signal} in ADX`);
        assert.ok(BigInt(end.row[emissionStamp.column] as bigint) > BigInt(fence.row[emissionStamp.column] as bigint), "the end follows the fence");
        await waitForConvergence(60_000);
        process.stderr.write(
            `faults: killed after ${windowsAtKill} of the re-read's snapshot windows had closed; its end reached ADX after the fence, and ADX equals the source\n`,
        );
    });

    it("2. the Kafka broker stopped for ~10 s loses nothing", async () => {
        const f = await underFault("kafka-down-10s", async () => {
            await pipeline.stopKafka();
            await new Promise((r) => setTimeout(r, 10_000));
            await pipeline.startKafka();
        });
        assertExact(f);
    });

    it("3. a PostgreSQL restart loses nothing", async () => {
        const f = await underFault("postgres-restart", async () => {
            await pipeline.restartPostgres();
            // The admin session of the test broke with the restart.
            await source.admin.end().catch(() => undefined);
            source.admin = await adminClient(pipeline);
        });
        assertExact(f);
    });

    it("4. deleting and recreating the connector with the same name resumes from its offsets", async () => {
        const f = await underFault("connector-recreate", async () => {
            await kafkaConnectorProvider.delete!(source.connectorInputs.connectorName, source.connectorInputs);
            await kafkaConnectorProvider.create!(source.connectorInputs);
        });
        assertExact(f);
        assert.equal(f.resnapshotted, 0, "offsets were kept: no new snapshot");
    });

    it("5. ADX down longer than the sink's retry window: the task fails without committing, the watchdog restarts it with no one's help, nothing lost", async () => {
        let failedWhileDown: string[] = [];
        let restarts: WatchdogRestart[] = [];
        const f = await underFault("adx-down-past-retry-window", async () => {
            pipeline.adx.outage = () => 503;
            // Waits for the task to fail (asserted below from what was last seen).
            await pollUntil({
                attempt: async () => ((failedWhileDown = await sinkTaskStates()).includes("FAILED") ? true : undefined),
                timeoutMs: SINK_RETRY_WINDOW_MS + 60_000,
                intervalMs: 1000,
                timeoutError: () => new Error(`the sink's task did not fail while ADX was down past its retry window (states ${failedWhileDown.join(", ")})`),
            }).catch(() => undefined);
            pipeline.adx.outage = undefined;
            // No restart by hand: the worker's watchdog restarts the failed task.
            await pollUntil({
                attempt: async () => ((await sinkTaskStates()).every((s) => s === "RUNNING") ? true : undefined),
                timeoutMs: 60_000,
                intervalMs: 1000,
                timeoutError: () => new Error("the watchdog did not restart the sink's failed task within 60 s"),
            });
            restarts = (await readWatchdog(pipeline.connectUrl)).restarts.filter((r) => r.connector === sink.connectorName);
        });
        // One task per partition (the table's topic has the stack's partitions): each fails once its own retry window is exhausted.
        const failed = failedWhileDown.filter((state) => state === "FAILED").length;
        assert.ok(failed >= 1, `a task fails once the retry window is exhausted (states ${failedWhileDown.join(", ")})`);
        assertExact(f);
        assert.deepEqual(await sinkTaskStates(), allSinkTasks("RUNNING"));
        process.stderr.write(`faults: the watchdog reported ${JSON.stringify(restarts)}\n`);
        assert.ok(restarts.length >= failed && restarts.length <= sinkTaskCount(), `the watchdog restarted every failed task (${failed} seen failed)`);
        assert.ok(restarts.every((r) => r.attempts >= 1 && !r.gaveUp));
        // status shows it, and a restart that worked is no problem.
        const report = { connectors: [], topics: [], unreachable: [], watchdog: restarts };
        assert.match(
            renderHealthReport(report, []),
            new RegExp(`watchdog   ${sink.connectorName} task \\d+ on 127\\.0\\.0\\.1:\\d+: restarted \\d+ of at most 10 time\\(s\\), last at `),
        );
        assert.deepEqual(evaluatePipelineHealth(report), []);
    });

    it("6. kill -9 of the Connect worker while a flush is in ADX's hands loses nothing", async () => {
        const f = await underFault("connect-kill-9-mid-flush", async () => {
            let killed: Promise<void> | undefined;
            await new Promise<void>((inFlight) => {
                pipeline.adx.onIngestRequest = async () => {
                    if (killed) return;
                    // The request has reached ADX; the worker dies before it hears the answer or commits.
                    killed = pipeline.restartConnect(true);
                    inFlight();
                    await new Promise((r) => setTimeout(r, 500));
                };
            });
            pipeline.adx.onIngestRequest = undefined;
            await killed;
        });
        assertExact(f);
        assert.ok(Number(f.duplicated) > 0, "the batch ADX stored before the kill is delivered again (at least once) and collapses under the current-state rule");
    });

    it("7. ADX answering 429 and 503 in bursts shorter than the retry window: the sink rides them out, no task fails, nothing lost", async () => {
        const seen = new Set<string>();
        let refused = 0;
        const f = await underFault("adx-429-503-bursts", async () => {
            // Four 2-second bursts, one second apart: throttling (429), then unavailable (503), alternating.
            const start = Date.now();
            pipeline.adx.outage = () => {
                const elapsed = Date.now() - start;
                if (elapsed >= 12_000 || elapsed % 3000 >= 2000) return undefined;
                refused++;
                return Math.floor(elapsed / 3000) % 2 === 0 ? 429 : 503;
            };
            // Sample the sink task's state every 0.5 s through the 12 s of bursts.
            await pollUntil({
                attempt: async () => {
                    for (const state of await sinkTaskStates()) seen.add(state);
                    return Date.now() - start >= 12_000 ? true : undefined;
                },
                timeoutMs: 30_000,
                intervalMs: 500,
                timeoutError: () => new Error("the sink task's state could not be sampled through the bursts"),
            });
            pipeline.adx.outage = undefined;
        });
        process.stderr.write(`faults: ${refused} requests answered 429/503 during the bursts\n`);
        assert.ok(refused > 0, "the bursts reached the sink");
        assert.deepEqual([...seen], ["RUNNING"], "the retry window absorbs the bursts: no task fails");
        assertExact(f);
    });

    it("8. a batch ADX rejects permanently (its mapping dropped in ADX): the task stops at it, status names the cause, pulumi up + restart-sink replay it, nothing lost", async () => {
        const target = { table: sink.models[0].names.changes, mapping: sink.models[0].names.mapping };
        let cause = "";
        let drifted: string[] = [];
        const f = await underFault("adx-rejects-permanently", async () => {
            const key = `${target.table}/${target.mapping}`;
            pipeline.adx.mappings.delete(key);
            let health = await readConnectorHealth(pipeline.connectUrl, sink.connectorName, 30_000);
            // Waits for the task to stop at the rejected batch (asserted below from what status says).
            await pollUntil({
                attempt: async () =>
                    (health = await readConnectorHealth(pipeline.connectUrl, sink.connectorName, 30_000)).tasks.some((t) => t.state === "FAILED") ? true : undefined,
                timeoutMs: 60_000,
                intervalMs: 1000,
                timeoutError: () => new Error("the sink's task did not fail at the rejected batch"),
            }).catch(() => undefined);
            // What `status` prints for it: the failed task, and ADX's reason from `.show streamingingestion failures`.
            const ingestionFailures = await readIngestionFailures(pipeline.adx.url, "cdc", Date.now() - 600_000);
            cause = evaluatePipelineHealth({ connectors: [health], topics: [], unreachable: [], ingestionFailures }).join("\n");
            // pulumi refresh shows the model drifted; pulumi up re-applies it; then restart-sink.
            const inputs = { clusterUri: pipeline.adx.url, database: "cdc", scripts: sink.models[0].scripts, retainData: false };
            const read: any = await kqlSchemaProvider.read!("kql", inputs);
            drifted = read.props.scripts.filter((x: any) => x.text.startsWith("// drift")).map((x: any) => x.name);
            await kqlSchemaProvider.update!("kql", read.props, inputs);
            await connectRequest(pipeline.connectUrl, "POST", `/connectors/${sink.connectorName}/restart?includeTasks=true&onlyFailed=true`, undefined, {
                deadlineMs: 30_000,
                initialDelayMs: 200,
                maxDelayMs: 2000,
            });
        });
        process.stderr.write(`faults: status said: ${cause.replace(/\n/g, " | ")}\n`);
        assert.match(cause, /task \d+ is FAILED/, "status names the failed task");
        assert.match(cause, /ADX refused \d+ streaming ingestion\(s\) .*BadRequest_MappingReferenceWasNotFound/, "and ADX's reason");
        assert.deepEqual(drifted, [`generated/${TABLE}/20-mapping.kql`], "refresh shows the dropped mapping as drift");
        assertExact(f);
        assert.deepEqual(await sinkTaskStates(), allSinkTasks("RUNNING"));
    });

    it("9. after a rebalance, a record the sink cannot read goes to the dead-letter topic with its cause; status counts it; nothing else is held up or lost", async () => {
        const topic = `faults.${TABLE}`;
        let deadLetters = 0;
        const f = await underFault("rebalance-then-dead-letter", async () => {
            // A graceful worker restart: the sink's consumer group rebalances.
            await pipeline.restartConnect(false);
            const { Kafka, logLevel } = require("kafkajs");
            const producer = new Kafka({ brokers: [pipeline.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
            await producer.connect();
            await producer.send({ topic, messages: [{ value: "this is not a change record" }] });
            await producer.disconnect();
            deadLetters = await pollUntil({
                attempt: async () => (await readTopicOffsets(pipeline.kafka, [topic], `faults.adx-sink.dlq`, sink.connectorName)).deadLetters!.count || undefined,
                timeoutMs: 60_000,
                intervalMs: 1000,
                timeoutError: () => new Error("no record reached the dead-letter topic within 60 s"),
            });
        });
        assert.equal(deadLetters, 1, "the unreadable record is in the dead-letter topic");
        assertExact(f);
        assert.deepEqual(await sinkTaskStates(), allSinkTasks("RUNNING"));
    });

    it("cleans up: slot and publication gone after the connector and bootstrap are deleted", async () => {
        await sink.delete();
        await kafkaConnectorProvider.delete!(source.connectorInputs.connectorName, source.connectorInputs);
        await sourceBootstrapProvider.delete!("bootstrap", source.bootstrapInputs);
        assert.deepEqual((await source.admin.query("SELECT slot_name FROM pg_replication_slots")).rows, []);
        assert.deepEqual((await source.admin.query("SELECT pubname FROM pg_publication")).rows, []);
        assert.ok(countedRecords > 0);
    });
});
