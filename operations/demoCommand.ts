// pg-adx-cdc demo (npm run demo): the whole pipeline on this machine, no Azure and no Docker, from
// the same code the e2e tests run: PostgreSQL, Kafka and a Connect worker with Debezium and the real
// Kusto sink as processes, the ADX ingestion test double in place of ADX (or, with --adx-cluster, a
// real cluster reached with the Azure credential chain), the stack's bootstrap, catalog, model
// generator and connector builders, and the orders generator. A live line a second, then per table
// what ADX holds against the source. Ctrl-C (or the end) stops every process the demo started and
// removes its files.
import * as fs from "fs";
import * as https from "https";
import * as tls from "tls";
import { startLocalPipeline, LocalPipeline } from "../local/localPipeline";
import { adminClient, CAPTURED_TABLE, CapturedSource, setUpCapturedSource } from "../local/capturedSource";
import { ADX_DATABASE, deployKustoSink, KustoTarget } from "../local/kustoSinkDeployment";
import { KqlRunner, reconcileTable } from "./reconcileTable";
import { heartbeatFence } from "./reconcileCommand";
import { functionsDefinedIn, loadOverlayScripts } from "../kql/kqlModel";
import { runOrdersGenerator, GeneratorReport } from "../generator/ordersGenerator";
import { planPipeline } from "../plan/pipelinePlan";
import { pollUntil } from "../runtime/pollUntil";
import { getKustoAccessToken, rowsOf, runKustoCommand, runKustoQuery } from "../kql/kustoRestClient";
import { ingestionUriFor, isHttpsHostUri } from "../config/adxSettings";

/** A real ADX cluster to send to instead of the local test double. */
export interface DemoAdxCluster {
    /** Query URI, e.g. https://kvc-xxxx.northeurope.kusto.windows.net (a free cluster works). */
    clusterUri: string;
    /** Ingestion URI; default the query URI with an "ingest-" host prefix. */
    ingestionUri?: string;
    database: string;
    /** Streaming ingestion (the cluster must allow it); false: queued, as free clusters need. */
    streaming: boolean;
    /** PEM files of CAs to trust besides the public roots (a TLS-inspecting proxy). */
    caFiles: string[];
}

export interface DemoOptions {
    rate: number;
    /** 0 runs until Ctrl-C. */
    durationMs: number;
    updates: number;
    deletes: number;
    /** Send to this cluster instead of the ADX test double. */
    adxCluster?: DemoAdxCluster;
    /** Where the live lines go (stderr by default). */
    write?: (line: string) => void;
}

const PREFIX = "demo";
/** Every name the demo pipeline goes by, from the plan the stack uses. */
const DEMO_PLAN = planPipeline({ topicPrefix: PREFIX, tables: [CAPTURED_TABLE] });

/** What the demo reads back from ADX: the local double's memory, or a real cluster over its query endpoint. */
interface DemoAdxView {
    describe: string;
    target?: KustoTarget;
    streaming: boolean;
    /** Change rows ADX holds for the raw table. */
    changeRows(rawTable: string): Promise<number>;
    /** p50 commit→ADX latency (ms) of rows received since `sinceMs`; undefined when not measurable. */
    latencyP50(rawTable: string, sinceMs: number): number | undefined;
    currentRowCount(functionName: string): Promise<number>;
    /** Runs an analytics function: its first rows, or ADX's error; absent where functions cannot run. */
    sample?(functionName: string): Promise<string>;
    /** Runs a query (reconcile's): the double's query endpoint, or the cluster's. */
    query: KqlRunner;
}

function localAdxView(pipeline: LocalPipeline): DemoAdxView {
    return {
        describe: `ADX test double ${pipeline.adx.url}`,
        streaming: true,
        changeRows: async (rawTable) => pipeline.adx.ingested.get(rawTable)?.length ?? 0,
        latencyP50(rawTable, sinceMs) {
            const recent = (pipeline.adx.ingested.get(rawTable) ?? []).filter((r) => r.receivedAtMs >= sinceMs && typeof r.row.source_ts === "string");
            if (!recent.length) return undefined;
            const latencies = recent.map((r) => r.receivedAtMs - Date.parse(String(r.row.source_ts))).sort((a, b) => a - b);
            return latencies[Math.floor(latencies.length / 2)];
        },
        // The double evaluates the generated current-state function only, not the analytics' summarize: no sample.
        currentRowCount: async (functionName) => pipeline.adx.currentState(functionName).length,
        query: async (csl) => rowsOf((await runKustoQuery(pipeline.adx.url, ADX_DATABASE, csl, await getKustoAccessToken(pipeline.adx.url)))[0]),
    };
}

