// `npm run verify`: proves the whole path with one marker row in the stack's own heartbeat table
// (never a user table). It commits an insert in PostgreSQL, waits until the heartbeat's
// current-state function in ADX shows the row, reports the commit-to-query latency, then deletes
// the row and waits until the function no longer shows it. The marker is removed from the source
// whatever happens, so a failed run leaves nothing behind.
import { SqlQueryable } from "./pipelineHealth";
import { isTableName } from "../contract/identifiers";
import { pollUntil } from "../runtime/pollUntil";

/** Where the current state is read: ADX over REST in production, "what ADX would hold" in the e2e harness. */
export interface CurrentStateProbe {
    /** For messages, e.g. "cdc_meta_heartbeat_cdc_current() on https://...". */
    description: string;
    /** The current row of a key, or undefined when the current state does not show it. */
    findRow(id: string): Promise<Record<string, unknown> | undefined>;
}

export interface VerifyOptions {
    /** Per phase (insert visible, delete gone); default 180 s, enough for queued ingestion's batching. */
    timeoutMs?: number;
    pollIntervalMs?: number;
    progress?: (message: string) => void;
}

export interface VerifyReport {
    /** The marker row's id in the heartbeat table (Debezium's own heartbeat is id 1). */
    markerId: string;
    /** From the insert's commit returning to the first query that shows the order. */
    commitToQueryMs: number;
    /** From the delete's commit returning to the first query that no longer shows it. */
    deleteToGoneMs: number;
    polls: number;
}

/** A marker id unique per run, far from Debezium's heartbeat row (id 1). */
export function verifyMarkerId(random = Math.random()): string {
    return String(1_000_000 + Math.floor(random * 2_000_000_000));
}

export async function verifyPipeline(sql: SqlQueryable, probe: CurrentStateProbe, heartbeatTable: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const timeoutMs = options.timeoutMs ?? 180_000;
    const pollMs = options.pollIntervalMs ?? 250;
    const progress = options.progress ?? (() => undefined);
    if (!isTableName(heartbeatTable)) throw new Error(`heartbeat table ${JSON.stringify(heartbeatTable)} is not a "schema.table" name`);
    const table = heartbeatTable;
    const markerId = verifyMarkerId();
    let polls = 0;
    const waitFor = async (phase: string, id: string, done: (row: Record<string, unknown> | undefined) => boolean, since: number): Promise<number> => {
        let lastReport = Date.now();
        return pollUntil({
            attempt: async () => {
                polls++;
                return done(await probe.findRow(id)) ? Date.now() - since : undefined;
            },
            timeoutMs: timeoutMs - (Date.now() - since),
            intervalMs: pollMs,
            onWait: () => {
                if (Date.now() - lastReport < 5000) return;
                progress(`${phase}: still waiting after ${Math.round((Date.now() - since) / 1000)} s`);
                lastReport = Date.now();
            },
            timeoutError: () =>
                new Error(
                    `${phase}: heartbeat marker ${id} not as expected in ${probe.description} after ${Math.round((Date.now() - since) / 1000)} s (${polls} queries); check npm run status`,
                ),
        });
    };

    await sql.query(`INSERT INTO ${table} (id, beat_at) VALUES ($1, now())`, [markerId]);
    const committedAt = Date.now();
    progress(`inserted heartbeat marker ${markerId} into ${table}; waiting for ${probe.description}`);
    try {
        const commitToQueryMs = await waitFor("insert", markerId, (row) => row !== undefined && String(row.id) === markerId, committedAt);
        progress(`marker ${markerId} queryable after ${commitToQueryMs} ms; deleting it`);
        await sql.query(`DELETE FROM ${table} WHERE id = $1`, [markerId]);
        const deletedAt = Date.now();
        const deleteToGoneMs = await waitFor("delete", markerId, (row) => row === undefined, deletedAt);
        progress(`marker ${markerId} gone from the current state after ${deleteToGoneMs} ms`);
        return { markerId, commitToQueryMs, deleteToGoneMs, polls };
    } finally {
        // Idempotent: after a successful run the row is already gone.
        await sql.query(`DELETE FROM ${table} WHERE id = $1`, [markerId]).catch(() => undefined);
    }
}
