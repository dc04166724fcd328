// npm run bench:initial-load: the first thing every user does, loading an existing table into ADX,
// on the real local pipeline (PostgreSQL → Debezium's initial snapshot → Kafka → the real Kusto sink
// → the ADX double), with the JVMs as deployed. Each profile loads the same table through its own
// slot, topics and sink, one after the other in one run, while a background writer keeps the source
// database busy (so the WAL the slot holds during the load is what a working database would pile up).
// Per profile: rows/s to the topic and into ADX, time to a complete current state (every key in ADX),
// Connect's heap peak, the WAL the slot retained, the snapshot transaction's duration, and each
// process's CPU (what limits the load). Writes bench-results/initial-load.json.
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { startLocalPipeline, LocalPipeline } from "../local/localPipeline";
import { REPO_ROOT } from "../local/prerequisites";
import { adminClient } from "../local/capturedSource";
import { deployKustoSink } from "../local/kustoSinkDeployment";
import { topicForTable } from "../connectors/debeziumSource";
import { kafkaConnectorProvider } from "../connectors/kafkaConnector";
import { KustoSinkInput } from "../connectors/kustoSink";
import { sourceBootstrapProvider } from "../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";
import { sourceObjectNames } from "../postgres/sourceSchema";
import { dropSlotOnceReleased } from "./runBench";
import { adxNamesFor, changeMetadataColumns } from "../kql/adxModel";
import { getKustoAccessToken, runKustoCommand } from "../kql/kustoRestClient";
import { kafkaClient } from "../runtime/kafkaClient";
import { runOrdersGeneratorOnConnections } from "../generator/ordersGenerator";
import { pollUntil } from "../runtime/pollUntil";
import { sampleJvmHeap, sampleProcess, sampleProcessTree, sampleThisProcess } from "./measurements";
import { INITIAL_LOAD_DEFAULTS, InitialLoadOptions, INITIAL_LOAD_PROFILES, InitialLoadProfile } from "./initialLoadPlan";
import { renderTextTable } from "./textTable";
import { benchSourceConnectorInputs } from "./benchSourceConnector";
import { LoadTimelinePoint, renderInitialLoadChart } from "./initialLoadChart";

/** The loaded table: ~10 columns of realistic width (text and numeric), about 230 bytes a row in PostgreSQL. */
export const LOAD_TABLE = "bench_load.order_lines";
const BACKGROUND_TABLE = "retail.orders_info";
const TIMELINE_SAMPLE_MS = 2000;

/** The initial load's headline figures (bench.json's `initialLoad` with `npm run bench -- --initial-load`). */
export interface InitialLoadSummary {
    rows: number;
    /** The deployed profile's rows/s against the defaults', same run: complete in ADX, and handed to ADX. */
    deployedCompleteRatioToDefaults: number | null;
    deployedHandedRatioToDefaults: number | null;
    deployedCompleteRowsPerSecond: number | null;
    defaultsCompleteRowsPerSecond: number | null;
    deployedTablePartitions: number | null;
    deployedSnapshotTransactionSeconds: number | null;
    deployedWalRetainedMiB: number | null;
    deployedConnectHeapPeakMiB: number | null;
    /** What limited the deployed profile (CPU of each process). */
    deployedLimit: string | null;
}

const say = (m: string) => process.stdout.write(`${m}\n`);
const progress = (m: string) => (process.stderr.isTTY ? process.stderr.write(`\r\x1b[2Kbench: ${m}`) : m && process.stderr.write(`bench: ${m}\n`));

