// pg-adx-cdc reconcile (npm run reconcile): proves per captured table that ADX's current state equals
// PostgreSQL, without moving the data (operations/reconcileTable.ts), and names every key that
// differs down to the column. --repair re-reads exactly the drifted keys through Debezium's
// incremental snapshot (a filter on the keys), replays the delete of each key PostgreSQL no longer
// holds (its delete event was lost) into the table's topic, waits until ADX has both, and reconciles again.
// Exits 0 equal, 1 drift (after --repair: drift left), 2 when the command itself cannot run.
import { canonicalTableName, isTableName } from "../contract/identifiers";
import { readCatalogTables } from "../postgres/catalog";
import { requestIncrementalSnapshot } from "../postgres/incrementalSnapshot";
import { heartbeatUpsertSql } from "../connectors/debeziumSource";
import { getKustoAccessToken, rowsOf, runKustoCommand, runKustoQuery } from "../kql/kustoRestClient";
import { keySample, kqlLatestChanges, RECONCILE_RESULTS_TABLE, ReconcileTarget, recordReconcileCommand, sqlKeyFilter } from "../kql/reconcileQueries";
import { changeMetadataColumns, changeOrderColumn, changeOrderExpression } from "../kql/adxModel";
import { changeMetadataFields } from "../contract/recordFields";
import { EMISSION_STAMP_FIELD, KAFKA_POSITION_FIELDS } from "../contract/recordFields";
import { KafkaAccess, kafkaClient } from "../runtime/kafkaClient";
import { LosslessNumber, stringify as stringifyLosslessJson } from "lossless-json";
import { pollUntil } from "../runtime/pollUntil";
import { OperationsOutputs } from "../contract/stackOutputs";
import { readOperationsOutputs, resolveKafkaPassword, resolvePostgresPassword, StackSelection } from "./stackSelection";
import { connectToSource } from "./postgresConnection";
import { KqlRunner, reconcileTable, SqlClient, TableReconcile } from "./reconcileTable";
import { readIncrementalSnapshots } from "./pipelineHealth";

export interface ReconcileCommandOptions {
    selection: StackSelection;
    /** Captured tables to reconcile ("schema.table" as in SQL); all when empty. */
    tables: string[];
    repair: boolean;
    json: boolean;
    /** How long the fence and a repair may wait. */
    timeoutMs: number;
    /** Compare this share of the keys (sixteenths, rotating daily); 1 compares every key. */
    sample: number;
    /** Append each table's result to ADX's cdc_meta_reconcile, where status and charts read it. */
    record: boolean;
}

/** Resolves once ADX's heartbeat shows a beat written now: ADX has read the stream past this point. */
export function heartbeatFence(
    heartbeat: { sourceTable: string; functionName: string; key: string },
    sql: SqlClient,
    adx: KqlRunner,
    timeoutMs: number,
    positions?: FencePositions,
): () => Promise<void> {
    return async () => {
        const {
            rows: [beat],
        } = await sql.query(`${heartbeatUpsertSql(heartbeat.sourceTable)} RETURNING beat_at`);
        const written = new Date(beat.beat_at).getTime();
        await pollUntil({
            attempt: async () => {
                const [row] = await adx(`${heartbeat.functionName}() | where ${heartbeat.key} == 1 | take 1`);
                return row && Date.parse(String(row.beat_at)) >= written ? true : undefined;
            },
            timeoutMs,
            intervalMs: 250,
            timeoutError: () =>
                new Error(
                    `ADX did not show the heartbeat written at ${new Date(written).toISOString()} within ${timeoutMs / 1000} s: the pipeline is behind or stopped (see pg-adx-cdc status)`,
                ),
        });
        // The heartbeat reached ADX through its own sink task; a table's partitions may sit on others that have
        // not flushed yet. Debezium sent every earlier change before the heartbeat, so each partition's end now
        // bounds them: wait until ADX holds each partition up to it (the sink ingests a partition in order).
        if (positions) await waitForTopicEnds(positions, adx, timeoutMs);
    };
}

/** Where the fence reads the captured tables' Kafka ends and finds them in ADX. */
export interface FencePositions {
    kafka: KafkaAccess;
    tables: { topic: string; rawTable: string; partitionColumn: string; offsetColumn: string }[];
}

