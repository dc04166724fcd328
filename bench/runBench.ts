// npm run bench: latency and sustained throughput on the real local pipeline, the quickstarts'
// settings ("quickstart" profile) against the stack's tuned settings, interleaved in one run on one
// machine. Per change: commit → topic (the record read from the topic minus its commit time in
// PostgreSQL, __source_ts_ms) and commit → ADX (the real Kusto sink's request carrying the row
// reaching the ADX double, minus the same commit time). Quickstart sink: flush every 30 s or 10 kB,
// queued ingestion with 30 s batching; tuned: the stack's sink config (1 s flush, streaming). Writes
// bench-results/bench.json, latency.svg and adx-latency.svg.
import * as fs from "fs";
import * as path from "path";
import { startLocalPipeline, LocalPipeline } from "../local/localPipeline";
import { readTopic } from "../local/topicReader";
import { REPO_ROOT } from "../local/prerequisites";
import { adminClient } from "../local/capturedSource";
import { Client } from "pg";
import { topicForTable, tunedSourceSettings, DEFAULT_KAFKA_COMPRESSION } from "../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";
import { DROP_SLOT_SQL, sourceObjectNames } from "../postgres/sourceSchema";
import { runOrdersGeneratorOnConnections } from "../generator/ordersGenerator";
import { sampleProcess, sampleProcessTree, sampleThisProcess, summarizeLatencies, LatencySummary } from "./measurements";
import { JvmProfile, profileJvm } from "./jvmProfile";
import { pollUntil } from "../runtime/pollUntil";
import { renderLatencyChart } from "./latencyChart";
import { BENCH_DEFAULTS, BenchOptions } from "./benchPlan";
import { deployKustoSink } from "../local/kustoSinkDeployment";
import { adxNamesFor, changeMetadataColumns } from "../kql/adxModel";
import { getKustoAccessToken, runKustoCommand } from "../kql/kustoRestClient";
import { renderTextTable } from "./textTable";
import { benchSourceConnectorInputs } from "./benchSourceConnector";
import { HEARTBEAT_TOPIC_PARTITIONS } from "../connectors/kafkaTopics";
import { kafkaClient } from "../runtime/kafkaClient";
import { InitialLoadSummary, runInitialLoadBench } from "./initialLoad";
import { INITIAL_LOAD_DEFAULTS } from "./initialLoadPlan";
import { ManyTablesSummary, runManyTablesBench } from "./manyTables";
import { MANY_TABLES_DEFAULTS } from "./manyTablesPlan";

type Profile = "quickstart" | "tuned";
const TABLE = "retail.orders_info";
/** Lag counts as bounded when the topic catches up within this long after the load stops. */
const BOUNDED_DRAIN_MS = 2000;

interface RunResult {
    profile: Profile;
    /** false: the capture path alone, no sink connector (the capture ramp). */
    withSink: boolean;
    offeredRate: number;
    achievedRate: number;
    changes: number;
    delivered: number;
    latencyMs: LatencySummary;
    drainMs: number;
    generatorBehindBy: number;
    connect: { cpuPercent: number; maxRssMiB: number };
    broker: { cpuPercent: number; maxRssMiB: number };
    /** PostgreSQL: the postmaster, its backends (the generator's connections) and walsenders. */
    postgres: { cpuPercent: number; maxRssMiB: number };
    /** This Node process: the generator's client side, the ADX double and the topic reader. */
    benchProcess: { cpuPercent: number; maxRssMiB: number };
    /** A JFR profile of the Connect worker during the load (the saturation step only). */
    connectProfile?: JvmProfile;
    /** Commit → the row reaching the ADX double through the real sink, and the ingest requests that carried them. */
    adx: { delivered: number; latencyMs: LatencySummary; drainMs: number; ingestion: "streaming" | "queued" | "none"; requestsPerSecond: number; averageRequestBytes: number };
    /** What a change costs: Connect's CPU time per 1,000 changes, and the bytes of ingest requests per change delivered. */
    cost: { connectCpuMsPer1000Changes: number; requestBytesPerChange: number };
}

/** Generator connections for a rate: one up to 1,000 changes/s, then one per 1,000/s up to 8. */
function connectionsFor(rate: number): number {
    return Math.min(8, Math.max(1, Math.ceil(rate / 1000)));
}