export interface InitialLoadResult {
    profile: string;
    rows: number;
    /** Partitions of the table's topic (and sink tasks). */
    tablePartitions: number;
    /** Keys queryable in ADX over the load, every TIMELINE_SAMPLE_MS (bench-results/initial-load.svg). */
    timeline: LoadTimelinePoint[];
    /** Connector registered → the last snapshot record in the topic. */
    toTopicSeconds: number;
    toTopicRowsPerSecond: number;
    /** Connector registered → the sink had handed ADX a row of every key (streaming requests or queued blobs' messages). */
    handedToAdxSeconds: number;
    handedToAdxRowsPerSecond: number;
    /** Once the whole table was in the topic (the snapshot no longer competing), the rows/s the sink handed ADX: the sink task's own rate. */
    sinkDrainRowsPerSecond: number;
    /** Connector registered → every key of the table queryable in the ADX double (its processing and batching span included). */
    completeSeconds: number;
    intoAdxRowsPerSecond: number;
    /** Rows ADX received (a retried request delivers some twice; complete means every key at least once). */
    adxRowsReceived: number;
    adxRequests: number;
    adxAverageRequestBytes: number;
    /** The snapshot's longest open transaction on the source (it holds back vacuum meanwhile). */
    snapshotTransactionSeconds: number;
    /** The most WAL the slot retained during the load (pg_current_wal_lsn() - restart_lsn). */
    walRetainedMiB: number;
    backgroundChangesPerSecond: number;
    connectHeap: { peakUsedMiB: number | null; committedMiB: number | null; note?: string };
    cpuPercent: { connect: number; broker: number; postgres: number; benchProcess: number };
    rssMiB: { connect: number; broker: number; postgres: number; benchProcess: number };
    /** The process with the most CPU, and whether the machine's cores were the limit. */
    limit: string;
}

async function createLoadTable(admin: Client, rows: number): Promise<void> {
    const [schema] = LOAD_TABLE.split(".");
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await admin.query(`DROP TABLE IF EXISTS ${LOAD_TABLE}`);
    await admin.query(`CREATE TABLE ${LOAD_TABLE} (
        id bigint PRIMARY KEY,
        order_id bigint NOT NULL,
        customer_id integer NOT NULL,
        sku text NOT NULL,
        description text,
        quantity integer NOT NULL,
        unit_price numeric(12,2) NOT NULL,
        discount numeric(5,4),
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz)`);
    // In slices, so a long fill shows progress and no single statement holds millions of rows' WAL.
    const slice = 250_000;
    for (let from = 1; from <= rows; from += slice) {
        const to = Math.min(rows, from + slice - 1);
        await admin.query(
            `INSERT INTO ${LOAD_TABLE}
             SELECT g, g / 4, 1 + g % 50000, 'SKU-' || lpad((g % 99991)::text, 6, '0'),
                    'item ' || md5(g::text) || ' ' || substr(md5((g * 7)::text), 1, (20 + g % 40)::int),
                    1 + g % 12, ((g % 100000) / 100.0 + 0.99)::numeric(12,2),
                    CASE WHEN g % 5 = 0 THEN ((g % 30) / 100.0)::numeric(5,4) END,
                    (ARRAY['open','paid','shipped','returned'])[1 + g % 4],
                    timestamptz '2024-01-01' + make_interval(secs => g * 13),
                    CASE WHEN g % 3 = 0 THEN timestamptz '2025-01-01' + make_interval(secs => g) END
             FROM generate_series($1::bigint, $2::bigint) g`,
            [from, to],
        );
        progress(`filling ${LOAD_TABLE}: ${to.toLocaleString("en-US")}/${rows.toLocaleString("en-US")} rows`);
    }
    await admin.query(`ANALYZE ${LOAD_TABLE}`);
    progress("");
}

/** Samples the source's cost of the load: the slot's retained WAL and the snapshot's open transaction, every second. */
function sampleSourceCost(admin: Client, slot: string, user: string): { stop(): Promise<{ walRetainedMiB: number; snapshotTransactionSeconds: number }> } {
    let wal = 0;
    let transaction = 0;
    let running = true;
    const loop = (async () => {
        while (running) {
            const { rows } = await admin.query(
                `SELECT (SELECT pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots WHERE slot_name = $1) AS wal,
                        (SELECT extract(epoch FROM max(now() - xact_start)) FROM pg_stat_activity
                          WHERE usename = $2 AND backend_type = 'client backend' AND xact_start IS NOT NULL) AS transaction`,
                [slot, user],
            );
            wal = Math.max(wal, Number(rows[0].wal ?? 0));
            transaction = Math.max(transaction, Number(rows[0].transaction ?? 0));
            await new Promise((r) => setTimeout(r, 1000));
        }
    })();
    return {
        async stop() {
            running = false;
            await loop;
            return { walRetainedMiB: Math.round((wal / 1048576) * 10) / 10, snapshotTransactionSeconds: Math.round(transaction * 10) / 10 };
        },
    };
}

