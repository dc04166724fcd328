// The operator commands against the real local pipeline: `npm run verify`'s logic with the ADX step
// replaced by "what ADX would hold", the verify command end to end through the ADX REST test double
// (answering from that same state), and `npm run status` healthy, then unhealthy for a paused
// connector, a slot holding WAL, a sink that falls behind, and a record in its dead-letter topic. The Kusto sink is not
// on Maven Central, so a FileStreamSink with the stack's dead-letter settings (the same builder)
// stands in for it.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Kafka, logLevel } from "kafkajs";
import { startLocalPipeline, LocalPipeline } from "./harness/localPipeline";
import { CapturedSource, CAPTURED_TABLE, setUpCapturedSource } from "./harness/capturedSource";
import { currentState, harnessCurrentStateProbe, ingestWithMapping } from "./harness/adxEmulation";
import { REPO_ROOT } from "./harness/prerequisites";
import { startAdxTestDouble, AdxTestDouble } from "../doubles/adxRestTestDouble";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { topicForTable } from "../../connectors/debeziumSource";
import { buildSinkErrorHandlingSettings } from "../../connectors/kustoSink";
import { KAFKA_REPLICATION_FACTOR } from "../../components/kafkaPlatform";
import { connectRequest } from "../../connectors/connectRestClient";
import { currentStateOf, loadKqlScripts, sinkTargetOf } from "../../kql/kqlModel";
import { OperationsOutputs } from "../../operations/stackOutputs";
import { verifyPipeline } from "../../operations/verifyPipeline";
import { sourceObjectNames } from "../../postgres/sourceSchema";

const PREFIX = "cdc";
const SOURCE = "cdc-postgres-source";
const SINK_STAND_IN = "cdc-sink-stand-in";
const DLQ = `${PREFIX}.adx-sink.dlq`;
const TOPIC = topicForTable(PREFIX, CAPTURED_TABLE);
const scripts = loadKqlScripts(CAPTURED_TABLE);
const model = currentStateOf(scripts);
let pipeline: LocalPipeline;
let source: CapturedSource;
let adx: AdxTestDouble;
let outputsFile: string;
const started = Date.now();

function operationsFor(queryUri: string): OperationsOutputs {
    return {
        connectRestUrl: pipeline.connectUrl,
        connectors: { source: SOURCE, sink: SINK_STAND_IN },
        kafkaBootstrapServers: pipeline.bootstrapServers,
        topics: [TOPIC],
        deadLetterTopic: DLQ,
        postgres: { host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: pipeline.postgres.adminUser, sslMode: "disable", slotName: sourceObjectNames(PREFIX).slotName },
        adx: { queryUri, database: "cdc", tables: [{ sourceTable: CAPTURED_TABLE, rawTable: sinkTargetOf(scripts).table, ...model }] },
    };
}

/** Runs an operator command as `npm run <name>` would (compiled), with the stack outputs from a file. */
function runCommand(command: "statusCommand" | "verifyCommand", args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [path.join(REPO_ROOT, "dist", "operations", `${command}.js`), "--outputs", outputsFile, ...args], { env: { ...process.env, PGPASSWORD: "", AZURE_KUSTO_ACCESS_TOKEN: "e2e-test-token" }, timeout: 120_000 }, (error, stdout, stderr) => {
            resolve({ code: error ? Number((error as any).code ?? 1) : 0, stdout, stderr });
        });
    });
}