function remoteAdxView(cluster: DemoAdxCluster, token: string): DemoAdxView {
    const target: KustoTarget = { queryUri: cluster.clusterUri, ingestionUri: cluster.ingestionUri ?? ingestionUriFor(cluster.clusterUri), database: cluster.database };
    const query = async (csl: string) => rowsOf((await runKustoQuery(target.queryUri, target.database, csl, token))[0]);
    const count = async (csl: string) => Number(Object.values((await query(csl))[0] ?? { n: 0 })[0]);
    return {
        describe: `ADX cluster ${target.queryUri}, database ${target.database} (${cluster.streaming ? "streaming" : "queued"} ingestion)`,
        target,
        streaming: cluster.streaming,
        changeRows: (rawTable) => count(`${rawTable} | count`),
        // Per-row arrival times are ADX's own (ingestion_time()): query them in the cluster's web UI.
        latencyP50: () => undefined,
        currentRowCount: (functionName) => count(`${functionName}() | count`),
        query,
        sample: async (functionName) => {
            try {
                const rows = await query(`${functionName}() | take 5`);
                return rows.length ? rows.map((r) => JSON.stringify(r)).join("; ") : "(no rows)";
            } catch (error: any) {
                return `ADX answered: ${String(error.message).split("\n")[0]}`;
            }
        },
    };
}

/**
 * Checks a real cluster before any process starts: the URIs, the CA files, a token from the Azure
 * credential chain, and that the database answers. Each error names the option and the fix.
 */
async function connectToCluster(cluster: DemoAdxCluster): Promise<string> {
    for (const [option, uri] of [
        ["--adx-cluster", cluster.clusterUri],
        ["--adx-ingestion", cluster.ingestionUri],
    ] as const) {
        if (uri !== undefined && !isHttpsHostUri(uri))
            throw new Error(
                `${option} "${uri}" must be an https URI with a host only, e.g. https://kvc-xxxx.northeurope.kusto.windows.net (the cluster's "URI" in the ADX web UI)`,
            );
    }
    const pems = cluster.caFiles.map((file) => {
        if (!fs.existsSync(file)) throw new Error(`--adx-ca ${file}: no such file (a PEM certificate of a CA to trust)`);
        return fs.readFileSync(file, "utf8");
    });
    // This process's HTTPS clients (axios uses the global agent): the public roots plus the given CAs.
    if (pems.length) https.globalAgent.options.ca = [...tls.rootCertificates, ...pems];
    const token = await getKustoAccessToken(cluster.clusterUri);
    try {
        await runKustoCommand(cluster.clusterUri, cluster.database, `.show database ${cluster.database} principals`, token);
    } catch (error: any) {
        throw new Error(
            `--adx-cluster ${cluster.clusterUri} --adx-database ${cluster.database}: ${String(error.message).split("\n")[0]}. ` +
                `Create the database in the ADX web UI (a free cluster: "Create database") or name an existing one, and sign in as a user who may create tables in it (az login).`,
        );
    }
    return token;
}

/** The functions a table's overlay adds (the quickstarts' analytics), by name. */
function analyticsFunctionsOf(table: string): string[] {
    return functionsDefinedIn(loadOverlayScripts(table));
}