async function loadOnce(pipeline: LocalPipeline, profile: InitialLoadProfile, rows: number, run: number, backgroundRate: number): Promise<InitialLoadResult> {
    const admin = await adminClient(pipeline);
    const shared = sourceObjectNames("benchload");
    const prefix = `benchload${run}`;
    const slot = `benchload_${run}`;
    const name = `benchload-${profile.name}-${run}`;
    const topic = topicForTable(prefix, LOAD_TABLE);
    const adxTable = adxNamesFor(LOAD_TABLE).changes;
    const tablePartitions = profile.tablePartitions ?? pipeline.tablePartitions;
    const sinkSettings: Partial<Pick<KustoSinkInput, "flushIntervalMs" | "flushSizeBytes">> = {
        ...(profile.sink.flushIntervalMs ? { flushIntervalMs: profile.sink.flushIntervalMs } : {}),
        ...(profile.sink.flushSizeBytes ? { flushSizeBytes: profile.sink.flushSizeBytes } : {}),
    };
    const sink = await deployKustoSink(pipeline, {
        topicPrefix: prefix,
        tables: [LOAD_TABLE],
        connectorName: `${name}-sink`,
        streamingIngestion: profile.sink.streaming,
        tablePartitions,
        sink: sinkSettings,
    });
    if (profile.sink.batchingTimeSpan)
        await runKustoCommand(
            pipeline.adx.url,
            "cdc",
            `.alter table ${adxTable} policy ingestionbatching \`\`\`{ "MaximumBatchingTimeSpan": "${profile.sink.batchingTimeSpan}", "MaximumNumberOfItems": 500, "MaximumRawDataSizeMB": 1024 }\`\`\``,
            await getKustoAccessToken(pipeline.adx.url),
        );
    // Every key of the load seen in ADX; the rows themselves are not kept (millions would fill this process).
    const { op } = changeMetadataColumns([]);
    const keys = new Set<string>();
    let received = 0;
    let completeAt = 0;
    // When the sink had handed ADX the last key's row (streaming request or queue message): the product's
    // side. completeAt adds the double's own processing (and the table's batching span for queued rows).
    let lastHandedAt = 0;
    pipeline.adx.discardRowsOf = (t) => t === adxTable;
    pipeline.adx.onRowsIngested = (t, ingested, at, handedAt) => {
        if (t !== adxTable) return;
        for (const r of ingested) {
            if (r[op.column] !== "r") continue;
            received++;
            const before = keys.size;
            keys.add(String(r.id));
            if (keys.size > before) lastHandedAt = Math.max(lastHandedAt, handedAt);
        }
        if (!completeAt && keys.size >= rows) completeAt = at;
    };
    const requestsFrom = pipeline.adx.ingestRequests.length;
    const kafka = kafkaClient(pipeline.kafka, "bench-initial-load").admin();
    await kafka.connect();
    const inputs = benchSourceConnectorInputs(pipeline, { name, prefix, slot, tables: [LOAD_TABLE], shared }, { profile: profile.source, topicCreation: { tablePartitions } });
    // A busy database meanwhile: the background writer's WAL is what the slot holds until the snapshot ends.
    const background = new AbortController();
    const writers = await Promise.all([adminClient(pipeline)]);
    const backgroundRun = runOrdersGeneratorOnConnections(writers, {
        rate: backgroundRate,
        durationMs: 0,
        signal: background.signal,
        updates: 0.2,
        deletes: 0.05,
        table: BACKGROUND_TABLE,
    });
    const connectCpu = sampleProcess(pipeline.processes.connect.child.pid!);
    const brokerCpu = sampleProcess(pipeline.processes.kafka.child.pid!);
    const postgresCpu = sampleProcessTree(pipeline.processes.postgres.child.pid!);
    const benchCpu = sampleThisProcess();
    const heap = sampleJvmHeap(pipeline.processes.connect.child.pid!);
    const started = Date.now();
    const timeline: LoadTimelinePoint[] = [{ seconds: 0, rowsInAdx: 0 }];
    let lastSampleAt = started;
    await kafkaConnectorProvider.create!(inputs);
    const sourceCost = sampleSourceCost(await adminClient(pipeline), slot, pipeline.debeziumDatabase.user);
    // The topic holds every snapshot record when its partitions' end offsets add up to the table's row count.
    let toTopicAt = 0;
    let handedAtTopicComplete = 0;
    await pollUntil({
        attempt: async () => {
            if (Date.now() - lastSampleAt >= TIMELINE_SAMPLE_MS) {
                lastSampleAt = Date.now();
                timeline.push({ seconds: Math.round((lastSampleAt - started) / 100) / 10, rowsInAdx: keys.size });
            }
            if (!toTopicAt) {
                const offsets = await kafka.fetchTopicOffsets(topic).catch(() => []);
                const end = offsets.reduce((n, o) => n + Number(o.high), 0);
                if (end >= rows) {
                    toTopicAt = Date.now();
                    handedAtTopicComplete = keys.size;
                }
            }
            return completeAt ? true : undefined;
        },
        timeoutMs: 3 * 3600_000,
        intervalMs: 250,
        onWait: () =>
            progress(
                `${profile.name}: ${keys.size.toLocaleString("en-US")}/${rows.toLocaleString("en-US")} rows in ADX after ${Math.round((Date.now() - started) / 1000)} s${toTopicAt ? " (all in the topic)" : ""}`,
            ),
        timeoutError: () => new Error(`${profile.name}: ADX did not hold every row within 3 hours (${keys.size}/${rows})`),
    });
    // The load went through the partitions the profile names (a topic created otherwise would measure something else).
    const partitionsUsed = (await kafka.fetchTopicOffsets(topic)).length;
    if (partitionsUsed !== tablePartitions) throw new Error(`${profile.name}: the table's topic has ${partitionsUsed} partitions, not the profile's ${tablePartitions}`);
    // The moment the last key arrived, unless a sample after it was taken already.
    const lastKeyAtSeconds = Math.round((completeAt - started) / 100) / 10;
    if (lastKeyAtSeconds > timeline[timeline.length - 1].seconds) timeline.push({ seconds: lastKeyAtSeconds, rowsInAdx: keys.size });
    background.abort();
    const report = await backgroundRun;
    const cost = await sourceCost.stop();
    const connect = connectCpu.stop();
    const broker = brokerCpu.stop();
    const postgres = postgresCpu.stop();
    const benchProcess = benchCpu.stop();
    const connectHeap = heap.stop();
    await Promise.all(writers.map((w) => w.end()));
    await kafka.disconnect();
    const requests = pipeline.adx.ingestRequests.slice(requestsFrom).filter((r) => r.status === 200 && r.table === adxTable);
    pipeline.adx.onRowsIngested = undefined;
    await sink.delete();
    await kafkaConnectorProvider.delete!(name, inputs);
    await dropSlotOnceReleased(admin, slot);
    await admin.end();
    progress("");
    const toTopicSeconds = (toTopicAt - started) / 1000;
    const completeSeconds = (completeAt - started) / 1000;
    const handedToAdxSeconds = (lastHandedAt - started) / 1000;
    const cpuPercent = { connect: connect.cpuPercent, broker: broker.cpuPercent, postgres: postgres.cpuPercent, benchProcess: benchProcess.cpuPercent };
    const total = Object.values(cpuPercent).reduce((a, b) => a + b, 0);
    const [busiest, busiestCpu] = Object.entries(cpuPercent).sort((a, b) => b[1] - a[1])[0];
    return {
        profile: profile.name,
        rows,
        tablePartitions,
        timeline,
        toTopicSeconds: Math.round(toTopicSeconds * 10) / 10,
        toTopicRowsPerSecond: Math.round(rows / toTopicSeconds),
        handedToAdxSeconds: Math.round(handedToAdxSeconds * 10) / 10,
        handedToAdxRowsPerSecond: Math.round(rows / handedToAdxSeconds),
        sinkDrainRowsPerSecond: lastHandedAt > toTopicAt ? Math.round((rows - handedAtTopicComplete) / ((lastHandedAt - toTopicAt) / 1000)) : 0,
        completeSeconds: Math.round(completeSeconds * 10) / 10,
        intoAdxRowsPerSecond: Math.round(rows / completeSeconds),
        adxRowsReceived: received,
        adxRequests: requests.length,
        adxAverageRequestBytes: requests.length ? Math.round(requests.reduce((n, r) => n + r.bytes, 0) / requests.length) : 0,
        ...cost,
        backgroundChangesPerSecond: report.achievedRate,
        connectHeap,
        cpuPercent,
        rssMiB: { connect: connect.maxRssMiB, broker: broker.maxRssMiB, postgres: postgres.maxRssMiB, benchProcess: benchProcess.maxRssMiB },
        limit:
            total >= 170
                ? `the machine's 2 cores (${Math.round(total)}% of 200% busy; ${busiest} ${busiestCpu}%)`
                : busiestCpu >= 85
                  ? `${busiest}, one core busy (${busiestCpu}%): a single-threaded stage`
                  : `neither CPU nor one thread (${Math.round(total)}% of 200% busy; ${busiest} ${busiestCpu}%): waits (flush intervals, batching, round trips)`,
    };
}

