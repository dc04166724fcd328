// The soak (`npm run soak`, not part of `npm test`): the real pipeline under a steady workload for
// SOAK_MINUTES (default 70: the Kusto SDK in the sink refreshes its ingestion resources and identity
// token hourly, so the run crosses a refresh). Every minute it prints what was committed, what the
// sink delivered, its lag and the tasks' states; at the end the set of changes delivered into ADX
// must equal the ledger of committed changes, and the current state the source table.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { CapturedSource, setUpCapturedSource } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { readConnectorHealth, readIngestionFailures, readWatchdog } from "../../operations/pipelineHealth";
import { deliveredChanges, LEDGER_SQL, ledgerOfChanges, multisetMinus, startWorkload } from "../e2e/harness/changeLedger";
import { waitUntilEqual } from "../e2e/harness/sourceComparison";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 70);
const RATE = Number(process.env.SOAK_RATE ?? 100);
const TABLE = "retail.orders_info";

let pipeline: LocalPipeline;
let source: CapturedSource;
let sink: KustoSinkDeployment;

before(async () => {
    pipeline = await startLocalPipeline();
    source = await setUpCapturedSource(pipeline, { topicPrefix: "soak", connectorName: "soak-source", preexistingRows: 0 });
    sink = await deployKustoSink(pipeline, { topicPrefix: "soak", tables: [TABLE] });
    await source.admin.query(LEDGER_SQL);
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
});

describe(`soak: ${MINUTES} minutes at ${RATE} changes/s`, () => {
    it("every committed change is delivered into ADX, as a set; the current state equals the source; no task failed", { timeout: (MINUTES + 20) * 60_000 }, async () => {
        const started = Date.now();
        const workload = startWorkload(pipeline, RATE);
        const states = new Set<string>();
        const ingestRequestsAtStart = pipeline.adx.ingestRequests.length;
        for (let minute = 1; minute <= MINUTES; minute++) {
            await new Promise((r) => setTimeout(r, Math.max(0, started + minute * 60_000 - Date.now())));
            const health = await Promise.all(["soak-source", sink.connectorName].map((name) => readConnectorHealth(pipeline.connectUrl, name, 30_000)));
            for (const c of health) for (const t of c.tasks) states.add(`${c.name}/${t.id}:${t.state}`);
            const committed = Number((await source.admin.query("SELECT count(*) AS n FROM fault_ledger.changes")).rows[0].n);
            const delivered = deliveredChanges(pipeline, sink).length;
            const refused = pipeline.adx.ingestRequests.slice(ingestRequestsAtStart).filter((r) => r.status !== 200).length;
            process.stderr.write(
                `soak: minute ${minute}/${MINUTES}: ${committed} committed, ${delivered} delivered (${committed - delivered} in flight), ` +
                    `${refused} ingest requests refused, tasks ${health.flatMap((c) => c.tasks.map((t) => `${c.name}/${t.id}:${t.state}`)).join(" ")}\n`,
            );
        }
        const made = await workload.stop();
        const [equal] = await waitUntilEqual(pipeline, source.admin, sink, [TABLE], "soak end", 300_000);
        const ledger = await ledgerOfChanges(pipeline);
        const delivered = deliveredChanges(pipeline, sink);
        const missing = multisetMinus(ledger, delivered);
        const extra = multisetMinus(delivered, ledger);
        const restarts = (await readWatchdog(pipeline.connectUrl)).restarts;
        const failures = await readIngestionFailures(pipeline.adx.url, "cdc", started);
        const figures = {
            minutes: Math.round((Date.now() - started) / 6000) / 10,
            made,
            ledger: ledger.length,
            delivered: delivered.length,
            lost: missing.length,
            extra: extra.length,
            examples: [...missing.slice(0, 3), ...extra.slice(0, 3)],
            taskStatesSeen: [...states].sort(),
            watchdogRestarts: restarts.length,
            ingestionFailures: failures,
            identityTokenRequests: pipeline.adx.commands.filter((c) => c.csl === ".get kusto identity token").length,
            ingestionResourceRequests: pipeline.adx.commands.filter((c) => c.csl === ".show ingestion resources").length,
        };
        process.stderr.write(`soak: ${JSON.stringify(figures)}\n`);
        assert.equal(missing.length, 0, `committed changes not delivered, e.g. ${JSON.stringify(missing.slice(0, 3))}`);
        assert.equal(extra.length, 0, `delivered changes never committed, e.g. ${JSON.stringify(extra.slice(0, 3))}`);
        assert.deepEqual(equal.mismatches, []);
        assert.equal(equal.adxRows, equal.sourceRows);
        assert.deepEqual(
            [...states].filter((s) => !s.endsWith(":RUNNING")),
            [],
            "every task stayed RUNNING through the soak",
        );
        assert.ok(ledger.length >= RATE * 60 * MINUTES * 0.5, `the workload ran (${ledger.length} changes)`);
    });
});