/**
 * What the generator alone can offer on this machine: 8 connections, as fast as PostgreSQL takes
 * them, 10 s, with no connector reading the WAL (between runs the bench has none).
 */
async function measureGeneratorCeiling(pipeline: LocalPipeline): Promise<number> {
    const clients = await Promise.all(Array.from({ length: 8 }, () => adminClient(pipeline)));
    const report = await runOrdersGeneratorOnConnections(clients, { rate: 200_000, durationMs: 10_000, updates: 0.2, deletes: 0.05, batchSize: 10 });
    await Promise.all(clients.map((c) => c.end()));
    return report.achievedRate;
}

/**
 * Waits until the new connector streams: until a heartbeat-table change committed now arrives as a
 * streamed event (not a snapshot read). Load offered earlier would partly be folded into the
 * connector's initial snapshot (several changes of a row read as one row), and the run would count
 * fewer records than changes.
 */
async function waitUntilStreaming(pipeline: LocalPipeline, admin: Client, prefix: string, heartbeatTable: string): Promise<void> {
    const reader = await readTopic(pipeline.kafka, topicForTable(prefix, heartbeatTable), HEARTBEAT_TOPIC_PARTITIONS);
    try {
        await pollUntil({
            attempt: async () => {
                if (reader.records.some((r) => r.value && r.value.__op !== "r")) return true;
                await admin.query(`INSERT INTO ${heartbeatTable} (id, beat_at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET beat_at = EXCLUDED.beat_at`);
                return undefined;
            },
            timeoutMs: 120_000,
            intervalMs: 500,
            timeoutError: () => new Error(`the connector for ${prefix} did not start streaming within 120 s`),
        });
    } finally {
        await reader.stop();
    }
}

/** Drops a bench run's slot once its connector is gone (the slot stays active until the walsender has exited). */
export async function dropSlotOnceReleased(admin: Client, slot: string): Promise<void> {
    await pollUntil({
        attempt: async () => ((await admin.query(DROP_SLOT_SQL, [slot])).rows[0].outcome === "active" ? undefined : true),
        timeoutMs: 30_000,
        intervalMs: 500,
        timeoutError: () => new Error(`slot ${slot} stayed active 30 s after its connector was deleted`),
    });
}

/** The quickstarts' sink settings: the connector's 30 s flush, 10 kB buffers, queued ingestion. */
const QUICKSTART_SINK = { flushIntervalMs: 30_000, flushSizeBytes: 10_000 };

const say = (m: string) => process.stdout.write(`${m}\n`);
/** One progress line, rewritten in place on a terminal, appended in logs. */
const progress = (m: string) => (process.stderr.isTTY ? process.stderr.write(`\r\x1b[2Kbench: ${m}`) : m && process.stderr.write(`bench: ${m}\n`));

