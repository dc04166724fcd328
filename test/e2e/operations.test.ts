// The operator commands against the real local pipeline, with the real Kusto sink delivering into
// the ADX test double: `npm run verify` end to end (its query answered from the rows the sink
// streamed), `npm run status` healthy, then unhealthy for a paused connector, a slot holding WAL, a
// sink that falls behind, and a batch ADX rejects permanently (the sink task fails and holds its
// offset: nothing after it is committed, nothing is dropped), and `npm run restart-sink` after the fix.
// PostgreSQL 16 with the admin on Azure's terms (NOSUPERUSER): the operator role gets pg_monitor from it, as on Azure.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { AssignerProtocol, Kafka, logLevel } from "kafkajs";
import { startLocalPipeline, LocalPipeline, E2E_CONNECT_GROUP_ID } from "../../local/localPipeline";
import { WORKER_HEALTH_ADX } from "../../kql/workerHealthModel";
import { CapturedSource, CAPTURED_TABLE, setUpCapturedSource } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { AdxTestDouble } from "../../local/doubles/adxRestTestDouble";
import { topicForTable } from "../../connectors/debeziumSource";
import { DEFAULT_TABLE_PARTITIONS, sinkReadPartitions } from "../../connectors/kafkaTopics";
import { connectRequest } from "../../connectors/connectRestClient";
import { adxNamesFor, changeMetadataColumns, changeOrderColumn, FENCE_ENDS_COLUMN, FENCE_REREAD_COLUMN, freshnessFunctionName } from "../../kql/adxModel";
import { OperationsOutputs } from "../../contract/stackOutputs";
import { localOperationsOutputs } from "./harness/operationsOutputs";
import { runOperatorCli } from "./harness/operatorCli";
import { verifyPipeline } from "../../operations/verifyPipeline";
import { kustoCurrentStateProbe } from "../../operations/kustoCurrentStateProbe";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { pollUntil } from "../../runtime/pollUntil";
import { kafkaClient } from "../../runtime/kafkaClient";
import { Client } from "pg";
import { spawnSync } from "child_process";
import { REPO_ROOT } from "../../local/prerequisites";
import { compareWithSource } from "./harness/sourceComparison";
import { getKustoAccessToken, runKustoCommand } from "../../kql/kustoRestClient";
import { REREAD_FIELD, TRUNCATE_OP } from "../../contract/recordFields";

const PREFIX = "cdc";
const SOURCE = "cdc-postgres-source";
const SINK = "cdc-adx-sink";
const TOPIC = topicForTable(PREFIX, CAPTURED_TABLE);
const names = adxNamesFor(CAPTURED_TABLE);
const HEARTBEAT = sourceObjectNames(PREFIX).heartbeatTable;
const heartbeatNames = adxNamesFor(HEARTBEAT);
const heartbeat = {
    sourceTable: HEARTBEAT,
    rawTable: heartbeatNames.changes,
    functionName: heartbeatNames.currentState,
    view: heartbeatNames.latest,
    keys: ["id"],
    freshnessFunction: freshnessFunctionName(HEARTBEAT),
    sourceTsColumn: "source_ts",
};
let pipeline: LocalPipeline;
let source: CapturedSource;
let adx: AdxTestDouble;
let sink: KustoSinkDeployment;
let outputsFile: string;
const started = Date.now();

function operationsFor(queryUri: string): OperationsOutputs {
    return localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [CAPTURED_TABLE], queryUri });
}

/** Polls until ADX's current state of the captured table equals PostgreSQL's, row for row and value for value. */
async function waitUntilAdxEqualsSource(when: string, timeoutMs: number): Promise<Awaited<ReturnType<typeof compareWithSource>>> {
    let comparison: Awaited<ReturnType<typeof compareWithSource>> | undefined;
    await pollUntil({
        attempt: async () => {
            comparison = await compareWithSource(pipeline, source.admin, sink, CAPTURED_TABLE);
            return comparison.adxRows === comparison.sourceRows && comparison.mismatches.length === 0 ? true : undefined;
        },
        timeoutMs,
        intervalMs: 1000,
        timeoutError: () => new Error(`${when} ADX holds ${comparison?.adxRows} current rows against ${comparison?.sourceRows}: ${comparison?.mismatches.slice(0, 5).join("; ")}`),
    });
    return comparison!;
}

function runCommand(command: "status" | "verify" | "restart-sink" | "snapshot" | "reconcile", args: string[]) {
    return runOperatorCli(pipeline, outputsFile, command, args);
}

async function waitForConnectorState(name: string, state: string): Promise<void> {
    let last: unknown;
    await pollUntil({
        attempt: async () => {
            const response = await connectRequest(pipeline.connectUrl, "GET", `/connectors/${name}/status`, undefined, {
                deadlineMs: 10_000,
                initialDelayMs: 100,
                maxDelayMs: 1000,
            });
            last = response.data;
            return response.status === 200 && response.data.connector.state === state && response.data.tasks.every((t: any) => t.state === state) ? true : undefined;
        },
        timeoutMs: 30_000,
        intervalMs: 250,
        timeoutError: () => new Error(`${name} did not reach ${state}: ${JSON.stringify(last)}`),
    });
}

/**
 * Pauses the sink (or stops it: its consumer closed, so nothing it fetched before is kept in memory), then
 * commits `rows` orders in city `city` and waits until the topic holds them.
 */
