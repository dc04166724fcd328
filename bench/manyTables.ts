// npm run bench:many-tables: many captured tables at a mixed rate (a few hot, most quiet) on the real
// local pipeline (PostgreSQL → Debezium → Kafka → the real Kusto sink → the ADX double), JVMs as
// deployed. Per profile: ingest requests/s into ADX (what a small cluster's streaming concurrency
// limit meets), commit → ADX latency per table class, the sink's task count, Connect's heap peak and
// CPU. Each profile runs on its own slot, topics and sink, one after the other in one run. Writes
// bench-results/many-tables.json.
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../local/localPipeline";
import { REPO_ROOT } from "../local/prerequisites";
import { adminClient } from "../local/capturedSource";
import { deployKustoSink } from "../local/kustoSinkDeployment";
import { kafkaConnectorProvider } from "../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";
import { sourceObjectNames } from "../postgres/sourceSchema";
import { dropSlotOnceReleased } from "./runBench";
import { adxNamesFor, changeMetadataColumns } from "../kql/adxModel";
import { pollUntil } from "../runtime/pollUntil";
import { LatencySummary, sampleJvmHeap, sampleProcess, summarizeLatencies } from "./measurements";
import { MANY_TABLES_DEFAULTS, MANY_TABLES_PROFILES, ManyTablesOptions, ManyTablesProfile } from "./manyTablesPlan";
import { renderTextTable } from "./textTable";
import { benchSourceConnectorInputs } from "./benchSourceConnector";
import { defaultTablePartitions } from "../connectors/kafkaTopics";

const SCHEMA = "bench_many";
const tableName = (i: number) => `${SCHEMA}.t${String(i + 1).padStart(3, "0")}`;

const say = (m: string) => process.stdout.write(`${m}\n`);
const progress = (m: string) => (process.stderr.isTTY ? process.stderr.write(`\r\x1b[2Kbench: ${m}`) : m && process.stderr.write(`bench: ${m}\n`));

export interface ManyTablesResult {
    profile: string;
    tables: number;
    /** Partitions of each table's topic. */
    tablePartitions: number;
    sinkTasks: number;
    flushIntervalMs: number;
    /** Changes committed during the load, and how many of them reached the ADX double. */
    made: number;
    delivered: number;
    offeredChangesPerSecond: number;
    /** Ingest requests the sink made per second of load (all tables), and per class. */
    adxRequestsPerSecond: number;
    adxRequestsPerSecondHot: number;
    adxRequestsPerSecondQuiet: number;
    averageRequestRows: number;
    /** Commit → the request carrying the row reaching the ADX double, per table class. */
    latencyMs: { hot: LatencySummary; quiet: LatencySummary };
    connectHeap: { peakUsedMiB: number | null; committedMiB: number | null; note?: string };
    connectCpuPercent: number;
    connectMaxRssMiB: number;
    /** Connect's threads at the end of the load (every sink task has a consumer and a Kusto client of its own). */
    connectThreads: number;
}

async function createTables(admin: Client, count: number): Promise<void> {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    for (let i = 0; i < count; i++) {
        await admin.query(
            `CREATE TABLE IF NOT EXISTS ${tableName(i)} (id bigserial PRIMARY KEY, payload text NOT NULL, amount numeric(12,2), updated_at timestamptz NOT NULL DEFAULT now())`,
        );
        if (i % 50 === 49) progress(`created ${i + 1}/${count} tables`);
    }
    progress("");
}

function threadsOf(pid: number): number {
    try {
        return fs.readdirSync(`/proc/${pid}/task`).length;
    } catch {
        return 0;
    }
}

