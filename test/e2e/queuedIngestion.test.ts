// The free stack's ingestion path: a cluster without streaming ingestion, so the real Kusto sink
// (topic mapping `streaming: false`) uploads each batch as a blob and queues a message for it, as
// `.show ingestion resources` tells it; the ADX double serves the storage endpoints (Put Blob, Put
// Message, SAS checked) and ingests the blob through the same mapping after the table's batching
// time span. What ADX holds equals the source, value by value.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { CapturedSource, CAPTURED_TABLE, setUpCapturedSource, adminClient } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { waitUntilEqual, assertEqualToSource } from "./harness/sourceComparison";
import { runOrdersGenerator } from "../../generator/ordersGenerator";
import { adxNamesFor, changeMetadataColumns } from "../../kql/adxModel";

let pipeline: LocalPipeline;
let source: CapturedSource;
let sink: KustoSinkDeployment;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline();
    source = await setUpCapturedSource(pipeline, { topicPrefix: "free", connectorName: "free-postgres-source", preexistingRows: 100 });
    sink = await deployKustoSink(pipeline, { topicPrefix: "free", tables: [CAPTURED_TABLE], streamingIngestion: false });
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: queuedIngestion.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

describe("queued ingestion (the free cluster's path) through the real sink", () => {
    it("snapshot and changes arrive through blobs and queue messages only, equal to the source", async () => {
        const writer = await adminClient(pipeline);
        const report = await runOrdersGenerator(writer, { rate: 100, durationMs: 5000, updates: 0.3, deletes: 0.1 });
        await writer.end();
        const results = await waitUntilEqual(pipeline, source.admin, sink, [CAPTURED_TABLE], "queued", 120_000);
        assertEqualToSource(results);
        const requests = pipeline.adx.ingestRequests.filter((r) => r.table === adxNamesFor(CAPTURED_TABLE).changes);
        const queued = requests.filter((r) => r.kind === "queued" && r.status === 200);
        assert.ok(queued.length > 0, "batches arrived as queued ingestions");
        assert.deepEqual(
            requests.filter((r) => r.kind === "streaming"),
            [],
            "no streaming request on a queued-only table",
        );
        // Commit → queryable: the sink's flush, the upload and the table's 10 s batching time span.
        const { sourceTs } = changeMetadataColumns([]);
        const latencies = (pipeline.adx.ingested.get(adxNamesFor(CAPTURED_TABLE).changes) ?? [])
            .filter((r) => r.row.op !== "r")
            .map((r) => r.receivedAtMs - Date.parse(String(r.row[sourceTs.column])))
            .sort((a, b) => a - b);
        const p50 = latencies[Math.floor(latencies.length / 2)];
        process.stderr.write(
            `e2e: queued: ${report.inserts + report.updates + report.deletes} changes made, ${queued.length} blobs ingested (${queued.reduce((n, r) => n + r.rows, 0)} rows), ` +
                `commit→queryable p50 ${p50} ms\n`,
        );
        assert.ok(p50 >= 10_000, "rows become queryable only after the table's batching time span, as in ADX");
    });
});