/** The fence's positions for the stack's captured tables, from its outputs. */
export function fencePositions(outputs: OperationsOutputs): FencePositions {
    return {
        kafka: { bootstrapServers: outputs.kafkaBootstrapServers, authentication: outputs.kafkaAuthentication },
        tables: outputs.adx.tables.map((t, i) => ({ topic: outputs.topics[i], rawTable: t.rawTable, partitionColumn: t.partitionColumn, offsetColumn: t.offsetColumn })),
    };
}

async function waitForTopicEnds(positions: FencePositions, adx: KqlRunner, timeoutMs: number): Promise<void> {
    const admin = kafkaClient(positions.kafka, "pg-adx-cdc-reconcile-fence").admin();
    await admin.connect();
    let ends: { table: FencePositions["tables"][number]; partition: number; last: number }[];
    try {
        ends = (
            await Promise.all(
                positions.tables.map(async (table) => (await admin.fetchTopicOffsets(table.topic)).map((p) => ({ table, partition: p.partition, last: Number(p.high) - 1 }))),
            )
        ).flat();
    } finally {
        await admin.disconnect();
    }
    let behind: string[] = [];
    await pollUntil({
        attempt: async () => {
            behind = [];
            for (const e of ends.filter((end) => end.last >= 0)) {
                const { rawTable, partitionColumn, offsetColumn, topic } = e.table;
                const [held] = await adx(`${rawTable} | where ${partitionColumn} == ${e.partition} and ${offsetColumn} >= ${e.last} | summarize n = count()`);
                if (!held || Number(held.n) === 0) behind.push(`${topic}[${e.partition}] not yet at offset ${e.last}`);
            }
            return behind.length === 0 ? true : undefined;
        },
        timeoutMs,
        intervalMs: 250,
        timeoutError: () =>
            new Error(`ADX did not reach the topics' ends within ${timeoutMs / 1000} s (${behind.slice(0, 3).join(", ")}): the sink is behind or stopped (see pg-adx-cdc status)`),
    });
}

/** The reconcile targets of the stack's captured tables: columns and types from PostgreSQL's catalog now, names and keys from the stack. */
export async function reconcileTargets(outputs: OperationsOutputs, sql: SqlClient, tables: string[]): Promise<ReconcileTarget[]> {
    const captured = outputs.adx.tables;
    const wanted = tables.length ? tables.map((t) => (isTableName(t) ? canonicalTableName(t) : t)) : captured.map((t) => t.sourceTable);
    const unknown = wanted.filter((t) => !captured.some((c) => c.sourceTable === t));
    if (unknown.length) throw new Error(`--table ${unknown.join(", ")}: not captured by this stack (captured: ${captured.map((c) => c.sourceTable).join(", ")})`);
    const { tables: found, missing } = await readCatalogTables(sql, wanted);
    if (missing.length) throw new Error(`${missing.join(", ")}: not in PostgreSQL any more`);
    return found.map((table) => {
        const adx = captured.find((c) => c.sourceTable === table.qualifiedName)!;
        return { table: table.qualifiedName, columns: table.columns, key: adx.keys, functionName: adx.functionName };
    });
}

function describe(result: TableReconcile): string {
    const head = `${result.table}: ${result.equal ? "EQUAL" : result.differences.length ? `DRIFT, ${result.differences.length} keys differ` : "UNSETTLED"} (PostgreSQL ${result.sourceRows} rows, ADX ${result.adxRows}; ${result.bucketsDiffering} of ${result.buckets} buckets differed, ${result.rowsRead} rows read, ${result.durationMs} ms${result.coverage.fraction < 1 ? `; ${Math.round(result.coverage.fraction * 100)}% of keys, hashes starting ${result.coverage.hashPrefixes!.join("")}` : ""})`;
    const lines = result.differences.slice(0, 10).map((d) => {
        const key = Object.entries(d.key)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ");
        if (d.kind === "missing") return `  key ${key}: in PostgreSQL, not in ADX`;
        if (d.kind === "extra") return `  key ${key}: in ADX, not in PostgreSQL (deleted there)`;
        return `  key ${key}: ${d.columns.map((c) => `${c.column} is ${JSON.stringify(c.source)} in PostgreSQL, ${JSON.stringify(c.adx)} in ADX`).join("; ")}`;
    });
    if (result.differences.length > 10) lines.push(`  ... and ${result.differences.length - 10} more (--json lists them all)`);
    if (result.unsettled) lines.push(`  ${result.unsettled} keys kept changing through every round (changes in flight, not judged)`);
    return [head, ...lines].join("\n");
}