async function runOnce(
    pipeline: LocalPipeline,
    profile: Profile,
    rate: number,
    seconds: number,
    run: number,
    options: { jfrFile?: string; withSink?: boolean } = {},
): Promise<RunResult> {
    const { jfrFile, withSink = true } = options;
    const admin = await adminClient(pipeline);
    const shared = sourceObjectNames("bench");
    const prefix = `bench${run}`;
    const slot = `bench_${profile}_${run}`;
    const name = `bench-${profile}-${run}`;
    // A small table keeps each run's initial snapshot trivial; truncates are not captured by default.
    await admin.query(`TRUNCATE ${TABLE}`);
    // The quickstarts' topic is the broker's default (one partition) and their sink one task; tuned: the stack's.
    const tablePartitions = profile === "quickstart" ? 1 : pipeline.tablePartitions;
    const reader = await readTopic(pipeline.kafka, topicForTable(prefix, TABLE), tablePartitions);
    // The real Kusto sink for this run's topic, into the ADX double (the stack's model for the table).
    const sink = withSink
        ? await deployKustoSink(pipeline, {
              topicPrefix: prefix,
              tables: [TABLE],
              connectorName: `${name}-sink`,
              streamingIngestion: profile === "tuned",
              tablePartitions,
              sink: profile === "quickstart" ? QUICKSTART_SINK : {},
          })
        : undefined;
    const adxTable = adxNamesFor(TABLE).changes;
    // The quickstarts leave the table's batching at what their docs set (30 s); the stack's model says 10 s.
    if (profile === "quickstart")
        await runKustoCommand(
            pipeline.adx.url,
            "cdc",
            `.alter table ${adxTable} policy ingestionbatching \`\`\`{ "MaximumBatchingTimeSpan": "00:00:30", "MaximumNumberOfItems": 500, "MaximumRawDataSizeMB": 1024 }\`\`\``,
            await getKustoAccessToken(pipeline.adx.url),
        );
    // This run's rows only: the double would otherwise keep every row of the whole bench in this process
    // (1.9 GB by the ramp's end in one run), and its garbage collection would load the cores the pipeline runs on.
    pipeline.adx.ingested.delete(adxTable);
    pipeline.adx.ingestRequests.splice(0);
    const adxFrom = (pipeline.adx.ingested.get(adxTable) ?? []).length;
    const requestsFrom = pipeline.adx.ingestRequests.length;
    const inputs = benchSourceConnectorInputs(pipeline, { name, prefix, slot, tables: [TABLE], shared }, { profile, topicCreation: { tablePartitions } });
    await kafkaConnectorProvider.create!(inputs);
    await waitUntilStreaming(pipeline, admin, prefix, shared.heartbeatTable);
    const before = reader.records.length;
    const connectCpu = sampleProcess(pipeline.processes.connect.child.pid!);
    const brokerCpu = sampleProcess(pipeline.processes.kafka.child.pid!);
    const postgresCpu = sampleProcessTree(pipeline.processes.postgres.child.pid!);
    const benchCpu = sampleThisProcess();
    // Several connections at high rates: one connection's round trips would otherwise be the limit.
    const clients = await Promise.all(Array.from({ length: connectionsFor(rate) }, () => adminClient(pipeline)));
    const generate = () =>
        runOrdersGeneratorOnConnections(clients, {
            rate,
            durationMs: seconds * 1000,
            updates: 0.2,
            deletes: 0.05,
            batchSize: rate >= 1000 ? 10 : 1,
            onProgress: (r) =>
                progress(
                    `${profile} @${rate}/s ${Math.round(r.elapsedMs / 1000)}/${seconds} s, ${r.inserts + r.updates + r.deletes} changes, topic lag ${r.inserts + r.updates + r.deletes - (reader.records.length - before)}`,
                ),
        });
    // With a JFR file: Connect is recorded while the load runs (where its time goes at this rate).
    const { result: report, profile: connectProfile } = jfrFile
        ? await profileJvm(pipeline.processes.connect.child.pid!, seconds, jfrFile, generate)
        : { result: await generate(), profile: undefined };
    await Promise.all(clients.map((c) => c.end()));
    const stoppedAt = Date.now();
    const changes = report.inserts + report.updates + report.deletes;
    await reader
        .waitFor(`${changes} records`, (records) => records.length - before >= changes, 120_000)
        .catch(async (error) => {
            // Tell a reader that fell short from a topic that did: the topic's end offsets hold what Kafka has.
            const admin = kafkaClient(pipeline.kafka, "bench-topic-ends").admin();
            await admin.connect();
            try {
                const inTopic = (await admin.fetchTopicOffsets(topicForTable(prefix, TABLE))).reduce((n, p) => n + Number(p.high), 0);
                const keys = new Set(reader.records.map((r) => `${r.value?.orderid}/${r.value?.__lsn}/${r.value?.__op}`));
                throw new Error(
                    `${error.message}; the topic holds ${inTopic} records in all (the reader read ${reader.records.length}, ${keys.size} distinct changes), ` +
                        `${changes} committed by this run`,
                );
            } finally {
                await admin.disconnect();
            }
        });
    const lastReadAt = reader.records.slice(before).reduce((latest, r) => Math.max(latest, r.readAtMs), 0);
    const drainMs = Math.max(0, lastReadAt - stoppedAt);
    const connect = connectCpu.stop();
    const broker = brokerCpu.stop();
    const postgres = postgresCpu.stop();
    const benchProcess = benchCpu.stop();
    const latencies = reader.records
        .slice(before)
        .filter((r) => r.value.__op !== "r")
        .map((r) => r.readAtMs - r.value.__source_ts_ms);
    await reader.stop();
    // Into ADX: every change of this run, through the sink (the quickstart's 30 s flush and batching included).
    const { op, sourceTs } = changeMetadataColumns([]);
    const adxRows = () => (pipeline.adx.ingested.get(adxTable) ?? []).slice(adxFrom).filter((r) => r.row[op.column] !== "r");
    // A run whose changes do not all arrive within 3 minutes is reported with what did (delivered < changes), not aborted.
    await pollUntil({
        attempt: async () => (!sink || adxRows().length >= changes ? true : undefined),
        timeoutMs: 180_000,
        intervalMs: 500,
        onWait: () => progress(`${profile} @${rate}/s: ${adxRows().length}/${changes} changes in ADX`),
        timeoutError: () => new Error("not every change reached ADX"),
    }).catch(() => undefined);
    const arrived = adxRows();
    const adxLatencies = arrived.map((r) => r.receivedAtMs - Date.parse(String(r.row[sourceTs.column])));
    const requests = pipeline.adx.ingestRequests.slice(requestsFrom).filter((r) => r.status === 200);
    const requestSpanS = requests.length > 1 ? Math.max(1, (requests[requests.length - 1].atMs - requests[0].atMs) / 1000) : 1;
    await sink?.delete();
    await kafkaConnectorProvider.delete!(name, inputs);
    await dropSlotOnceReleased(admin, slot);
    await admin.end();
    progress("");
    return {
        profile,
        withSink,
        offeredRate: rate,
        achievedRate: report.achievedRate,
        changes,
        delivered: latencies.length,
        latencyMs: summarizeLatencies(latencies),
        drainMs,
        generatorBehindBy: report.behindBy,
        connect,
        broker,
        postgres,
        benchProcess,
        ...(connectProfile ? { connectProfile } : {}),
        adx: {
            delivered: arrived.length,
            latencyMs: summarizeLatencies(adxLatencies),
            drainMs: Math.max(0, arrived.reduce((latest, r) => Math.max(latest, r.receivedAtMs), 0) - stoppedAt),
            ingestion: !sink ? "none" : profile === "tuned" ? "streaming" : "queued",
            requestsPerSecond: Math.round((requests.length / requestSpanS) * 10) / 10,
            averageRequestBytes: requests.length ? Math.round(requests.reduce((n, r) => n + r.bytes, 0) / requests.length) : 0,
        },
        cost: {
            // cpuPercent is % of one core over the load: 1% is 10 ms of CPU per second.
            connectCpuMsPer1000Changes: report.achievedRate > 0 ? Math.round((connect.cpuPercent * 10 * 1000) / report.achievedRate) : 0,
            requestBytesPerChange: arrived.length ? Math.round(requests.reduce((n, r) => n + r.bytes, 0) / arrived.length) : 0,
        },
    };
}