async function runProfile(pipeline: LocalPipeline, profile: ManyTablesProfile, options: ManyTablesOptions, run: number): Promise<ManyTablesResult> {
    const admin = await adminClient(pipeline);
    const shared = sourceObjectNames("benchmany");
    const prefix = `benchmany${run}`;
    const slot = `benchmany_${run}`;
    const name = `benchmany-${profile.name}`;
    const tables = Array.from({ length: profile.tables }, (_, i) => tableName(i));
    const hot = new Set(tables.slice(0, options.hotTables));
    const byAdxTable = new Map(tables.map((t) => [adxNamesFor(t).changes, t]));
    progress(`${profile.name}: deploying the ADX models and the sink for ${tables.length} tables`);
    const tablePartitions = profile.tablePartitions ?? defaultTablePartitions(profile.tables);
    const sink = await deployKustoSink(pipeline, {
        topicPrefix: prefix,
        tables,
        connectorName: `${name}-sink`,
        tablePartitions,
        sink: { ...(profile.flushIntervalMs ? { flushIntervalMs: profile.flushIntervalMs } : {}), ...(profile.maxTasks ? { maxTasks: profile.maxTasks } : {}) },
    });
    const { op, sourceTs } = changeMetadataColumns([]);
    const seen = new Set<string>();
    let measuring = false;
    let delivered = 0;
    const latencies = { hot: [] as number[], quiet: [] as number[] };
    pipeline.adx.onRowsIngested = (adxTable, rows, _at, handedAt) => {
        const table = byAdxTable.get(adxTable);
        if (!table) return;
        seen.add(table);
        if (!measuring) return;
        for (const r of rows) {
            if (r[op.column] === "r") continue;
            delivered++;
            (hot.has(table) ? latencies.hot : latencies.quiet).push(handedAt - Date.parse(String(r[sourceTs.column])));
        }
    };
    const inputs = benchSourceConnectorInputs(pipeline, { name, prefix, slot, tables, shared }, { topicCreation: { tablePartitions } });
    await kafkaConnectorProvider.create!(inputs);
    // Every table once, before the clock starts: the first record of a table creates its topic and
    // gives its partition a first offset (the watchdog's seeding); that is start-up, not steady state.
    const writers = [await adminClient(pipeline), await adminClient(pipeline)];
    for (const [i, t] of tables.entries()) await writers[i % 2].query(`INSERT INTO ${t} (payload, amount) VALUES ('warm-up', 0)`);
    await pollUntil({
        attempt: async () => (seen.size >= tables.length ? true : undefined),
        timeoutMs: 300_000,
        intervalMs: 500,
        onWait: () => progress(`${profile.name}: ${seen.size}/${tables.length} tables in ADX (warm-up)`),
        timeoutError: () => new Error(`${profile.name}: only ${seen.size}/${tables.length} tables reached ADX within 5 minutes`),
    });

    // The load: every 100 ms, each hot table gets hotRate/10 rows; each quiet table one row every quietEverySeconds.
    const connectPid = pipeline.processes.connect.child.pid!;
    const cpu = sampleProcess(connectPid);
    const heap = sampleJvmHeap(connectPid);
    const requestsFrom = pipeline.adx.ingestRequests.length;
    measuring = true;
    const started = Date.now();
    const quietPeriodTicks = options.quietEverySeconds * 10;
    const perHotTick = Math.max(1, Math.round(options.hotRate / 10));
    let made = 0;
    for (let tick = 0; Date.now() - started < options.seconds * 1000; tick++) {
        const due = started + tick * 100;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        const statements: { table: string; rows: number }[] = [];
        tables.forEach((t, i) => {
            if (hot.has(t)) statements.push({ table: t, rows: perHotTick });
            else if (tick % quietPeriodTicks === i % quietPeriodTicks) statements.push({ table: t, rows: 1 });
        });
        await Promise.all(
            [0, 1].map(async (w) => {
                for (const s of statements.filter((_, i) => i % 2 === w)) {
                    await writers[w].query(`INSERT INTO ${s.table} (payload, amount) SELECT md5(random()::text), g FROM generate_series(1, ${s.rows}) g`);
                    made += s.rows;
                }
            }),
        );
        if (tick % 50 === 0) progress(`${profile.name}: ${Math.round((Date.now() - started) / 1000)}/${options.seconds} s, ${made} changes made, ${delivered} in ADX`);
    }
    const loadSeconds = (Date.now() - started) / 1000;
    const loadEnded = Date.now();
    const threads = threadsOf(connectPid);
    await pollUntil({
        attempt: async () => (delivered >= made ? true : undefined),
        timeoutMs: 120_000,
        intervalMs: 250,
        timeoutError: () => new Error(`${profile.name}: ${delivered}/${made} changes in ADX 2 minutes after the load`),
    }).catch((e: Error) => say(`warning: ${e.message}`));
    measuring = false;
    const connect = cpu.stop();
    const connectHeap = heap.stop();
    const requests = pipeline.adx.ingestRequests.slice(requestsFrom).filter((r) => r.status === 200 && byAdxTable.has(r.table) && r.atMs <= loadEnded);
    const hotRequests = requests.filter((r) => hot.has(byAdxTable.get(r.table)!)).length;
    pipeline.adx.onRowsIngested = undefined;
    for (const w of writers) await w.end();
    await sink.delete();
    await kafkaConnectorProvider.delete!(name, inputs);
    await dropSlotOnceReleased(admin, slot);
    await admin.end();
    progress("");
    const perSecond = (n: number) => Math.round((n / loadSeconds) * 10) / 10;
    return {
        profile: profile.name,
        tables: tables.length,
        tablePartitions,
        sinkTasks: Number(sink.connectorInputs.config["tasks.max"]),
        flushIntervalMs: Number(sink.connectorInputs.config["flush.interval.ms"]),
        made,
        delivered,
        offeredChangesPerSecond: perSecond(made),
        adxRequestsPerSecond: perSecond(requests.length),
        adxRequestsPerSecondHot: perSecond(hotRequests),
        adxRequestsPerSecondQuiet: perSecond(requests.length - hotRequests),
        averageRequestRows: requests.length ? Math.round((requests.reduce((n, r) => n + r.rows, 0) / requests.length) * 10) / 10 : 0,
        latencyMs: { hot: summarizeLatencies(latencies.hot), quiet: summarizeLatencies(latencies.quiet) },
        connectHeap,
        connectCpuPercent: connect.cpuPercent,
        connectMaxRssMiB: connect.maxRssMiB,
        connectThreads: threads,
    };
}