export async function runReconcile(options: ReconcileCommandOptions): Promise<number> {
    const outputs = readOperationsOutputs(options.selection);
    resolveKafkaPassword(options.selection, outputs);
    const sql = await connectToSource(outputs, resolvePostgresPassword(options.selection, outputs.postgres.user));
    const progress = (m: string) => process.stderr.write(`reconcile: ${m}\n`);
    try {
        // Canonical texts of timestamps and times are written in UTC.
        await sql.query("SET TIME ZONE 'UTC'");
        let token: Promise<string> | undefined;
        const adx: KqlRunner = async (kql) => {
            token ??= getKustoAccessToken(outputs.adx.queryUri);
            return rowsOf((await runKustoQuery(outputs.adx.queryUri, outputs.adx.database, kql, await token))[0]);
        };
        const fence = heartbeatFence({ ...outputs.adx.heartbeat, key: outputs.adx.heartbeat.keys[0] }, sql, adx, options.timeoutMs, fencePositions(outputs));
        // A sample moves on with the clock (the hour count plus the day count), so an hourly or a daily cron
        // run compares the next sixteenths each time and covers every key in turn.
        const sample = keySample(options.sample, Math.floor(Date.now() / 3_600_000) + Math.floor(Date.now() / 86_400_000));
        const targets = await reconcileTargets(outputs, sql, options.tables);
        const reconcileAll = async () => {
            const results: TableReconcile[] = [];
            for (const target of targets) {
                try {
                    results.push(await reconcileTable(target, adx, sql, { fence, progress, sample }));
                } catch (error: any) {
                    // A column PostgreSQL has and the current-state function does not: the model predates it.
                    if (/does not refer to any known column|could not be resolved/i.test(error.message))
                        throw new Error(`${target.table}: ADX's model lacks a column PostgreSQL has (${error.message.split("\n")[0]}); run pulumi up, then reconcile`);
                    throw error;
                }
            }
            return results;
        };
        let results = await reconcileAll();
        let repaired: Awaited<ReturnType<typeof repair>> | undefined;
        if (options.repair && results.some((r) => r.differences.length > 0)) {
            repaired = await repair(outputs, sql, adx, targets, results, options.timeoutMs, fence, progress);
            results = await reconcileAll();
        }
        if (options.record) {
            const at = new Date();
            const token = await getKustoAccessToken(outputs.adx.queryUri);
            const rows = results.map((r) => ({
                at,
                stack: outputs.connectors.source,
                sourceTable: r.table,
                verdict: r.differences.length ? "drift" : r.unsettled ? "unsettled" : "equal",
                differingKeys: r.differences.length,
                unsettled: r.unsettled,
                sourceRows: r.sourceRows,
                adxRows: r.adxRows,
                coverage: r.coverage.fraction,
                durationMs: r.durationMs,
            }));
            await runKustoCommand(outputs.adx.queryUri, outputs.adx.database, recordReconcileCommand(rows), token);
            progress(`recorded in ${RECONCILE_RESULTS_TABLE}`);
        }
        process.stdout.write(options.json ? JSON.stringify({ tables: results, ...(repaired ? { repaired } : {}) }) + "\n" : results.map(describe).join("\n") + "\n");
        return results.some((r) => r.differences.length > 0) ? 1 : 0;
    } finally {
        await sql.end().catch(() => undefined);
    }
}