function table(results: RunResult[]): string {
    const rendered = renderTextTable<RunResult>(
        [
            { title: "profile", cell: (r) => (r.withSink ? r.profile : `${r.profile}*`), left: true },
            { title: "offered/s", cell: (r) => r.offeredRate },
            { title: "achieved/s", cell: (r) => r.achievedRate },
            { title: "changes", cell: (r) => r.changes },
            { title: "p50 ms", cell: (r) => r.latencyMs.p50 },
            { title: "p95 ms", cell: (r) => r.latencyMs.p95 },
            { title: "p99 ms", cell: (r) => r.latencyMs.p99 },
            { title: "max ms", cell: (r) => r.latencyMs.max },
            { title: "drain ms", cell: (r) => r.drainMs },
            { title: "Connect CPU/RSS", cell: (r) => `${r.connect.cpuPercent}% ${r.connect.maxRssMiB}MiB` },
            { title: "broker CPU/RSS", cell: (r) => `${r.broker.cpuPercent}% ${r.broker.maxRssMiB}MiB` },
            { title: "PG CPU/RSS", cell: (r) => `${r.postgres.cpuPercent}% ${r.postgres.maxRssMiB}MiB` },
            { title: "bench CPU/RSS", cell: (r) => `${r.benchProcess.cpuPercent}% ${r.benchProcess.maxRssMiB}MiB` },
            { title: "| into ADX: delivered", cell: (r) => `| ${r.adx.ingestion} ${r.adx.delivered}` },
            { title: "p50 ms", cell: (r) => r.adx.latencyMs.p50 },
            { title: "p99 ms", cell: (r) => r.adx.latencyMs.p99 },
            { title: "requests/s", cell: (r) => r.adx.requestsPerSecond },
            { title: "avg bytes", cell: (r) => r.adx.averageRequestBytes },
            { title: "| Connect CPU-ms/1k changes", cell: (r) => `| ${r.cost.connectCpuMsPer1000Changes}` },
            { title: "request bytes/change", cell: (r) => r.cost.requestBytesPerChange },
        ],
        results,
    );
    return [rendered, ...(results.some((r) => !r.withSink) ? ["* the capture path alone: no sink connector, nothing into ADX"] : [])].join("\n");
}