async function pauseSinkAndWrite(rows: number, city: string, how: "pause" | "stop" = "pause"): Promise<void> {
    await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SINK}/${how}`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
    await waitForConnectorState(SINK, how === "pause" ? "PAUSED" : "STOPPED");
    const before = source.reader.records.length;
    await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT g, 2.00, $1 FROM generate_series(1, ${rows}) g`, [city]);
    await source.reader.waitFor(`${rows} more records`, (records) => records.length >= before + rows, 30_000);
}

/** The sink group's committed offset of each partition of the captured table's topic (-1: none). */
async function sinkCommittedOffsets(): Promise<Map<number, number>> {
    const admin = kafkaClient(pipeline.kafka, "operations-test-offsets").admin();
    await admin.connect();
    try {
        const [committed] = await admin.fetchOffsets({ groupId: `connect-${SINK}`, topics: [TOPIC] });
        return new Map(committed.partitions.map((p: any) => [p.partition, Number(p.offset)]));
    } finally {
        await admin.disconnect();
    }
}

/** A row of the ADX double as text (its long columns are BigInts). */
const jsonText = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));

/** Partitions each member of the sink's consumer group holds (one member per sink task), once the group is stable. */
async function sinkPartitionsPerTask(): Promise<number[]> {
    const admin = kafkaClient(pipeline.kafka, "operations-test-group").admin();
    await admin.connect();
    try {
        const {
            groups: [group],
        } = await admin.describeGroups([`connect-${SINK}`]);
        if (group.state !== "Stable") return [];
        return group.members.map((m) => {
            const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
            return Object.values(decoded?.assignment ?? {}).reduce((n, partitions) => n + partitions.length, 0);
        });
    } finally {
        await admin.disconnect();
    }
}