function table(results: InitialLoadResult[]): string {
    return renderTextTable<InitialLoadResult>(
        [
            { title: "profile", cell: (r) => r.profile, left: true },
            { title: "rows", cell: (r) => r.rows },
            { title: "partitions", cell: (r) => r.tablePartitions },
            { title: "to topic s", cell: (r) => r.toTopicSeconds },
            { title: "rows/s", cell: (r) => r.toTopicRowsPerSecond },
            { title: "handed to ADX s", cell: (r) => r.handedToAdxSeconds },
            { title: "rows/s", cell: (r) => r.handedToAdxRowsPerSecond },
            { title: "complete s", cell: (r) => r.completeSeconds },
            { title: "rows/s", cell: (r) => r.intoAdxRowsPerSecond },
            { title: "requests", cell: (r) => r.adxRequests },
            { title: "avg bytes", cell: (r) => r.adxAverageRequestBytes },
            { title: "snapshot xact s", cell: (r) => r.snapshotTransactionSeconds },
            { title: "WAL held MiB", cell: (r) => r.walRetainedMiB },
            { title: "Connect heap peak MiB", cell: (r) => r.connectHeap.peakUsedMiB ?? "n/a" },
            { title: "CPU% Connect/broker/PG/bench", cell: (r) => `${r.cpuPercent.connect}/${r.cpuPercent.broker}/${r.cpuPercent.postgres}/${r.cpuPercent.benchProcess}` },
        ],
        results,
    );
}