/**
 * Runs steps at rising rates until one does not keep up: lag unbounded (the topic needs more than
 * BOUNDED_DRAIN_MS to catch up once the load stops) or the offered rate not reached.
 */
async function rampUntilUnbounded(rates: number[], step: (rate: number) => Promise<RunResult>, generatorCeiling: number, label: string): Promise<RunResult[]> {
    const steps: RunResult[] = [];
    for (const rate of rates) {
        const result = await step(rate);
        steps.push(result);
        const bounded = result.drainMs <= BOUNDED_DRAIN_MS;
        // Short of the offered rate although the generator alone reaches generatorCeiling: the machine (PostgreSQL,
        // Kafka, Connect, and this process's generator and ADX double on the same cores) is the limit.
        const generatorLimited = result.achievedRate < 0.95 * rate;
        say(
            `${label} @${rate}/s: achieved ${result.achievedRate}/s, drain ${result.drainMs} ms, p99 ${result.latencyMs.p99} ms → ${bounded ? "lag bounded" : "lag NOT bounded"}${generatorLimited ? (rate > 0.95 * generatorCeiling ? " (beyond the generator's own ceiling: it is the limit)" : " (offered rate not reached, below the generator's own ceiling: the shared machine is the limit)") : ""}`,
        );
        if (!bounded || generatorLimited) break;
    }
    return steps;
}

/**
 * The streaming bench, then (with `initialLoad` / `manyTables`) the initial-load and many-tables benches,
 * each on a pipeline of its own one after the other; their summaries join bench.json's.
 */
export async function runBench(options: BenchOptions = BENCH_DEFAULTS): Promise<number> {
    const code = await runStreamingBench(options);
    if (code !== 0 || (!options.initialLoad && !options.manyTables)) return code;
    const more: { initialLoad?: InitialLoadSummary; manyTables?: ManyTablesSummary } = {};
    if (options.initialLoad) more.initialLoad = await runInitialLoadBench(INITIAL_LOAD_DEFAULTS);
    if (options.manyTables) more.manyTables = await runManyTablesBench(MANY_TABLES_DEFAULTS);
    const file = path.join(REPO_ROOT, "bench-results", "bench.json");
    const written = JSON.parse(fs.readFileSync(file, "utf8"));
    written.summary = { ...written.summary, ...more };
    fs.writeFileSync(file, JSON.stringify(written, null, 2));
    say(`\nsummary: ${JSON.stringify(written.summary)}`);
    say(`wrote ${path.relative(process.cwd(), file)} with the ${Object.keys(more).join(" and ")} summaries`);
    return 0;
}