/** Re-reads each table's drifted keys (those PostgreSQL still holds) and waits until ADX has them. */
async function repair(
    outputs: OperationsOutputs,
    sql: SqlClient,
    adx: KqlRunner,
    targets: ReconcileTarget[],
    results: TableReconcile[],
    timeoutMs: number,
    fence: () => Promise<void>,
    progress: (m: string) => void,
): Promise<{ reread: { table: string; keys: number }[]; deletesReplayed: { table: string; keys: number }[] }> {
    // Keys ADX shows that PostgreSQL deleted: their delete events were lost (e.g. to topic retention). Each gets
    // a delete record in its table's topic, in the partition its changes use, built from the latest change
    // ADX holds; the sink delivers it like Debezium's own and the current state hides the key.
    const replayed: { table: string; keys: number }[] = [];
    for (const result of results) {
        const extras = result.differences.filter((d) => d.kind === "extra");
        if (!extras.length) continue;
        const target = targets.find((t) => t.table === result.table)!;
        replayed.push({
            table: result.table,
            keys: await replayDeletes(
                outputs,
                sql,
                adx,
                target,
                extras.map((d) => d.keyText),
            ),
        });
    }
    // One signal for every table: Debezium reads them in turn (a second signal during a running snapshot waits for it).
    const repaired: { table: string; keys: number }[] = [];
    const filters: Record<string, string> = {};
    if (!results.some((r) => r.differences.some((d) => d.kind !== "extra"))) {
        await fence();
        return { reread: repaired, deletesReplayed: replayed };
    }
    const signalTable = outputs.postgres.signalTable;
    if (!signalTable) throw new Error("this stack has no signal table yet: run pulumi up with this version first (it adds cdc_meta.signal_<prefix>)");
    for (const result of results) {
        const keys = result.differences.filter((d) => d.kind !== "extra").map((d) => d.key);
        if (!keys.length) continue;
        filters[result.table] = sqlKeyFilter(
            targets.find((t) => t.table === result.table)!,
            keys,
        );
        repaired.push({ table: result.table, keys: keys.length });
    }
    if (repaired.length)
        await requestIncrementalSnapshot(
            sql,
            { signalTable, connectUrl: outputs.connectRestUrl, connectorName: outputs.connectors.source, timeoutSeconds: Math.ceil(timeoutMs / 1000) },
            repaired.map((r) => r.table),
            progress,
            filters,
        );
    // Debezium's committed offset lists the tables it is still snapshotting; then the fence waits until ADX holds what it read.
    let last: string[] | undefined;
    await pollUntil({
        attempt: async () => {
            last = (await readIncrementalSnapshots(sql, signalTable, outputs.connectRestUrl, outputs.connectors.source)).inProgress;
            return last && !repaired.some((r) => last!.includes(r.table)) ? true : undefined;
        },
        timeoutMs,
        intervalMs: 500,
        timeoutError: () =>
            new Error(`the repair's re-read had not finished within ${timeoutMs / 1000} s (still snapshotting: ${last?.join(", ") ?? "unknown"}); see pg-adx-cdc status`),
    });
    await fence();
    progress(`re-read ${repaired.map((r) => `${r.keys} keys of ${r.table}`).join(", ")}`);
    return { reread: repaired, deletesReplayed: replayed };
}

/**
 * Produces a delete record for each key (canonical texts) into the table's topic; returns how many. Each is
 * stamped just after the key's latest change in ADX (its change order plus one): it wins over that change,
 * and any change Debezium emits later, stamped from the workers' clock, wins over it.
 */
async function replayDeletes(outputs: OperationsOutputs, sql: SqlClient, adx: KqlRunner, target: ReconcileTarget, keyTexts: string[]): Promise<number> {
    const index = outputs.adx.tables.findIndex((t) => t.sourceTable === target.table);
    const adxTable = outputs.adx.tables[index];
    const topic = outputs.topics[index];
    const metadata = changeMetadataColumns(target.columns.map((c) => c.name));
    const fields = changeMetadataFields();
    const order = { column: changeOrderColumn(target.columns.map((c) => c.name)), expression: changeOrderExpression(metadata) };
    const latest = await adx(kqlLatestChanges(target, adxTable.rawTable, order, keyTexts));
    const {
        rows: [{ lsn }],
    } = await sql.query("SELECT (pg_current_wal_lsn() - '0/0')::bigint::text AS lsn");
    const messages = latest.map((row) => {
        const record = { ...(row[adxTable.recordColumn] as Record<string, unknown>) };
        for (const f of Object.values(KAFKA_POSITION_FIELDS)) delete record[f];
        const stamp = new LosslessNumber((BigInt(String(row[order.column])) + 1n).toString());
        const value = {
            ...record,
            [fields.op]: "d",
            [fields.deleted]: "true",
            [fields.snapshot]: null,
            [fields.sourceTs]: Date.now(),
            [fields.lsn]: Number(lsn),
            [EMISSION_STAMP_FIELD]: stamp,
        };
        const key = Object.fromEntries(target.key.map((k) => [k, record[k]]));
        return { partition: Number(row[metadata.kafkaPartition.column]), key: stringifyLosslessJson(key) ?? "", value: stringifyLosslessJson(value) ?? "" };
    });
    const kafka = kafkaClient({ bootstrapServers: outputs.kafkaBootstrapServers, authentication: outputs.kafkaAuthentication }, "pg-adx-cdc-reconcile");
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    try {
        for (const m of messages) await producer.send({ topic, acks: -1, messages: [{ partition: m.partition, key: m.key, value: m.value }] });
    } finally {
        await producer.disconnect();
    }
    return messages.length;
}
