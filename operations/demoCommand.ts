// pg-adx-cdc demo (npm run demo): the whole pipeline on this machine, no Azure and no Docker, from
// the same code the e2e tests run: PostgreSQL, Kafka and a Connect worker with Debezium and the real
// Kusto sink as processes, the ADX ingestion test double in place of ADX, the stack's bootstrap,
// catalog, model generator and connector builders, and the orders generator. A live line a second,
// then per table what ADX holds against the source. Ctrl-C (or the end) stops every process the
// demo started and removes its files.
import { startLocalPipeline, LocalPipeline } from "../test/e2e/harness/localPipeline";
import { adminClient, CAPTURED_TABLE, CapturedSource, setUpCapturedSource } from "../test/e2e/harness/capturedSource";
import { deployKustoSink } from "../test/e2e/harness/kustoSinkDeployment";
import { currentStateOf } from "../kql/kqlModel";
import { runOrdersGenerator, GeneratorReport } from "../generator/ordersGenerator";
import { sourceObjectNames } from "../postgres/sourceSchema";
import { sinkTargetOf } from "../kql/kqlModel";
import { pollUntil } from "../runtime/pollUntil";

export interface DemoOptions {
    rate: number;
    /** 0 runs until Ctrl-C. */
    durationMs: number;
    updates: number;
    deletes: number;
    /** Where the live lines go (stderr by default). */
    write?: (line: string) => void;
}

const PREFIX = "demo";

/** The p50 of commit→ADX latencies (ms) of the change rows the double received since `sinceMs`. */
function recentLatencyP50(pipeline: LocalPipeline, rawTable: string, sinceMs: number): number | undefined {
    const recent = (pipeline.adx.ingested.get(rawTable) ?? []).filter((r) => r.receivedAtMs >= sinceMs && typeof r.row.source_ts === "string");
    if (!recent.length) return undefined;
    const latencies = recent.map((r) => r.receivedAtMs - Date.parse(String(r.row.source_ts))).sort((a, b) => a - b);
    return latencies[Math.floor(latencies.length / 2)];
}

export async function runDemo(options: DemoOptions): Promise<number> {
    const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
    const abort = new AbortController();
    const stopOnSignal = () => {
        write("demo: stopping (Ctrl-C): every process the demo started is stopped and its files removed");
        abort.abort();
    };
    process.once("SIGINT", stopOnSignal);
    process.once("SIGTERM", stopOnSignal);
    let pipeline: LocalPipeline | undefined;
    let source: CapturedSource | undefined;
    try {
        write("demo: starting PostgreSQL, Kafka and Kafka Connect (Debezium + the real Kusto sink) as local processes");
        pipeline = await startLocalPipeline({ progress: (m) => write(`demo: ${m}`) });
        if (abort.signal.aborted) return 130;
        source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: `${PREFIX}-postgres-source`, preexistingRows: 100 });
        const sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [CAPTURED_TABLE], heartbeatTable: sourceObjectNames(PREFIX).heartbeatTable });
        write(
            `demo: capturing ${CAPTURED_TABLE} → ADX test double ${pipeline.adx.url} (model generated from the catalog: ${sink.models.map((m) => m.scripts.length).join("+")} scripts)`,
        );
        write(`demo: generating ${options.rate} changes/s${options.durationMs ? ` for ${Math.round(options.durationMs / 1000)} s` : " until Ctrl-C"}`);

        const writer = await adminClient(pipeline);
        let latest: GeneratorReport | undefined;
        let lastLine = Date.now();
        let lastChanges = 0;
        const rawTable = sinkTargetOf(sink.models.find((m) => m.table === CAPTURED_TABLE)!.scripts).table;
        const ticker = setInterval(() => {
            const now = Date.now();
            const changes = latest ? latest.inserts + latest.updates + latest.deletes : 0;
            const inTopic = source!.reader.records.length;
            const inAdx = pipeline!.adx.ingested.get(rawTable)?.length ?? 0;
            const p50 = recentLatencyP50(pipeline!, rawTable, lastLine);
            write(
                `demo: ${Math.round(((changes - lastChanges) * 1000) / (now - lastLine))} changes/s | topic ${inTopic} records | ADX ${inAdx} change rows, ${Math.max(0, inTopic - inAdx)} behind | commit→ADX p50 ${p50 === undefined ? "-" : `${p50} ms`}`,
            );
            lastLine = now;
            lastChanges = changes;
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
            // Let the last changes arrive (the sink flushes every second); after 30 s the comparison below says what is missing.
            await pollUntil({
                attempt: async () => (abort.signal.aborted || (pipeline!.adx.ingested.get(rawTable)?.length ?? 0) >= source!.reader.records.length ? true : undefined),
                timeoutMs: 30_000,
                intervalMs: 250,
                timeoutError: () => new Error("not all changes reached ADX"),
            }).catch(() => undefined);
        } finally {
            clearInterval(ticker);
        }
        if (!abort.signal.aborted) {
            for (const model of sink.models.filter((m) => m.table === CAPTURED_TABLE)) {
                const changes = (pipeline.adx.ingested.get(rawTable) ?? []).map((r) => r.row);
                // The rows the generated current-state function shows, as the ADX double evaluates the KQL it received.
                const current = pipeline.adx.currentState(currentStateOf(model.scripts).functionName);
                const {
                    rows: [{ n }],
                } = await writer.query(`SELECT count(*)::int AS n FROM ${model.table}`);
                write(
                    `demo: ${model.table}: ${n} rows in PostgreSQL, ${current.length} current rows in ADX (${changes.length} change rows) — ${n === current.length ? "equal" : "NOT equal"}`,
                );
                write(`demo: generator ${JSON.stringify(latest)}`);
            }
        }
        await writer.end().catch(() => undefined);
        return abort.signal.aborted ? 130 : 0;
    } finally {
        process.removeListener("SIGINT", stopOnSignal);
        process.removeListener("SIGTERM", stopOnSignal);
        await source?.close().catch(() => undefined);
        await pipeline?.stop();
        write("demo: stopped; nothing left running");
    }
}
