// npm run bench: change-to-topic latency and sustained throughput on the real local pipeline,
// the quickstarts' defaults ("quickstart" profile) against the stack's tuned settings, interleaved
// in one run on one machine. Latency per change = time the record is read from the topic minus
// its commit time in PostgreSQL (__source_ts_ms). Writes bench-results/bench.json and latency.svg.
import * as fs from "fs";
import * as path from "path";
import { startLocalPipeline, LocalPipeline } from "../e2e/harness/localPipeline";
import { readTopic } from "../e2e/harness/topicReader";
import { REPO_ROOT } from "../e2e/harness/prerequisites";
import { adminClient } from "../e2e/harness/capturedSource";
import { buildDebeziumSourceConfig, topicForTable, TUNED_SOURCE_SETTINGS } from "../../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../../postgres/scramVerifier";
import { DROP_SLOT_SQL, sourceObjectNames } from "../../postgres/sourceSchema";
import { runOrdersGenerator } from "../../generator/ordersGenerator";
import { sampleProcess, summarizeLatencies, LatencySummary } from "./measurements";
import { renderLatencyChart } from "./latencyChart";

type Profile = "quickstart" | "tuned";
const TABLE = "retail.orders_info";
/** What `pg-adx-cdc bench` runs; the CLI's options, with these defaults. */
export interface BenchOptions {
    /** Rates (changes/s) both profiles run at, interleaved. */
    rates: number[];
    /** Seconds per rate and profile. */
    seconds: number;
    /** Rates the tuned profile ramps through until lag stops being bounded. */
    ramp: number[];
    rampSeconds: number;
}
export const BENCH_DEFAULTS: BenchOptions = { rates: [100, 1000, 5000], seconds: 30, ramp: [2000, 4000, 6000, 8000, 10000], rampSeconds: 15 };
/** Lag counts as bounded when the topic catches up within this long after the load stops. */
const BOUNDED_DRAIN_MS = 2000;

interface RunResult {
    profile: Profile;
    offeredRate: number;
    achievedRate: number;
    changes: number;
    delivered: number;
    latencyMs: LatencySummary;
    drainMs: number;
    generatorBehindBy: number;
    connect: { cpuPercent: number; maxRssMiB: number };
    broker: { cpuPercent: number; maxRssMiB: number };
}

const say = (m: string) => process.stdout.write(`${m}\n`);
/** One progress line, rewritten in place on a terminal, appended in logs. */
const progress = (m: string) => (process.stderr.isTTY ? process.stderr.write(`\r\x1b[2Kbench: ${m}`) : m && process.stderr.write(`bench: ${m}\n`));

