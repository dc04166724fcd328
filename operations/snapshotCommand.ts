// pg-adx-cdc snapshot: re-reads captured tables through Debezium's incremental snapshot (chunked by
// key, alongside the stream), e.g. after `ADD COLUMN ... DEFAULT x`, which fills existing rows
// without a change event, or to re-sync a table. It writes the stack's execute-snapshot signal and
// returns once Debezium has opened its first snapshot window; `status` shows the progress.
// It is also the repair of a DATA GAP (or a re-created topic): the sink, stopped at an offset its topic
// no longer holds, is first moved to the topic's first offset, then the table is read again.
import { canonicalTableName, isTableName } from "../contract/identifiers";
import { readOperationsOutputs, resolveKafkaPassword, resolvePostgresPassword, StackSelection } from "./stackSelection";
import { connectToSource } from "./postgresConnection";
import { requestIncrementalSnapshot } from "../postgres/incrementalSnapshot";
import { moveSinkPastGaps } from "./sinkOffsetRepair";
import { MIN_FENCE_SERVER_VERSION, SqlStatement, writeTableFences } from "../postgres/tableFence";

export interface SnapshotOptions {
    selection: StackSelection;
    /** Captured tables, "schema.table". */
    tables: string[];
    /**
     * Replace the tables' current state with what the re-read finds: a fence before the re-read hides, once the
     * re-read has read the whole table, every row ADX held of it that the re-read did not find, so rows that left
     * a table without a change event (a partition detached or dropped) go too; until then the rows stay shown.
     */
    replace?: boolean;
    timeoutMs: number;
}

/** 0 once Debezium reads the tables (or they are empty); a problem the user must fix throws (the CLI maps it to 2). */
export async function runSnapshot(options: SnapshotOptions): Promise<number> {
    const outputs = readOperationsOutputs(options.selection);
    resolveKafkaPassword(options.selection, outputs);
    const signalTable = outputs.postgres.signalTable;
    if (!signalTable) throw new Error("this stack has no signal table yet: run pulumi up with this version first (it adds cdc_meta.signal_<prefix>)");
    const captured = outputs.adx.tables.map((t) => t.sourceTable);
    // --table as the user writes it in SQL (Sales."Order Items"), compared in the stack's canonical spelling.
    const tables = options.tables.map((t) => (isTableName(t) ? canonicalTableName(t) : t));
    const unknown = tables.filter((t) => !captured.includes(t));
    if (unknown.length) throw new Error(`--table ${unknown.join(", ")}: not captured by this stack (captured: ${captured.join(", ")})`);
    const log = (m: string) => process.stderr.write(`snapshot: ${m}\n`);
    // outputs.topics lists the captured tables' topics in the order of outputs.adx.tables (CdcPipeline).
    const topics = tables.map((t) => outputs.topics[outputs.adx.tables.findIndex((x) => x.sourceTable === t)]);
    const moved = await moveSinkPastGaps(outputs, topics, log);
    for (const g of moved)
        process.stdout.write(
            `moved the sink from offset ${g.from} to ${g.firstOffset} of ${g.topic} partition ${g.partition} (${g.kind === "pastEnd" ? "the topic was re-created" : "retention deleted the records between"})\n`,
        );
    const client = await connectToSource(outputs, resolvePostgresPassword(options.selection, outputs.postgres.user));
    try {
        if (options.replace) {
            const version = Number((await client.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
            if (version < MIN_FENCE_SERVER_VERSION)
                throw new Error(
                    `--replace needs PostgreSQL 14 or later (its pgoutput passes the fence, a logical decoding message, on); this server runs ${Math.floor(version / 10000)}: ` +
                        `run snapshot without --replace, then pg-adx-cdc reconcile --table <t> --repair to remove rows the table no longer has`,
                );
        }
        const fence = async (rereadSignal: (table: string) => string | undefined, signalInsert: SqlStatement[]) => {
            const written = await writeTableFences(client, Object.fromEntries(tables.map((t, i) => [t, topics[i]])), rereadSignal, signalInsert);
            if ("unsupportedMajorVersion" in written) throw new Error(`--replace: PostgreSQL ${written.unsupportedMajorVersion} cannot carry the fence`);
            for (const t of tables)
                process.stdout.write(
                    rereadSignal(t)
                        ? `fenced ${t} at ${written.fences[t]}: once the re-read has read the whole table, ADX's current state drops the rows it held before the fence that the re-read did not find (until then it shows them)\n`
                        : `fenced ${t} at ${written.fences[t]}: empty now, ADX's current state hides every row it held of it\n`,
                );
        };
        const sent = await requestIncrementalSnapshot(
            client,
            { signalTable, connectUrl: outputs.connectRestUrl, connectorName: outputs.connectors.source, timeoutSeconds: Math.ceil(options.timeoutMs / 1000) },
            tables,
            log,
            {},
            options.replace ? fence : undefined,
        );
        process.stdout.write(
            sent
                ? `requested an incremental snapshot of ${sent.tables.join(", ")} (signal ${sent.id}); Debezium is reading it; \`pg-adx-cdc status\` shows when it is done\n`
                : `${tables.join(", ")}: empty, nothing to read\n`,
        );
        return 0;
    } finally {
        await client.end().catch(() => undefined);
    }
}