async function waitForConnectorState(name: string, state: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
        const response = await connectRequest(pipeline.connectUrl, "GET", `/connectors/${name}/status`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        if (response.status === 200 && response.data.connector.state === state && response.data.tasks.every((t: any) => t.state === state)) return;
        assert.ok(Date.now() < deadline, `${name} did not reach ${state}: ${JSON.stringify(response.data)}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

before(async () => {
    pipeline = await startLocalPipeline();
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: SOURCE, preexistingRows: 20 });
    await source.reader.waitFor("20 snapshot records", (records) => records.length >= 20, 60_000);
    await kafkaConnectorProvider.create!({
        connectUrl: pipeline.connectUrl,
        connectorName: SINK_STAND_IN,
        timeoutSeconds: 60,
        config: {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "topics": TOPIC,
            "file": path.join(pipeline.workDir, "sink-stand-in.out"),
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            // The Kusto sink's own error handling, from the stack's builder (connectors/kustoSink.ts).
            ...buildSinkErrorHandlingSettings({ deadLetterTopic: DLQ, deadLetterReplicationFactor: KAFKA_REPLICATION_FACTOR }),
        },
    });
    adx = await startAdxTestDouble();
    // The double answers the verify command's KQL from "what ADX would hold".
    adx.queryHandler = (_db, csl) => {
        const m = new RegExp(`^${model.functionName}\\(\\) \\| where ${model.key} == (\\d+) \\| take 1$`).exec(csl);
        if (!m) throw new Error(`the test double does not answer: ${csl}`);
        const state = currentState(ingestWithMapping(scripts, source.reader.records.map((r) => r.value)), model.key);
        const row = state.rows.find((r) => String(r[model.key]) === m[1]);
        const columns = ["orderid", "custid", "amount", "city", "purchase_time"];
        return { columns, rows: row ? [columns.map((c) => row[c])] : [] };
    };
    outputsFile = path.join(pipeline.workDir, "stack-outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify({ operations: operationsFor(adx.url), connectRestUrl: pipeline.connectUrl }, null, 2));
});

after(async () => {
    await adx?.close();
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: operations.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

describe("operator commands on the real local pipeline", () => {
    it("verify: a marker order becomes visible, its latency is measured, its delete hides it, and it leaves no row behind", async () => {
        const probe = harnessCurrentStateProbe(scripts, model.key, () => source.reader.records.map((r) => r.value));
        const report = await verifyPipeline(source.admin, probe, { timeoutMs: 60_000, pollIntervalMs: 50, progress: (m) => process.stderr.write(`e2e verify: ${m}\n`) });
        process.stderr.write(`e2e: verify (harness probe) commit-to-query ${report.commitToQueryMs} ms, delete gone ${report.deleteToGoneMs} ms, ${report.polls} polls\n`);
        assert.ok(report.commitToQueryMs >= 0 && report.commitToQueryMs < 60_000);
        const left = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE} WHERE orderid = $1`, [report.orderid]);
        assert.equal(left.rows[0].n, 0);
        const events = source.reader.records.filter((r) => String(r.value.orderid) === report.orderid).map((r) => r.value.__op);
        assert.deepEqual(events, ["c", "d"], "the marker went through as one insert and one delete");
    });

    it("verify command: end to end through the ADX REST query endpoint (test double answering from the harness), exit 0", async () => {
        const result = await runCommand("verifyCommand", ["--timeout", "60s"]);
        process.stderr.write(`e2e: ${result.stdout.trim().split("\n")[0]}\n`);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^marker order \d+: commit-to-query latency \d+ ms, delete visible after \d+ ms \(OrdersInfoCurrentState\(\), \d+ queries\)\nVERIFIED$/m);
        assert.ok(adx.queries.length >= 2 && adx.queries.every((q) => q.db === "cdc" && /^OrdersInfoCurrentState\(\) \| where orderid == \d+ \| take 1$/.test(q.csl)));
    });

    it("status: healthy pipeline, exit 0, with connector states, slot lag in bytes, end offsets and no dead letters", async () => {
        const result = await runCommand("statusCommand", []);
        process.stderr.write(`e2e status:\n${result.stdout}`);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^connector  cdc-postgres-source: RUNNING; tasks 0:RUNNING$/m);
        assert.match(result.stdout, /^connector  cdc-sink-stand-in: RUNNING; tasks 0:RUNNING$/m);
        assert.match(result.stdout, /^slot       debezium_cdc: active, lag \d+ bytes/m);
        const offset = Number(/^topic      cdc\.retail\.orders_info: end offset (\d+)$/m.exec(result.stdout)?.[1]);
        assert.equal(offset, source.reader.records.length, "the end offset is the number of records in the topic");
        assert.match(result.stdout, /^sink lag   connect-cdc-sink-stand-in: \d+ records$/m);
        // Connect creates the dead-letter topic when the sink task starts; it is empty.
        assert.match(result.stdout, /^dead letters cdc\.adx-sink\.dlq: 0$/m);
        assert.match(result.stdout, /^HEALTHY$/m);
    });

    it("status: a paused source connector and the WAL its slot then holds make it exit 1, naming both", async () => {
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SOURCE}/pause`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SOURCE, "PAUSED");
        await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT g, 1.00, 'Lagtown' FROM generate_series(1, 500) g`);
        const result = await runCommand("statusCommand", ["--max-slot-lag-bytes", "1024"]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stdout, /^  - connector cdc-postgres-source is PAUSED$/m);
        assert.match(result.stdout, /^  - replication slot debezium_cdc holds \d+\.\d (KiB|MiB) of WAL, more than 1\.0 KiB/m);
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SOURCE}/resume`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SOURCE, "RUNNING");
    });

    it("status: a sink that stops consuming falls behind the topic and makes it exit 1", async () => {
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SINK_STAND_IN}/pause`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SINK_STAND_IN, "PAUSED");
        const before = source.reader.records.length;
        await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT g, 2.00, 'Backlog' FROM generate_series(1, 50) g`);
        await source.reader.waitFor("50 more records", (records) => records.length >= before + 50, 30_000);
        const result = await runCommand("statusCommand", ["--max-sink-lag", "10", "--json"]);
        const parsed = JSON.parse(result.stdout);
        assert.equal(result.code, 1);
        assert.ok(parsed.report.sinkLag.records >= 50, JSON.stringify(parsed.report.sinkLag));
        assert.ok(parsed.problems.some((p: string) => /^the sink is \d+ records behind the topics \(more than 10\); ADX is falling behind$/.test(p)), parsed.problems.join("; "));
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SINK_STAND_IN}/resume`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SINK_STAND_IN, "RUNNING");
    });

    it("status: a record the sink could not take lands in the dead-letter topic and makes it exit 1", async () => {
        // The harness's reader parses every record as JSON; stop it before the poison record.
        await source.reader.stop();
        const kafka = new Kafka({ clientId: "e2e-poison", brokers: [pipeline.bootstrapServers], logLevel: logLevel.NOTHING });
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: TOPIC, messages: [{ key: "poison", value: "this is not JSON {" }] });
        await producer.disconnect();
        const deadline = Date.now() + 30_000;
        let result = await runCommand("statusCommand", ["--json"]);
        while (!(JSON.parse(result.stdout).report.deadLetters?.count > 0) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 500));
            result = await runCommand("statusCommand", ["--json"]);
        }
        const parsed = JSON.parse(result.stdout);
        assert.equal(result.code, 1);
        assert.deepEqual(parsed.report.deadLetters, { topic: DLQ, count: 1, exists: true });
        assert.deepEqual(parsed.problems, [`1 record(s) in the sink's dead-letter topic ${DLQ}: ADX rejected them (inspect with a consumer on that topic)`]);
        assert.equal(parsed.healthy, false);
    });
});