function table(results: ManyTablesResult[]): string {
    return renderTextTable<ManyTablesResult>(
        [
            { title: "profile", cell: (r) => r.profile, left: true },
            { title: "tables", cell: (r) => r.tables },
            { title: "partitions/table", cell: (r) => r.tablePartitions },
            { title: "sink tasks", cell: (r) => r.sinkTasks },
            { title: "flush ms", cell: (r) => r.flushIntervalMs },
            { title: "changes/s", cell: (r) => r.offeredChangesPerSecond },
            { title: "ADX req/s (hot / quiet)", cell: (r) => `${r.adxRequestsPerSecond} (${r.adxRequestsPerSecondHot} / ${r.adxRequestsPerSecondQuiet})` },
            { title: "rows/req", cell: (r) => r.averageRequestRows },
            { title: "p50 / p99 ms hot", cell: (r) => `${r.latencyMs.hot.p50} / ${r.latencyMs.hot.p99}` },
            { title: "p50 / p99 ms quiet", cell: (r) => `${r.latencyMs.quiet.p50} / ${r.latencyMs.quiet.p99}` },
            { title: "heap peak MiB", cell: (r) => r.connectHeap.peakUsedMiB ?? "n/a" },
            { title: "Connect CPU%", cell: (r) => r.connectCpuPercent },
            { title: "threads", cell: (r) => r.connectThreads },
        ],
        results,
    );
}

/** The many-tables headline figures per profile (bench.json's `manyTables` with `npm run bench -- --many-tables`). */
export type ManyTablesSummary = Record<
    string,
    {
        tables: number;
        tablePartitions: number;
        sinkTasks: number;
        adxRequestsPerSecond: number;
        hotP99Ms: number;
        quietP99Ms: number;
        connectHeapPeakMiB: number | null;
        connectThreads: number;
    }