async function runStreamingBench(options: BenchOptions): Promise<number> {
    const { rates: RATES, seconds: SECONDS, ramp: RAMP, rampSeconds: RAMP_SECONDS } = options;
    const started = Date.now();
    // The JVMs as deployed (heap, GC, full JIT): the throughput figures describe what runs in production.
    const pipeline = await startLocalPipeline({ jvmProfile: "deployed", progress: (m) => process.stderr.write(`bench: ${m}\n`) });
    try {
        const shared = sourceObjectNames("bench");
        await sourceBootstrapProvider.create!({
            connection: pipeline.adminConnection,
            bootstrap: {
                tables: [TABLE],
                publicationName: shared.publicationName,
                heartbeatTable: shared.heartbeatTable,
                signalTable: shared.signalTable,
                replicationUser: "cdc_replicator",
                replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "YmVuY2gtc2FsdC0xMjM0NQ=="),
                createDemoTables: true,
            },
            slotName: shared.slotName,
        });
        progress("measuring the generator's own ceiling (no connector reading)");
        const generatorCeiling = await measureGeneratorCeiling(pipeline);
        say(`generator ceiling on this machine: ${generatorCeiling} changes/s (8 connections, 10 changes per transaction, nothing reading the WAL)`);
        const results: RunResult[] = [];
        let run = 0;
        // Interleaved: both profiles at each rate, back to back, so drift of the machine hits both alike.
        for (const rate of RATES) {
            for (const profile of ["quickstart", "tuned"] as Profile[]) {
                const result = await runOnce(pipeline, profile, rate, SECONDS, ++run);
                results.push(result);
                say(
                    `${profile} @${rate}/s: commit→topic p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; commit→ADX p50 ${result.adx.latencyMs.p50} ms, p99 ${result.adx.latencyMs.p99} ms (${result.adx.delivered}/${result.changes} delivered); achieved ${result.achievedRate}/s`,
                );
            }
        }
        const ramp = await rampUntilUnbounded(RAMP, (rate) => runOnce(pipeline, "tuned", rate, RAMP_SECONDS, ++run), generatorCeiling, "ramp tuned");
        // Where Connect's time goes at the rate the ramp stopped at: a JFR recording of that step, run again.
        const saturation = ramp[ramp.length - 1]?.offeredRate;
        let connectProfile: JvmProfile | undefined;
        if (saturation) {
            progress(`profiling Connect (JFR) at ${saturation} changes/s`);
            const profiled = await runOnce(pipeline, "tuned", saturation, RAMP_SECONDS, ++run, { jfrFile: path.join(pipeline.workDir, "connect-saturation.jfr") });
            connectProfile = profiled.connectProfile;
            say(
                `\nConnect at ${saturation}/s (achieved ${profiled.achievedRate}/s; CPU in % of one core, 200% is this machine: Connect ${profiled.connect.cpuPercent}%, broker ${profiled.broker.cpuPercent}%, PostgreSQL ${profiled.postgres.cpuPercent}%, the bench's process with the generator and the ADX double ${profiled.benchProcess.cpuPercent}%), JFR ${connectProfile!.samples} samples over ${connectProfile!.seconds} s, GC pauses ${connectProfile!.gcPauseMs} ms:`,
            );
            for (const c of connectProfile!.byComponent) say(`  ${String(c.percent).padStart(5)}%  ${c.component}`);
            say("  hottest methods (self):");
            for (const m of connectProfile!.topMethods) say(`  ${String(m.percent).padStart(5)}%  ${m.method}`);
        }
        // The capture path alone, the same steps without the sink: what commit→topic sustains with the machine to itself.
        const captureRamp = await rampUntilUnbounded(
            options.captureRamp,
            (rate) => runOnce(pipeline, "tuned", rate, RAMP_SECONDS, ++run, { withSink: false }),
            generatorCeiling,
            "capture path alone (no sink)",
        );
        const sustained = [...results, ...ramp].filter((r) => r.profile === "tuned" && r.drainMs <= BOUNDED_DRAIN_MS).map((r) => r.achievedRate);
        const sustainedCaptureOnly = captureRamp.filter((r) => r.drainMs <= BOUNDED_DRAIN_MS).map((r) => r.achievedRate);
        // The ramp found the capture path's limit only if a step fell short; otherwise the limit is above its last step.
        const lastCaptureStep = captureRamp[captureRamp.length - 1];
        const captureLimitFound = !!lastCaptureStep && (lastCaptureStep.drainMs > BOUNDED_DRAIN_MS || lastCaptureStep.achievedRate < 0.95 * lastCaptureStep.offeredRate);
        if (lastCaptureStep && !captureLimitFound) say(`capture path alone: still bounded at the ramp's last step (${lastCaptureStep.offeredRate}/s); its limit is higher`);
        const p99 = (profile: Profile, rate: number) => results.find((r) => r.profile === profile && r.offeredRate === rate)?.latencyMs.p99 ?? NaN;
        const adxP99 = (profile: Profile, rate: number) => results.find((r) => r.profile === profile && r.offeredRate === rate)?.adx.latencyMs.p99 ?? NaN;
        // Into ADX counts as sustained when every change arrived within 5 s of the load stopping (the tuned flush is 1 s).
        const sustainedIntoAdx = [...results, ...ramp].filter((r) => r.profile === "tuned" && r.adx.delivered >= r.changes && r.adx.drainMs <= 5000).map((r) => r.achievedRate);
        const summary = {
            tunedP99At1000Ms: p99("tuned", 1000),
            quickstartP99At1000Ms: p99("quickstart", 1000),
            p99RatioAt1000: Math.round((p99("tuned", 1000) / p99("quickstart", 1000)) * 1000) / 1000,
            tunedAdxP99At1000Ms: adxP99("tuned", 1000),
            quickstartAdxP99At1000Ms: adxP99("quickstart", 1000),
            adxP99RatioAt1000: Math.round((adxP99("tuned", 1000) / adxP99("quickstart", 1000)) * 1000) / 1000,
            highestSustainedRateIntoAdx: sustainedIntoAdx.reduce((a, b) => Math.max(a, b), 0),
            // Cost per change at 1,000/s, and at the highest rate the tuned profile reached into ADX (saturation).
            connectCpuMsPer1000ChangesAt1000: Object.fromEntries(
                (["tuned", "quickstart"] as const).map((profile) => [
                    profile,
                    results.find((r) => r.profile === profile && r.offeredRate === 1000)?.cost.connectCpuMsPer1000Changes,
                ]),
            ),
            connectCpuMsPer1000ChangesAtSaturation: [...ramp].sort((a, b) => b.achievedRate - a.achievedRate)[0]?.cost.connectCpuMsPer1000Changes,
            requestBytesPerChangeAt1000: Object.fromEntries(
                (["tuned", "quickstart"] as const).map((profile) => [profile, results.find((r) => r.profile === profile && r.offeredRate === 1000)?.cost.requestBytesPerChange]),
            ),
            highestSustainedRate: sustained.reduce((a, b) => Math.max(a, b), 0),
            highestSustainedRateToTopicWithoutSink: sustainedCaptureOnly.reduce((a, b) => Math.max(a, b), 0),
            captureLimitFound,
            generatorMaxRate: [...results, ...ramp, ...captureRamp].reduce((a, r) => Math.max(a, r.achievedRate), 0),
            generatorCeiling,
            wallSeconds: Math.round((Date.now() - started) / 1000),
        };
        say("\n" + table([...results, ...ramp, ...captureRamp]));
        say(`\nsummary: ${JSON.stringify(summary)}`);
        say(
            "commit→ADX is measured at the ADX double: the time the sink's request reaches it (streaming), or the table's batching time span after the queued blob's message (30 s for the quickstart, as its docs set it); ADX's own processing is not in it.",
        );
        const outDir = path.join(REPO_ROOT, "bench-results");
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(
            path.join(outDir, "bench.json"),
            JSON.stringify(
                {
                    summary,
                    results,
                    ramp,
                    captureRamp,
                    connectProfile: connectProfile && { ...connectProfile, file: undefined },
                    settings: { tuned: tunedSourceSettings(DEFAULT_KAFKA_COMPRESSION.container), rates: RATES, seconds: SECONDS, boundedDrainMs: BOUNDED_DRAIN_MS },
                },
                null,
                2,
            ),
        );
        fs.writeFileSync(
            path.join(outDir, "latency.svg"),
            renderLatencyChart(
                results.map((r) => ({ profile: r.profile, rate: r.offeredRate, p50: r.latencyMs.p50, p99: r.latencyMs.p99 })),
                "change-to-topic latency (commit → consumer), this machine",
            ),
        );
        fs.writeFileSync(
            path.join(outDir, "adx-latency.svg"),
            renderLatencyChart(
                results.map((r) => ({ profile: r.profile, rate: r.offeredRate, p50: r.adx.latencyMs.p50, p99: r.adx.latencyMs.p99 })),
                "commit → ADX (the real Kusto sink into the ADX double), this machine",
            ),
        );
        say(`wrote ${path.relative(process.cwd(), outDir)}/bench.json, latency.svg and adx-latency.svg`);
        return 0;
    } finally {
        await pipeline.stop();
    }
}