/** Runs the profiles; writes bench-results/initial-load.json and initial-load.svg; returns the summary. */
export async function runInitialLoadBench(options: InitialLoadOptions = INITIAL_LOAD_DEFAULTS): Promise<InitialLoadSummary> {
    const started = Date.now();
    const profiles = options.profiles.map((p) => {
        const found = INITIAL_LOAD_PROFILES.find((q) => q.name === p);
        if (!found) throw new Error(`--profiles: unknown profile "${p}"; known: ${INITIAL_LOAD_PROFILES.map((q) => q.name).join(", ")}`);
        return found;
    });
    const pipeline = await startLocalPipeline({ jvmProfile: "deployed", progress: (m) => process.stderr.write(`bench: ${m}\n`) });
    try {
        const admin = await adminClient(pipeline);
        progress(`creating ${LOAD_TABLE} with ${options.rows.toLocaleString("en-US")} rows`);
        const shared = sourceObjectNames("benchload");
        // The stack's bootstrap, first without the load table, then with it: it joins the publication
        // (and gets its replica identity) the way `pulumi up` adds a table.
        const bootstrap = (tables: string[]) =>
            sourceBootstrapProvider.create!({
                connection: pipeline.adminConnection,
                bootstrap: {
                    tables,
                    publicationName: shared.publicationName,
                    heartbeatTable: shared.heartbeatTable,
                    signalTable: shared.signalTable,
                    replicationUser: "cdc_replicator",
                    replicationPasswordVerifier: buildScramSha256Verifier(pipeline.replicationPassword, "YmVuY2gtbG9hZC1zYWx0LTE="),
                    createDemoTables: true,
                },
                slotName: shared.slotName,
            });
        await bootstrap([BACKGROUND_TABLE]);
        await createLoadTable(admin, options.rows);
        await bootstrap([BACKGROUND_TABLE, LOAD_TABLE]);
        const size = (await admin.query(`SELECT pg_total_relation_size($1) AS bytes`, [LOAD_TABLE])).rows[0].bytes;
        say(`${LOAD_TABLE}: ${options.rows.toLocaleString("en-US")} rows, ${Math.round(Number(size) / 1048576)} MiB in PostgreSQL (with its index)`);
        await admin.end();
        const results: InitialLoadResult[] = [];
        let run = 0;
        for (const profile of profiles) {
            say(`${profile.name}: ${profile.description}`);
            const result = await loadOnce(pipeline, profile, options.rows, ++run, options.backgroundRate);
            results.push(result);
            say(
                `${profile.name}: ${result.rows} rows handed to ADX after ${result.handedToAdxSeconds} s (${result.handedToAdxRowsPerSecond} rows/s), complete in the ADX double after ${result.completeSeconds} s (${result.intoAdxRowsPerSecond} rows/s; topic ${result.toTopicRowsPerSecond} rows/s); snapshot transaction ${result.snapshotTransactionSeconds} s, WAL held ${result.walRetainedMiB} MiB, the sink alone ${result.sinkDrainRowsPerSecond} rows/s once the table was in the topic, Connect heap peak ${result.connectHeap.peakUsedMiB ?? "n/a"} MiB; limit: ${result.limit}`,
            );
        }
        const base = results.find((r) => r.profile === "defaults");
        const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
        const ratios = base
            ? Object.fromEntries(
                  results
                      .filter((r) => r !== base)
                      .map((r) => [
                          r.profile,
                          {
                              handedToAdx: ratio(r.handedToAdxRowsPerSecond, base.handedToAdxRowsPerSecond),
                              completeInAdx: ratio(r.intoAdxRowsPerSecond, base.intoAdxRowsPerSecond),
                              toTopic: ratio(r.toTopicRowsPerSecond, base.toTopicRowsPerSecond),
                          },
                      ]),
              )
            : {};
        say("\n" + table(results));
        if (base) say(`\nrows/s against the defaults, same run (handed to ADX, complete in the double, to the topic): ${JSON.stringify(ratios)}`);
        const deployed = results.find((r) => r.profile === "deployed");
        const summary: InitialLoadSummary = {
            rows: options.rows,
            deployedCompleteRatioToDefaults: deployed && base ? ratio(deployed.intoAdxRowsPerSecond, base.intoAdxRowsPerSecond) : null,
            deployedHandedRatioToDefaults: deployed && base ? ratio(deployed.handedToAdxRowsPerSecond, base.handedToAdxRowsPerSecond) : null,
            deployedCompleteRowsPerSecond: deployed?.intoAdxRowsPerSecond ?? null,
            defaultsCompleteRowsPerSecond: base?.intoAdxRowsPerSecond ?? null,
            deployedTablePartitions: deployed?.tablePartitions ?? null,
            deployedSnapshotTransactionSeconds: deployed?.snapshotTransactionSeconds ?? null,
            deployedWalRetainedMiB: deployed?.walRetainedMiB ?? null,
            deployedConnectHeapPeakMiB: deployed?.connectHeap.peakUsedMiB ?? null,
            deployedLimit: deployed?.limit ?? null,
        };
        say(`\nsummary: ${JSON.stringify(summary)}`);
        const outDir = path.join(REPO_ROOT, "bench-results");
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(
            path.join(outDir, "initial-load.json"),
            JSON.stringify(
                {
                    summary,
                    rows: options.rows,
                    backgroundRate: options.backgroundRate,
                    results,
                    ratiosToDefaults: ratios,
                    profiles,
                    wallSeconds: Math.round((Date.now() - started) / 1000),
                },
                null,
                2,
            ),
        );
        fs.writeFileSync(
            path.join(outDir, "initial-load.svg"),
            renderInitialLoadChart(
                results.map((r) => ({ profile: `${r.profile} (${r.tablePartitions} partition${r.tablePartitions > 1 ? "s" : ""})`, timeline: r.timeline })),
                `Initial load of ${options.rows.toLocaleString("en-US")} rows into ADX`,
            ),
        );
        say(`wrote ${path.relative(process.cwd(), outDir)}/initial-load.json and initial-load.svg`);
        return summary;
    } finally {
        await pipeline.stop();
    }
}