async function runOnce(pipeline: LocalPipeline, profile: Profile, rate: number, seconds: number, run: number): Promise<RunResult> {
    const admin = await adminClient(pipeline);
    const shared = sourceObjectNames("bench");
    const prefix = `bench${run}`;
    const slot = `bench_${profile}_${run}`;
    const name = `bench-${profile}-${run}`;
    // A small table keeps each run's initial snapshot trivial; truncates are not captured by default.
    await admin.query(`TRUNCATE ${TABLE}`);
    const reader = await readTopic(pipeline.bootstrapServers, topicForTable(prefix, TABLE));
    const inputs = {
        connectUrl: pipeline.connectUrl,
        connectorName: name,
        timeoutSeconds: 120,
        config: buildDebeziumSourceConfig({
            connectorName: name,
            profile,
            database: pipeline.debeziumDatabase,
            tables: [TABLE],
            topicPrefix: prefix,
            slotName: slot,
            publicationName: shared.publicationName,
            heartbeatTable: shared.heartbeatTable,
            signalTable: shared.signalTable,
        }),
    };
    await kafkaConnectorProvider.create!(inputs);
    await new Promise((r) => setTimeout(r, 3000));
    const before = reader.records.length;
    const connectCpu = sampleProcess(pipeline.processes.connect.child.pid!);
    const brokerCpu = sampleProcess(pipeline.processes.kafka.child.pid!);
    const client = await adminClient(pipeline);
    const report = await runOrdersGenerator(client, {
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
    await client.end();
    const stoppedAt = Date.now();
    const changes = report.inserts + report.updates + report.deletes;
    await reader.waitFor(`${changes} records`, (records) => records.length - before >= changes, 120_000);
    const lastReadAt = reader.records.slice(before).reduce((latest, r) => Math.max(latest, r.readAtMs), 0);
    const drainMs = Math.max(0, lastReadAt - stoppedAt);
    const connect = connectCpu.stop();
    const broker = brokerCpu.stop();
    const latencies = reader.records
        .slice(before)
        .filter((r) => r.value.__op !== "r")
        .map((r) => r.readAtMs - r.value.__source_ts_ms);
    await reader.stop();
    await kafkaConnectorProvider.delete!(name, inputs);
    for (let i = 0; i < 60 && (await admin.query(DROP_SLOT_SQL, [slot])).rows[0].outcome === "active"; i++) await new Promise((r) => setTimeout(r, 500));
    await admin.end();
    progress("");
    return {
        profile,
        offeredRate: rate,
        achievedRate: report.achievedRate,
        changes,
        delivered: latencies.length,
        latencyMs: summarizeLatencies(latencies),
        drainMs,
        generatorBehindBy: report.behindBy,
        connect,
        broker,
    };
}

function table(results: RunResult[]): string {
    const header = "profile     offered/s  achieved/s  changes   p50 ms  p95 ms  p99 ms  max ms  drain ms  Connect CPU/RSS   broker CPU/RSS";
    const rows = results.map((r) =>
        [
            r.profile.padEnd(10),
            String(r.offeredRate).padStart(9),
            String(r.achievedRate).padStart(11),
            String(r.changes).padStart(8),
            ...[r.latencyMs.p50, r.latencyMs.p95, r.latencyMs.p99, r.latencyMs.max].map((v) => String(v).padStart(7)),
            String(r.drainMs).padStart(9),
            `${r.connect.cpuPercent}% ${r.connect.maxRssMiB}MiB`.padStart(17),
            `${r.broker.cpuPercent}% ${r.broker.maxRssMiB}MiB`.padStart(16),
        ].join(" "),
    );
    return [header, ...rows].join("\n");
}

export async function runBench(options: BenchOptions = BENCH_DEFAULTS): Promise<number> {
    const { rates: RATES, seconds: SECONDS, ramp: RAMP, rampSeconds: RAMP_SECONDS } = options;
    const started = Date.now();
    const pipeline = await startLocalPipeline({ progress: (m) => process.stderr.write(`bench: ${m}\n`) });
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
        const results: RunResult[] = [];
        let run = 0;
        // Interleaved: both profiles at each rate, back to back, so drift of the machine hits both alike.
        for (const rate of RATES) {
            for (const profile of ["quickstart", "tuned"] as Profile[]) {
                const result = await runOnce(pipeline, profile, rate, SECONDS, ++run);
                results.push(result);
                say(`${profile} @${rate}/s: p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, achieved ${result.achievedRate}/s`);
            }
        }
        const ramp: RunResult[] = [];
        for (const rate of RAMP) {
            const result = await runOnce(pipeline, "tuned", rate, RAMP_SECONDS, ++run);
            ramp.push(result);
            // Lag is the pipeline's: how long the topic needs to catch up once the load stops.
            const bounded = result.drainMs <= BOUNDED_DRAIN_MS;
            const generatorLimited = result.achievedRate < 0.95 * rate;
            say(
                `ramp tuned @${rate}/s: achieved ${result.achievedRate}/s, drain ${result.drainMs} ms, p99 ${result.latencyMs.p99} ms → ${bounded ? "lag bounded" : "lag NOT bounded"}${generatorLimited ? " (the generator could not offer more: it is the limit)" : ""}`,
            );
            if (!bounded || generatorLimited) break;
        }
        const sustained = [...results, ...ramp].filter((r) => r.profile === "tuned" && r.drainMs <= BOUNDED_DRAIN_MS).map((r) => r.achievedRate);
        const p99 = (profile: Profile, rate: number) => results.find((r) => r.profile === profile && r.offeredRate === rate)?.latencyMs.p99 ?? NaN;
        const summary = {
            tunedP99At1000Ms: p99("tuned", 1000),
            quickstartP99At1000Ms: p99("quickstart", 1000),
            p99RatioAt1000: Math.round((p99("tuned", 1000) / p99("quickstart", 1000)) * 1000) / 1000,
            highestSustainedRate: sustained.reduce((a, b) => Math.max(a, b), 0),
            generatorMaxRate: [...results, ...ramp].reduce((a, r) => Math.max(a, r.achievedRate), 0),
            wallSeconds: Math.round((Date.now() - started) / 1000),
        };
        say("\n" + table([...results, ...ramp]));
        say(`\nsummary: ${JSON.stringify(summary)}`);
        say(
            "sink side (not measured here; from configuration and Microsoft's documentation): Kusto sink flush.interval.ms=1000 (quickstart 30000) + ADX streaming ingestion (under a second per Microsoft) vs queued ingestion bounded by the batching policy (10 s here, 5 min default; quickstart 30 s).",
        );
        const outDir = path.join(REPO_ROOT, "bench-results");
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(
            path.join(outDir, "bench.json"),
            JSON.stringify({ summary, results, ramp, settings: { tuned: TUNED_SOURCE_SETTINGS, rates: RATES, seconds: SECONDS, boundedDrainMs: BOUNDED_DRAIN_MS } }, null, 2),
        );
        fs.writeFileSync(
            path.join(outDir, "latency.svg"),
            renderLatencyChart(
                results.map((r) => ({ profile: r.profile, rate: r.offeredRate, p50: r.latencyMs.p50, p99: r.latencyMs.p99 })),
                "change-to-topic latency (commit → consumer), this machine",
            ),
        );
        say(`wrote ${path.relative(process.cwd(), outDir)}/bench.json and latency.svg`);
        return 0;
    } finally {
        await pipeline.stop();
    }
}