>;

/** Runs the profiles; writes bench-results/many-tables.json; returns the summary. */
export async function runManyTablesBench(options: ManyTablesOptions = MANY_TABLES_DEFAULTS): Promise<ManyTablesSummary> {
    const started = Date.now();
    const profiles = options.profiles.map((p) => {
        const found = MANY_TABLES_PROFILES.find((q) => q.name === p);
        if (!found) throw new Error(`--profiles: unknown profile "${p}"; known: ${MANY_TABLES_PROFILES.map((q) => q.name).join(", ")}`);
        return found;
    });
    const count = Math.max(...profiles.map((p) => p.tables));
    if (options.hotTables >= Math.min(...profiles.map((p) => p.tables))) throw new Error(`--hot-tables: ${options.hotTables} leaves no quiet table in the smallest profile`);
    const pipeline = await startLocalPipeline({ jvmProfile: "deployed", progress: (m) => process.stderr.write(`bench: ${m}\n`) });
    try {
        const admin = await adminClient(pipeline);
        await createTables(admin, count);
        const shared = sourceObjectNames("benchmany");
        // The stack's bootstrap: every bench table in the publication, replica identity as the stack sets it.
        await sourceBootstrapProvider.create!({
            connection: pipeline.adminConnection,
            bootstrap: {
                tables: Array.from({ length: count }, (_, i) => tableName(i)),
                publicationName: shared.publicationName,
                heartbeatTable: shared.heartbeatTable,
                signalTable: shared.signalTable,
                replicationUser: "cdc_replicator",
                replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "YmVuY2gtbWFueS1zYWx0LTE="),
                createDemoTables: false,
            },
            slotName: shared.slotName,
        });
        await admin.end();
        const results: ManyTablesResult[] = [];
        for (const [i, profile] of profiles.entries()) {
            say(`${profile.name}: ${profile.description}`);
            const r = await runProfile(pipeline, profile, options, i + 1);
            results.push(r);
            say(
                `${r.profile}: ${r.made} changes (${r.offeredChangesPerSecond}/s) into ${r.tables} tables, ${r.delivered} in ADX; ${r.adxRequestsPerSecond} ADX requests/s (hot ${r.adxRequestsPerSecondHot}, quiet ${r.adxRequestsPerSecondQuiet}); ` +
                    `commit→ADX p99 hot ${r.latencyMs.hot.p99} ms, quiet ${r.latencyMs.quiet.p99} ms; ${r.sinkTasks} sink tasks, ${r.connectThreads} Connect threads, heap peak ${r.connectHeap.peakUsedMiB ?? "n/a"} MiB`,
            );
        }
        say("\n" + table(results));
        const outDir = path.join(REPO_ROOT, "bench-results");
        fs.mkdirSync(outDir, { recursive: true });
        const summary: ManyTablesSummary = Object.fromEntries(
            results.map((r) => [
                r.profile,
                {
                    tables: r.tables,
                    tablePartitions: r.tablePartitions,
                    sinkTasks: r.sinkTasks,
                    adxRequestsPerSecond: r.adxRequestsPerSecond,
                    hotP99Ms: r.latencyMs.hot.p99,
                    quietP99Ms: r.latencyMs.quiet.p99,
                    connectHeapPeakMiB: r.connectHeap.peakUsedMiB,
                    connectThreads: r.connectThreads,
                },
            ]),
        );
        say(`\nsummary: ${JSON.stringify(summary)}`);
        fs.writeFileSync(path.join(outDir, "many-tables.json"), JSON.stringify({ summary, options, results, wallSeconds: Math.round((Date.now() - started) / 1000) }, null, 2));
        say(`wrote ${path.relative(process.cwd(), outDir)}/many-tables.json`);
        return summary;
    } finally {
        await pipeline.stop();
    }
}