async function resumeSink(): Promise<void> {
    await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SINK}/resume`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
    await waitForConnectorState(SINK, "RUNNING");
}

before(async () => {
    // Health records every 2 s instead of a minute, so the failed-task drill sees one within seconds.
    pipeline = await startLocalPipeline({ watchdog: { healthIntervalMs: 2_000 }, azureLikePostgres: true });
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: SOURCE, preexistingRows: 20 });
    await source.reader.waitFor("20 snapshot records", (records) => records.length >= 20, 60_000);
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [CAPTURED_TABLE], heartbeat: true, connectorName: SINK });
    adx = pipeline.adx;
    outputsFile = path.join(pipeline.workDir, "stack-outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify({ operations: operationsFor(adx.url), connectRestUrl: pipeline.connectUrl }, null, 2));
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: operations.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

describe("operator commands on the real local pipeline", () => {
    it("verify: a marker row in the heartbeat table reaches ADX through the real sink, its latency is measured, its delete hides it, and it leaves no row behind", async () => {
        const probe = kustoCurrentStateProbe({ queryUri: adx.url, database: "cdc", functionName: heartbeat.functionName, key: "id" });
        const report = await verifyPipeline(source.admin, probe, HEARTBEAT, { timeoutMs: 60_000, pollIntervalMs: 50, progress: (m) => process.stderr.write(`e2e verify: ${m}\n`) });
        process.stderr.write(
            `e2e: verify (real sink, ADX test double) commit-to-query ${report.commitToQueryMs} ms, delete gone ${report.deleteToGoneMs} ms, ${report.polls} polls\n`,
        );
        assert.ok(report.commitToQueryMs >= 0 && report.commitToQueryMs < 60_000);
        const left = await source.admin.query(`SELECT count(*)::int AS n FROM ${HEARTBEAT} WHERE id = $1`, [report.markerId]);
        assert.equal(left.rows[0].n, 0);
        const events = (adx.ingested.get(heartbeat.rawTable) ?? []).filter((r) => String(r.row.id) === report.markerId).map((r) => r.row.op);
        assert.deepEqual(events, ["c", "d"], "the marker went through as one insert and one delete");
        const orders = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE}`);
        assert.equal(orders.rows[0].n, 20, "verify wrote nothing into the captured table");
        const beats = (adx.ingested.get(heartbeat.rawTable) ?? []).filter((r) => String(r.row.id) === "1");
        assert.ok(beats.length >= 1, "Debezium's own heartbeats reach ADX: the freshness function has data");
    });

    it("verify command: end to end through the ADX REST query endpoint (the double answering from what the sink delivered), exit 0", async () => {
        const result = await runCommand("verify", ["--timeout", "60s"]);
        process.stderr.write(`e2e: ${result.stdout.trim().split("\n")[0]}\n`);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(
            result.stdout,
            /^heartbeat marker \d+: commit-to-query latency \d+ ms, delete visible after \d+ ms \(cdc_meta_heartbeat_cdc_current\(\), \d+ queries\)\nfreshness, continuously: cdc_meta_heartbeat_cdc_freshness\(\) in ADX\nVERIFIED$/m,
        );
        assert.ok(adx.queries.length >= 2 && adx.queries.every((q) => q.db === "cdc" && /^cdc_meta_heartbeat_cdc_current\(\)( \| where \['id'\] == \d+ \| take 1)?$/.test(q.csl)));
    });

    it("status: healthy pipeline, exit 0, with connector states, slot lag in bytes, end offsets and no dead letters", async () => {
        const result = await runCommand("status", []);
        process.stderr.write(`e2e status:\n${result.stdout}`);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^connector  cdc-postgres-source: RUNNING; tasks 0:RUNNING on 127\.0\.0\.1:\d+$/m);
        // One sink task per partition read: the table's DEFAULT_TABLE_PARTITIONS, the heartbeat's and the workers' health topic's.
        const partitionsRead = sinkReadPartitions(1, DEFAULT_TABLE_PARTITIONS, { heartbeat: true, workerHealth: true });
        assert.equal(partitionsRead, DEFAULT_TABLE_PARTITIONS + 2);
        const sinkTasks = Array.from({ length: partitionsRead }, (_, i) => `${i}:RUNNING on 127\\.0\\.0\\.1:\\d+`).join(", ");
        assert.match(result.stdout, new RegExp(`^connector  cdc-adx-sink: RUNNING; tasks ${sinkTasks}$`, "m"));
        // Each of those tasks holds a partition (the worker's round-robin assignor): none idles while another carries two.
        let held: number[] = [];
        await pollUntil({
            attempt: async () => ((held = await sinkPartitionsPerTask()).length === partitionsRead && held.every((n) => n === 1) ? true : undefined),
            timeoutMs: 30_000,
            intervalMs: 1000,
            timeoutError: () => new Error(`the sink's tasks hold ${JSON.stringify(held)} partitions each, not one each`),
        });
        assert.match(result.stdout, /^slot       debezium_cdc: active, lag \d+ bytes/m);
        const offset = Number(
            /^table      retail\.orders_info → retail_orders_info_changes: topic cdc\.retail\.orders_info end offset (\d+), sink behind \d+ records$/m.exec(result.stdout)?.[1],
        );
        assert.equal(offset, source.reader.records.length, "the end offset is the number of records in the topic");
        assert.match(result.stdout, /^sink lag   connect-cdc-adx-sink: \d+ records$/m);
        // Connect creates the dead-letter topic when the sink task starts; it is empty.
        assert.match(result.stdout, /^dead letters cdc\.adx-sink\.dlq: 0$/m);
        assert.match(result.stdout, /^HEALTHY$/m);
        // The source's committed offset, read from the real worker: streaming, not the initial snapshot.
        const json = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.equal(json.report.initialSnapshotRunning, false);
        // The sink started on topics it never committed (auto.offset.reset=none): the watchdog gave each partition offset 0.
        const given = json.report.watchdogFirstOffsets.flatMap((f: any) => f.partitions);
        assert.ok(given.includes(`${TOPIC}-0`), `the watchdog gave the table's partition its first offset: ${JSON.stringify(json.report.watchdogFirstOffsets)}`);
        assert.match(result.stdout, /^watchdog {3}gave \d+ new partition\(s\) offset 0, their first record/m);
    });

    it("the operator commands run as cdc_operator (the outputs name it, not the admin): it sees other sessions' transactions, and can neither change a user's table nor create anything", async () => {
        assert.equal(operationsFor(adx.url).postgres.user, "cdc_operator");
        const operator = new Client({
            host: "127.0.0.1",
            port: pipeline.postgres.port,
            database: pipeline.postgres.database,
            user: "cdc_operator",
            password: pipeline.operatorPassword,
        });
        const other = new Client({ host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: pipeline.postgres.adminUser });
        await Promise.all([operator.connect(), other.connect()]);
        try {
            await other.query("BEGIN; SELECT txid_current()");
            // pg_monitor: another role's open transaction is visible (status's oldest-transaction check), not hidden as NULL.
            const { rows } = await operator.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND xact_start IS NOT NULL", [pipeline.postgres.adminUser]);
            assert.ok(rows[0].n >= 1, "the admin's open transaction is visible to the operator role");
            assert.equal((await operator.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE}`)).rows[0].n >= 0, true, "reconcile may read a captured table");
            await assert.rejects(operator.query(`UPDATE ${CAPTURED_TABLE} SET city = city`), /permission denied/);
            await assert.rejects(operator.query(`DELETE FROM ${CAPTURED_TABLE}`), /permission denied/);
            await assert.rejects(operator.query("CREATE TABLE retail.by_operator (id int)"), /permission denied/);
            await assert.rejects(operator.query("SELECT pg_drop_replication_slot('debezium_cdc')"), /permission denied|must be superuser or replication role/);
        } finally {
            await other.query("ROLLBACK").catch(() => undefined);
            await Promise.all([operator.end(), other.end()]);
        }
    });

    it("the generator runs as cdc_generator with its password from a file (PGPASSWORD_FILE, as in its container): it writes orders, and nothing else", async () => {
        const passwordFile = path.join(pipeline.workDir, "generator-password");
        fs.writeFileSync(passwordFile, pipeline.operatorPassword, { mode: 0o400 });
        const before = Number((await source.admin.query(`SELECT count(*) AS n FROM ${CAPTURED_TABLE}`)).rows[0].n);
        const env = {
            ...process.env,
            PGHOST: "127.0.0.1",
            PGPORT: String(pipeline.postgres.port),
            PGDATABASE: pipeline.postgres.database,
            PGUSER: "cdc_generator",
            PGPASSWORD_FILE: passwordFile,
            PGSSLMODE: "disable",
        };
        delete (env as Record<string, string | undefined>).PGPASSWORD;
        const run = spawnSync(
            process.execPath,
            [path.join(REPO_ROOT, "dist", "operations", "cli.js"), "generate", "--rate", "50", "--duration", "2s", "--updates", "0.3", "--deletes", "0.1"],
            { env, encoding: "utf8", timeout: 60_000 },
        );
        assert.equal(run.status, 0, run.stderr);
        const report = JSON.parse(run.stdout.trim().split("\n").pop()!);
        assert.ok(report.inserts > 0, run.stdout);
        assert.equal(Number((await source.admin.query(`SELECT count(*) AS n FROM ${CAPTURED_TABLE}`)).rows[0].n), before + report.inserts - report.deletes);
        const generator = new Client({
            host: "127.0.0.1",
            port: pipeline.postgres.port,
            database: pipeline.postgres.database,
            user: "cdc_generator",
            password: pipeline.operatorPassword,
        });
        await generator.connect();
        try {
            await assert.rejects(generator.query("CREATE TABLE retail.by_generator (id int)"), /permission denied/);
            await assert.rejects(generator.query(`SELECT * FROM ${sourceObjectNames(PREFIX).signalTable}`), /permission denied/);
        } finally {
            await generator.end();
        }
    });

    it("snapshot command: a captured table read again by incremental snapshot; status then lists it; an uncaptured table is refused", async () => {
        const refused = await runCommand("snapshot", ["--table", "public.nope"]);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /--table public\.nope: not captured by this stack \(captured: retail\.orders_info\)/);
        const before = (adx.ingested.get(names.changes) ?? []).filter((r) => r.row.snapshot === "incremental").length;
        const result = await runCommand("snapshot", ["--table", CAPTURED_TABLE]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^requested an incremental snapshot of retail\.orders_info \(signal pg-adx-cdc-/m);
        const { rows } = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE}`);
        let reads = 0;
        await pollUntil({
            attempt: async () =>
                (reads = (adx.ingested.get(names.changes) ?? []).filter((r) => r.row.snapshot === "incremental").length - before) >= rows[0].n ? true : undefined,
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () => new Error(`${reads} of ${rows[0].n} rows read again into ADX within 60 s`),
        });
        assert.equal(reads, rows[0].n, "every row of the table read again into ADX");
        const status = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.deepEqual(
            status.report.incrementalSnapshots.signals.map((s: any) => s.tables),
            [[CAPTURED_TABLE]],
        );
    });

    it("status: a paused source connector and the WAL its slot then holds make it exit 1, naming both", async () => {
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SOURCE}/pause`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SOURCE, "PAUSED");
        await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT g, 1.00, 'Lagtown' FROM generate_series(1, 500) g`);
        const result = await runCommand("status", ["--max-slot-lag-bytes", "1024"]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stdout, /^  - connector cdc-postgres-source is PAUSED$/m);
        assert.match(result.stdout, /^  - replication slot debezium_cdc holds \d+\.\d (KiB|MiB) of WAL, more than 1\.0 KiB/m);
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SOURCE}/resume`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        await waitForConnectorState(SOURCE, "RUNNING");
    });

    it("status: a sink that stops consuming falls behind the topic and makes it exit 1", async () => {
        await pauseSinkAndWrite(50, "Backlog");
        const result = await runCommand("status", ["--max-sink-lag", "10", "--json"]);
        const parsed = JSON.parse(result.stdout);
        assert.equal(result.code, 1);
        assert.ok(parsed.report.sinkLag.records >= 50, JSON.stringify(parsed.report.sinkLag));
        assert.ok(
            parsed.problems.some((p: string) => /^the sink is \d+ records behind the topics \(more than 10\); ADX is falling behind$/.test(p)),
            parsed.problems.join("; "),
        );
        await resumeSink();
    });

    it("status: a batch ADX rejects permanently (its mapping dropped) fails the sink task and holds its offset; exit 1 with ADX's reason; restart-sink after the fix replays it", async () => {
        const kafka = new Kafka({ clientId: "e2e-reject", brokers: [pipeline.bootstrapServers], logLevel: logLevel.NOTHING });
        const admin = kafka.admin();
        await admin.connect();
        // Each partition's first record after the mapping goes (the topic has DEFAULT_TABLE_PARTITIONS, a sink task each).
        const firstRejected = new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, Number(p.high)]));
        const mappingKey = `${names.changes}/${names.mapping}`;
        const mapping = adx.mappings.get(mappingKey)!;
        adx.mappings.delete(mappingKey);
        try {
            // Changes keep flowing: the sink's failed flush surfaces (fails the task) on its next put of a record.
            let result = await runCommand("status", ["--json"]);
            // Until status reports the failed task (asserted below from its last answer), a change a second.
            await pollUntil({
                attempt: async () => {
                    if (JSON.parse(result.stdout).problems.some((p: string) => /task \d+ is FAILED/.test(p))) return true;
                    await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) VALUES (7, 3.00, 'After')`);
                    await new Promise((r) => setTimeout(r, 1000));
                    result = await runCommand("status", ["--json"]);
                    return undefined;
                },
                timeoutMs: 60_000,
                intervalMs: 0,
                timeoutError: () => new Error("status did not report the failed task"),
            }).catch(() => undefined);
            const parsed = JSON.parse(result.stdout);
            assert.equal(result.code, 1);
            // The failed task, and ADX's reason: the real sink surfaces the failed flush on its next write, with the
            // mapping error or (seen once in CI) "write beyond end of stream"; status names ADX's refusal either way.
            assert.ok(
                parsed.problems.some((p: string) => /^connector cdc-adx-sink task \d+ is FAILED: /.test(p)),
                parsed.problems.join("; "),
            );
            assert.ok(
                parsed.problems.some((p: string) => /[Mm]apping|Error in flushByTime/.test(p)),
                parsed.problems.join("; "),
            );
            // The failed-task alert's input: the watchdog's health record, through the health topic and the real sink,
            // names the failed task in ADX (the heartbeat, on another task, stays fresh: the stalled alert cannot tell).
            let failedInAdx: any;
            await pollUntil({
                attempt: async () =>
                    (failedInAdx = (adx.ingested.get(WORKER_HEALTH_ADX.table) ?? [])
                        .map((r) => r.row)
                        .find((row: any) => row.failing_tasks >= 1 && jsonText(row.tasks).includes(`"connector":"${SINK}"`))),
                timeoutMs: 60_000,
                intervalMs: 500,
                timeoutError: () =>
                    new Error(`no health record in ADX names a failed ${SINK} task (${(adx.ingested.get(WORKER_HEALTH_ADX.table) ?? []).length} health records arrived)`),
            });
            const states = (
                await connectRequest(pipeline.connectUrl, "GET", `/connectors/${SINK}/status`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 })
            ).data as any;
            process.stderr.write(
                `e2e: health record in ADX: ${jsonText(failedInAdx).slice(0, 300)}; sink tasks now ${states.tasks.map((t: any) => `${t.id}:${t.state}`).join(", ")}\n`,
            );
            const failedTask = (typeof failedInAdx.tasks === "string" ? JSON.parse(failedInAdx.tasks) : failedInAdx.tasks).find((t: any) => t.connector === SINK);
            // (The double keeps a dynamic value's numbers lossless: { value: "2" }.)
            assert.ok(Number.isInteger(Number(failedTask.task?.value ?? failedTask.task)), jsonText(failedTask));
            // The connectors taking their initial snapshot (none now: the stalled alert stays armed), as a dynamic array.
            assert.ok(Array.isArray(failedInAdx.initial_snapshots) && failedInAdx.initial_snapshots.length === 0, jsonText(failedInAdx));
            assert.ok(failedInAdx.worker && failedInAdx.connect_group === E2E_CONNECT_GROUP_ID && !Number.isNaN(Date.parse(String(failedInAdx.at))), jsonText(failedInAdx));
            for (const committed of (await admin.fetchOffsets({ groupId: `connect-${SINK}`, topics: [TOPIC] }))[0].partitions)
                assert.ok(
                    Number(committed.offset) <= firstRejected.get(committed.partition)!,
                    `the sink committed ${committed.offset} of partition ${committed.partition}, past its first rejected record at ${firstRejected.get(committed.partition)}`,
                );
            const restart = await runCommand("restart-sink", []);
            assert.equal(restart.code, 0, restart.stdout + restart.stderr);
            assert.match(restart.stdout, /^task \d+ FAILED: /m);
            assert.match(restart.stdout, /^restarted \d+ failed task\(s\) of cdc-adx-sink/m);
            // The fix (pulumi up re-creates the mapping), then restart-sink: the rejected changes arrive, none dropped.
            adx.mappings.set(mappingKey, mapping);
            await new Promise((r) => setTimeout(r, 2000));
            await runCommand("restart-sink", []);
            const { rows } = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE} WHERE city = 'After'`);
            let inAdx = 0;
            await pollUntil({
                attempt: async () => ((inAdx = (await sink.currentRows(CAPTURED_TABLE)).filter((r) => r.city === "After").length) >= rows[0].n ? true : undefined),
                timeoutMs: 60_000,
                intervalMs: 500,
                timeoutError: () => new Error(`${inAdx} of ${rows[0].n} rejected changes arrived within 60 s of the fix`),
            });
            assert.equal(inAdx, rows[0].n, "every change ADX rejected arrived after the fix");
        } finally {
            // A failure above must not leave the mapping dropped and the task failed for the tests after this one.
            if (!adx.mappings.has(mappingKey)) {
                adx.mappings.set(mappingKey, mapping);
                await runCommand("restart-sink", []).catch(() => undefined);
            }
            await admin.disconnect();
        }
    });

    it("status: records retention deleted before the sink read them are a DATA GAP (exit 1, the table and the repair named); the snapshot command repairs it", async () => {
        // Stopped, not paused: a paused consumer may already hold the next records it fetched, and would deliver them after the deletion.
        await pauseSinkAndWrite(30, "Gap", "stop");
        // Retention, compressed: the topic drops everything it holds while the sink is away.
        const admin = kafkaClient(pipeline.kafka, "operations-test-retention").admin();
        await admin.connect();
        try {
            await admin.fetchTopicMetadata({ topics: [TOPIC] });
            const ends = await admin.fetchTopicOffsets(TOPIC);
            assert.equal(ends.length, DEFAULT_TABLE_PARTITIONS, "the table's topic has the stack's partitions");
            await admin.deleteTopicRecords({ topic: TOPIC, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
            for (const p of await admin.fetchTopicOffsets(TOPIC)) assert.equal(p.low, p.high, `partition ${p.partition} holds nothing now`);
        } finally {
            await admin.disconnect();
        }
        const result = await runCommand("status", ["--json"]);
        const parsed = JSON.parse(result.stdout);
        assert.equal(result.code, 1);
        assert.ok(
            parsed.problems.some((p: string) =>
                new RegExp(
                    `^DATA GAP: ${TOPIC.replace(/\./g, "\\.")} partition \\d+ lost offsets \\d+-\\d+ to retention before the sink read them; .*Repair: pg-adx-cdc snapshot --table ${CAPTURED_TABLE.replace(/\./g, "\\.")}`,
                ).test(p),
            ),
            `${parsed.problems.join("; ")} | gaps ${JSON.stringify(parsed.report.dataGaps)} | lag ${JSON.stringify(parsed.report.sinkLag)}`,
        );
        // Resumed, the sink never skips the gap by itself (auto.offset.reset=none): its task stops at the gap,
        // its committed offset stays where it was, and status keeps saying so.
        const committedBefore = await sinkCommittedOffsets();
        const gapPartitions: number[] = parsed.report.dataGaps.map((g: { partition: number }) => g.partition);
        await connectRequest(pipeline.connectUrl, "PUT", `/connectors/${SINK}/resume`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 });
        let trace = "";
        await pollUntil({
            attempt: async () => {
                const s = (await connectRequest(pipeline.connectUrl, "GET", `/connectors/${SINK}/status`, undefined, { deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1000 }))
                    .data;
                trace = s.tasks.map((t: any) => `${t.state} ${t.trace ?? ""}`).join("; ");
                return s.tasks.some((t: any) => t.state === "FAILED" && /OffsetOutOfRangeException/.test(t.trace ?? "")) ? true : undefined;
            },
            timeoutMs: 60_000,
            intervalMs: 500,
            timeoutError: () => new Error(`the resumed sink did not stop at the gap: ${trace.slice(0, 2000)}`),
        });
        await new Promise((r) => setTimeout(r, 8000)); // several watchdog rounds: it must not restart the task past the gap
        assert.deepEqual(await sinkCommittedOffsets(), committedBefore, "the sink's committed offsets did not move past the gap");
        const held = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.ok(
            held.problems.some((p: string) => p.startsWith("DATA GAP:")),
            held.problems.join("; "),
        );
        assert.ok(
            held.problems.some((p: string) => /stopped at an offset the topic no longer holds/.test(p)),
            `the watchdog left the task failed and said why: ${held.problems.join("; ")}`,
        );
        assert.ok(
            held.report.watchdog.every((w: any) => w.attempts === 0),
            `the watchdog did not restart into the gap: ${JSON.stringify(held.report.watchdog)}`,
        );
        // An operator's restart-sink does not pretend to fix it: it says what does, exit 1.
        const restart = await runCommand("restart-sink", []);
        assert.equal(restart.code, 1, restart.stdout + restart.stderr);
        assert.match(
            restart.stdout,
            /stopped at an offset the topic no longer holds .*a restart cannot fix that\. .*pg-adx-cdc snapshot --table <table> moves the sink past the gap/,
        );
        assert.deepEqual(await sinkCommittedOffsets(), committedBefore, "and the sink is still at the gap");
        // The repair: the snapshot command moves the sink to the topic's first offset and reads the table again.
        const repair = await runCommand("snapshot", ["--table", CAPTURED_TABLE]);
        assert.equal(repair.code, 0, repair.stdout + repair.stderr);
        for (const partition of gapPartitions)
            assert.match(
                repair.stdout,
                new RegExp(`moved the sink from offset ${committedBefore.get(partition)} to \\d+ of ${TOPIC.replace(/\./g, "\\.")} partition ${partition} `),
            );
        const { rows } = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE} WHERE city = 'Gap'`);
        let inAdx = 0;
        await pollUntil({
            attempt: async () => ((inAdx = (await sink.currentRows(CAPTURED_TABLE)).filter((r) => r.city === "Gap").length) >= rows[0].n ? true : undefined),
            timeoutMs: 120_000,
            intervalMs: 500,
            timeoutError: () => new Error(`${inAdx} of ${rows[0].n} rows lost to the gap are in ADX after the repair`),
        });
        // Not only as many: the whole table's current state in ADX equals PostgreSQL, value by value.
        await waitUntilAdxEqualsSource("after the gap's repair", 60_000);
        await pollUntil({
            attempt: async () => {
                const after = JSON.parse((await runCommand("status", ["--json"])).stdout);
                return after.problems.some((p: string) => /DATA GAP|stopped at an offset/.test(p)) ? undefined : true;
            },
            timeoutMs: 60_000,
            intervalMs: 2000,
            timeoutError: () => new Error("status still reports the gap after the repair"),
        });
    });

    it("a topic re-created under load: the current state keeps each key's changes in emitted order across the old topic and the new (emission stamps); status names it; snapshot --table and reconcile --repair, with nothing cleared in ADX, make ADX equal to the source", async () => {
        const before = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.ok(!before.problems.some((p: string) => /ORDER BROKEN|TOPIC RE-CREATED/.test(p)), before.problems.join("; "));
        const {
            rows: [{ top }],
        } = await source.admin.query(`SELECT max(orderid)::int AS top FROM ${CAPTURED_TABLE}`);
        const { rows: updated } = await source.admin.query(`SELECT orderid FROM ${CAPTURED_TABLE} ORDER BY orderid LIMIT 30`);
        // 60 rounds of updates of those keys, delivered: the old topic holds their changes at high offsets.
        await source.admin.query(
            `DO $$ BEGIN FOR i IN 1..60 LOOP UPDATE ${CAPTURED_TABLE} SET amount = amount + 1 WHERE orderid <= ${Number(updated[updated.length - 1].orderid)}; END LOOP; END $$`,
        );
        await pollUntil({
            attempt: async () => {
                const c = await compareWithSource(pipeline, source.admin, sink, CAPTURED_TABLE);
                return c.mismatches.length === 0 && c.adxRows === c.sourceRows ? true : undefined;
            },
            timeoutMs: 120_000,
            intervalMs: 1000,
            timeoutError: () => new Error("ADX did not catch up with the 1,800 updates before the topic's deletion"),
        });
        // Under load: updates of existing keys (each has rows at high offsets in the old topic) across the deletion.
        let writing = true;
        let updates = 0;
        const writer = (async () => {
            while (writing) {
                await source.admin.query(`UPDATE ${CAPTURED_TABLE} SET amount = amount + 1 WHERE orderid = $1`, [updated[updates % updated.length].orderid]);
                updates++;
                await new Promise((r) => setTimeout(r, 20));
            }
        })();
        try {
            await new Promise((r) => setTimeout(r, 2000));
            // A lost broker volume, or event hubs deleted and created again: the topic goes, and the next change creates it anew.
            const admin = kafkaClient(pipeline.kafka, "operations-test-recreate").admin();
            await admin.connect();
            try {
                await admin.deleteTopics({ topics: [TOPIC], timeout: 30_000 });
            } finally {
                await admin.disconnect();
            }
            await new Promise((r) => setTimeout(r, 3000));
            // Deletes of keys the old topic carried, and new keys, into the new topic.
            await source.admin.query(`DELETE FROM ${CAPTURED_TABLE} WHERE orderid IN (SELECT orderid FROM ${CAPTURED_TABLE} WHERE orderid > $1 ORDER BY orderid DESC LIMIT 10)`, [
                updated[updated.length - 1].orderid,
            ]);
            await source.admin.query(`INSERT INTO ${CAPTURED_TABLE} (custid, amount, city) SELECT g, 3.00, 'Recreated' FROM generate_series(1, 10) g`);
            await new Promise((r) => setTimeout(r, 2000));
        } finally {
            writing = false;
            await writer;
        }
        process.stderr.write(`e2e: ${updates} updates of 30 keys across the topic's deletion\n`);
        // Which report depends on a race in the broker: whether the sink's offset commit for the old topic lands
        // after the new topic exists (kept: the sink stops past its end) or the group's offsets go with the topic
        // (a partition never committed: the watchdog gives it offset 0, and positions repeat in ADX).
        let problems: string[] = [];
        await pollUntil({
            attempt: async () => {
                const result = await runCommand("status", ["--json"]);
                problems = JSON.parse(result.stdout).problems;
                return result.code === 1 && problems.some((p) => /^TOPIC RE-CREATED/.test(p)) ? true : undefined;
            },
            timeoutMs: 120_000,
            intervalMs: 3000,
            timeoutError: () => new Error(`status did not report the re-created topic: ${problems.join("; ")}`),
        });
        const said = problems.find((p) => /^TOPIC RE-CREATED/.test(p))!;
        process.stderr.write(`e2e: status says: ${said}\n`);
        assert.ok(!problems.some((p) => p.startsWith("ORDER BROKEN")), "every change of the new topic is stamped: the order is intact");
        const table = CAPTURED_TABLE.replace(/\./g, "\\.");
        const repairSaid = `Repair: pg-adx-cdc snapshot --table ${table} \\(.*\\), then pg-adx-cdc reconcile --table ${table} --repair`;
        if (/partition \d+: the sink's/.test(said)) {
            assert.match(
                said,
                new RegExp(
                    `^TOPIC RE-CREATED: ${TOPIC.replace(/\./g, "\\.")} partition \\d+: the sink's (committed offset|position \\(where its task stopped; the group kept no offset\\)) (\\d+) is past the topic's end \\(\\d+\\).*${repairSaid}`,
                ),
            );
            const [, partitionText, where, offsetText] = /partition (\d+): the sink's (committed offset|position) .*?(\d+) is past/.exec(said)!;
            if (where === "committed offset") {
                await new Promise((r) => setTimeout(r, 5000));
                assert.equal((await sinkCommittedOffsets()).get(Number(partitionText)), Number(offsetText), "the sink stays where it was: it neither rewinds nor skips");
            }
        } else assert.match(said, new RegExp(`^TOPIC RE-CREATED: ${table}: \\d+ Kafka position\\(s\\) hold two different changes in ADX .*${repairSaid}`));
        // The repair, as status words it, and nothing cleared in ADX: the old topic's rows stay, at offsets the new one reuses.
        const repair = await runCommand("snapshot", ["--table", CAPTURED_TABLE]);
        assert.equal(repair.code, 0, repair.stdout + repair.stderr);
        const {
            rows: [{ n }],
        } = await source.admin.query(`SELECT count(*)::int AS n FROM ${CAPTURED_TABLE}`);
        let comparison: Awaited<ReturnType<typeof compareWithSource>> | undefined;
        const equal = async () => {
            comparison = await compareWithSource(pipeline, source.admin, sink, CAPTURED_TABLE);
            return comparison.adxRows === n && comparison.mismatches.length === 0;
        };
        // Changes the old topic held unread when it went are lost: the re-read brings every row back, a lost delete is reconcile's.
        let reconciled: { code: number; stdout: string; stderr: string } | undefined;
        for (let attempt = 0; attempt < 3 && reconciled?.code !== 0; attempt++) reconciled = await runCommand("reconcile", ["--table", CAPTURED_TABLE, "--repair"]);
        assert.equal(reconciled!.code, 0, reconciled!.stdout + reconciled!.stderr);
        await pollUntil({
            attempt: async () => ((await equal()) ? true : undefined),
            timeoutMs: 120_000,
            intervalMs: 1000,
            timeoutError: () =>
                new Error(`after the repair ADX holds ${comparison?.adxRows} current rows against ${n} in PostgreSQL: ${comparison?.mismatches.slice(0, 5).join("; ")}`),
        });
        // The order proven on the rows ADX holds: keys whose current row sits at a lower Kafka offset than an older change of theirs.
        const { kafkaOffset, emissionStamp } = changeMetadataColumns([]);
        const byKey = new Map<string, { offset: bigint; stamp: bigint | null }[]>();
        for (const { row } of adx.ingested.get(names.changes)!) {
            if (row.orderid === null || row.orderid === undefined || Number(row.orderid) > top) continue;
            const list = byKey.get(String(row.orderid)) ?? [];
            list.push({ offset: BigInt(row[kafkaOffset.column] as bigint), stamp: row[emissionStamp.column] === null ? null : BigInt(row[emissionStamp.column] as bigint) });
            byKey.set(String(row.orderid), list);
        }
        const overtaken = [...byKey.values()].filter((changes) => {
            const stamped = changes.filter((c) => c.stamp !== null);
            const latest = stamped.reduce((a, b) => (b.stamp! > a.stamp! ? b : a), stamped[0]);
            return latest && changes.some((c) => c.offset > latest.offset);
        }).length;
        process.stderr.write(`e2e: ${overtaken} keys' current row sits below an older change's offset (the new topic's)\n`);
        assert.ok(overtaken >= 20, `the new topic's changes won over the old topic's higher offsets for ${overtaken} keys`);
        // Proven since: a recorded reconcile that finds the table equal clears the report.
        assert.equal((await runCommand("reconcile", ["--table", CAPTURED_TABLE, "--record"])).code, 0);
        const after = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.ok(!after.problems.some((p: string) => /TOPIC RE-CREATED|ORDER BROKEN|stopped at an offset/.test(p)), after.problems.join("; "));
    });

    it("snapshot --replace: a row ADX holds that left the table with no change event (as a detached partition's rows do) is gone after the re-read; the current state equals the source", async () => {
        // The row: a key PostgreSQL never had, in ADX as if its table had held it (an old LSN, a Kafka position of its own).
        const { kafkaOffset, lsn } = changeMetadataColumns([]);
        const rows = adx.ingested.get(names.changes)!;
        const template = rows.find((r) => r.row.orderid !== undefined && r.row.orderid !== null)!;
        const maxOffset = Math.max(...rows.map((r) => Number(r.row[kafkaOffset.column] ?? 0)));
        rows.push({ row: { ...template.row, orderid: 987654321, [lsn.column]: 1, [kafkaOffset.column]: maxOffset + 1_000_000 }, receivedAtMs: Date.now() });
        const before = await compareWithSource(pipeline, source.admin, sink, CAPTURED_TABLE);
        assert.ok(
            before.mismatches.some((m) => /987654321/.test(m)),
            `the stray row shows as a difference: ${before.mismatches.slice(0, 3).join("; ")}`,
        );
        // A fence whose re-read ended without reading the whole table (Debezium's SQL_EXCEPTION or SKIPPED): an hour old, named
        // by no running incremental snapshot. It hides nothing (LSN 0), and status says so and what repairs it.
        const { op, emissionStamp, record, sourceTs, kafkaPartition } = changeMetadataColumns([]);
        const lostSignal = "pg-adx-cdc-reread-that-failed";
        const order = changeOrderColumn([]);
        if (!adx.ingested.has(names.fences)) adx.ingested.set(names.fences, []);
        adx.ingested.get(names.fences)!.push({
            row: {
                [op.column]: TRUNCATE_OP,
                [lsn.column]: 0,
                [kafkaPartition.column]: 0,
                [kafkaOffset.column]: 0,
                [sourceTs.column]: new Date(Date.now() - 3_600_000).toISOString(),
                [FENCE_ENDS_COLUMN]: 0,
                // After every change (and every earlier re-read's end) ADX holds.
                [order]:
                    rows.reduce(
                        (max, r) =>
                            r.row[emissionStamp.column] != null && BigInt(r.row[emissionStamp.column] as bigint) > max ? BigInt(r.row[emissionStamp.column] as bigint) : max,
                        0n,
                    ) + 1n,
                [FENCE_REREAD_COLUMN]: lostSignal,
            },
            receivedAtMs: Date.now(),
        });
        const lost = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.deepEqual(
            lost.report.waitingFences.map((w: any) => [w.table, w.rereads]),
            [[CAPTURED_TABLE, [lostSignal]]],
        );
        assert.ok(
            lost.problems.some((p: string) =>
                new RegExp(
                    `^RE-READ WITHOUT END: ADX holds a fence for ${CAPTURED_TABLE.replace(/\./g, "\\.")} .*Repair: pg-adx-cdc snapshot --table ${CAPTURED_TABLE.replace(/\./g, "\\.")} --replace`,
                ).test(p),
            ),
            lost.problems.join("\n"),
        );
        const result = await runCommand("snapshot", ["--table", CAPTURED_TABLE, "--replace"]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(
            result.stdout,
            /^fenced retail\.orders_info at \d+\/[0-9A-F]+: once the re-read has read the whole table, ADX's current state drops the rows it held before the fence that the re-read did not find/m,
        );
        const signal = /\(signal (\S+)\)/.exec(result.stdout)![1];
        const comparison = await waitUntilAdxEqualsSource("after snapshot --replace", 90_000);
        process.stderr.write(`e2e: snapshot --replace: ${comparison.sourceRows} source rows = ${comparison.adxRows} current rows in ADX, the stray row hidden\n`);
        // The fence named its re-read, and Debezium's end of that read reached ADX after it: what applied the fence.
        const truncates = adx.ingested.get(names.changes)!.filter((r) => r.row[op.column] === TRUNCATE_OP && (r.row[record.column] as any)?.[REREAD_FIELD] === signal);
        const fenceRow = truncates.find((r) => r.row[lsn.column] !== null);
        const endRow = truncates.find((r) => r.row[lsn.column] === null);
        assert.ok(fenceRow && endRow, `the fence and the re-read's end, both naming signal ${signal}: ${truncates.map((r) => String(r.row[lsn.column])).join(", ")}`);
        assert.ok(BigInt(endRow.row[emissionStamp.column] as bigint) > BigInt(fenceRow.row[emissionStamp.column] as bigint), "the end follows the fence");
        // The end follows both fences: status finds none waiting.
        const ended = JSON.parse((await runCommand("status", ["--json"])).stdout);
        assert.deepEqual(ended.report.waitingFences, []);
        assert.ok(!ended.problems.some((p: string) => p.startsWith("RE-READ")), ended.problems.join("\n"));
    });
});