export async function runDemo(options: DemoOptions): Promise<number> {
    const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
    // A real cluster is checked before anything starts: a bad URI or a missing login costs seconds, not a pipeline start.
    const clusterToken = options.adxCluster ? await connectToCluster(options.adxCluster) : undefined;
    const abort = new AbortController();
    // A second Ctrl-C (or npm forwarding the first) does not cut the cleanup short: the command returns
    // only once every process it started has stopped.
    const stopOnSignal = () => {
        if (abort.signal.aborted) return write("demo: still stopping; the prompt returns when every process has stopped");
        write("demo: stopping (Ctrl-C): every process the demo started is stopped and its files removed");
        abort.abort();
    };
    process.on("SIGINT", stopOnSignal);
    process.on("SIGTERM", stopOnSignal);
    let pipeline: LocalPipeline | undefined;
    let source: CapturedSource | undefined;
    try {
        write("demo: starting PostgreSQL, Kafka and Kafka Connect (Debezium + the real Kusto sink) as local processes");
        pipeline = await startLocalPipeline({
            progress: (m) => write(`demo: ${m}`),
            // The sink's token (az_dev_token: development only, valid about an hour) and the public roots for a real cluster.
            realAdx: options.adxCluster && clusterToken ? { accessToken: clusterToken, trust: { trustPublicRoots: true, extraCaFiles: options.adxCluster.caFiles } } : undefined,
        });
        if (abort.signal.aborted) return 130;
        const adx = options.adxCluster && clusterToken ? remoteAdxView(options.adxCluster, clusterToken) : localAdxView(pipeline);
        if (clusterToken) process.env.AZURE_KUSTO_ACCESS_TOKEN = clusterToken;
        source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: DEMO_PLAN.connectors.source, preexistingRows: 100 });
        const sink = await deployKustoSink(pipeline, {
            topicPrefix: PREFIX,
            tables: [CAPTURED_TABLE],
            heartbeat: true,
            adx: adx.target,
            streamingIngestion: adx.streaming,
        });
        write(`demo: capturing ${CAPTURED_TABLE} → ${adx.describe} (model generated from the catalog: ${sink.models.map((m) => m.scripts.length).join("+")} scripts)`);
        write(`demo: generating ${options.rate} changes/s${options.durationMs ? ` for ${Math.round(options.durationMs / 1000)} s` : " until Ctrl-C"}`);

        const writer = await adminClient(pipeline);
        let latest: GeneratorReport | undefined;
        let lastLine = Date.now();
        let lastChanges = 0;
        const rawTable = sink.models.find((m) => m.table === CAPTURED_TABLE)!.names.changes;
        let inAdx = 0;
        let reading = false;
        const ticker = setInterval(() => {
            if (reading) return;
            reading = true;
            const now = Date.now();
            const changes = latest ? latest.inserts + latest.updates + latest.deletes : 0;
            const inTopic = source!.reader.records.length;
            adx.changeRows(rawTable)
                .then((n) => (inAdx = n))
                .catch(() => undefined)
                .then(() => {
                    const p50 = adx.latencyP50(rawTable, lastLine);
                    write(
                        `demo: ${Math.round(((changes - lastChanges) * 1000) / (now - lastLine))} changes/s | topic ${inTopic} records | ADX ${inAdx} change rows, ${Math.max(0, inTopic - inAdx)} behind | commit→ADX p50 ${p50 === undefined ? "-" : `${p50} ms`}`,
                    );
                    lastLine = now;
                    lastChanges = changes;
                    reading = false;
                });
        }, 1000);
        try {
            latest = await runOrdersGenerator(writer, {
                rate: options.rate,
                durationMs: options.durationMs,
                updates: options.updates,
                deletes: options.deletes,
                signal: abort.signal,
                onProgress: (r) => (latest = r),
            });
            // Let the last changes arrive: every change made (the snapshot's rows and the generator's) must be in the topic
            // and in ADX — the topic alone can still lag PostgreSQL by the last change. The sink flushes every second;
            // queued ingestion adds the table's batching time (10 s) and ADX's queue.
            const made = source.preexistingRows + latest.inserts + latest.updates + latest.deletes;
            await pollUntil({
                attempt: async () => (abort.signal.aborted || (source!.reader.records.length >= made && (await adx.changeRows(rawTable)) >= made) ? true : undefined),
                timeoutMs: adx.target && !adx.streaming ? 180_000 : 30_000,
                intervalMs: adx.target ? 2000 : 250,
                timeoutError: () => new Error("not all changes reached ADX"),
            }).catch(() => undefined);
        } finally {
            clearInterval(ticker);
        }
        let equal = true;
        const heartbeat = DEMO_PLAN.heartbeat.table;
        const reconciler = await adminClient(pipeline);
        await reconciler.query("SET TIME ZONE 'UTC'");
        if (!abort.signal.aborted) {
            for (const model of sink.models.filter((m) => m.table === CAPTURED_TABLE)) {
                const changeRows = await adx.changeRows(rawTable);
                // The rows the generated current-state function shows, as ADX evaluates the KQL the stack sent.
                const current = await adx.currentRowCount(model.names.currentState);
                const {
                    rows: [{ n }],
                } = await writer.query(`SELECT count(*)::int AS n FROM ${model.table}`);
                equal &&= n === current;
                write(`demo: ${model.table}: ${n} rows in PostgreSQL, ${current} current rows in ADX (${changeRows} change rows) — ${n === current ? "equal" : "NOT equal"}`);
                // Value by value: the same reconcile an operator runs against a deployed stack.
                const reconciled = await reconcileTable(
                    { table: model.table, columns: model.described.columns, key: model.described.key, functionName: model.names.currentState },
                    adx.query,
                    reconciler,
                    {
                        fence: heartbeatFence(
                            { sourceTable: heartbeat, functionName: sink.models.find((m) => m.table === heartbeat)!.names.currentState, key: "id" },
                            reconciler,
                            adx.query,
                            60_000,
                        ),
                    },
                );
                equal &&= reconciled.equal;
                write(
                    `demo: reconcile ${model.table}: ${reconciled.equal ? "EQUAL" : `${reconciled.differences.length} keys differ`} (${reconciled.bucketsDiffering} of ${reconciled.buckets} bucket digests differed, ${reconciled.durationMs} ms)`,
                );
                const analytics = analyticsFunctionsOf(model.table);
                if (adx.sample) for (const fn of analytics) write(`demo: ${fn}(): ${await adx.sample(fn)}`);
                else if (analytics.length)
                    write(`demo: analytics functions ${analytics.map((fn) => `${fn}()`).join(", ")} created; the local test double does not run them (--adx-cluster does)`);
                write(`demo: generator ${JSON.stringify(latest)}`);
            }
        }
        await writer.end().catch(() => undefined);
        await reconciler.end().catch(() => undefined);
        return abort.signal.aborted ? 130 : equal ? 0 : 1;
    } finally {
        process.removeListener("SIGINT", stopOnSignal);
        process.removeListener("SIGTERM", stopOnSignal);
        await source?.close().catch(() => undefined);
        await pipeline?.stop();
        write(`demo: stopped; nothing left running${options.adxCluster ? ` (the tables stay in ${options.adxCluster.database} to query)` : ""}`);
    }
}
