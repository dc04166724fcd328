// `npm run verify`: proves the whole path with one marker order. It commits an insert in
// PostgreSQL, waits until the current-state function shows the order, reports the commit-to-query
// latency, then deletes the order and waits until the function no longer shows it. The marker is
// removed from the source whatever happens, so a failed run leaves nothing behind.
import { ORDERS_TABLE } from "../postgres/sourceSchema";
import { SqlQueryable } from "./pipelineHealth";

/** Where the current state is read: ADX over REST in production, "what ADX would hold" in the e2e harness. */
export interface CurrentStateProbe {
    /** For messages, e.g. "OrdersInfoCurrentState() on https://...". */
    description: string;
    /** The current row of an order, or undefined when the current state does not show it. */
    findRow(orderid: string): Promise<Record<string, unknown> | undefined>;
}

export interface VerifyOptions {
    /** Per phase (insert visible, delete gone); default 180 s, enough for queued ingestion's batching. */
    timeoutMs?: number;
    pollIntervalMs?: number;
    progress?: (message: string) => void;
}

export interface VerifyReport {
    orderid: string;
    marker: string;
    /** From the insert's commit returning to the first query that shows the order. */
    commitToQueryMs: number;
    /** From the delete's commit returning to the first query that no longer shows it. */
    deleteToGoneMs: number;
    polls: number;
}

/** The marker's city: recognisable in ADX, unique per run. */
export function verifyMarker(now = new Date()): string {
    return `pg-adx-cdc verify ${now.toISOString()}`;
}

export async function verifyPipeline(sql: SqlQueryable, probe: CurrentStateProbe, options: VerifyOptions = {}): Promise<VerifyReport> {
    const timeoutMs = options.timeoutMs ?? 180_000;
    const pollMs = options.pollIntervalMs ?? 250;
    const progress = options.progress ?? (() => undefined);
    const table = ORDERS_TABLE.qualifiedName;
    const marker = verifyMarker();
    let polls = 0;
    const waitFor = async (phase: string, orderid: string, done: (row: Record<string, unknown> | undefined) => boolean, since: number): Promise<number> => {
        let lastReport = Date.now();
        for (;;) {
            polls++;
            const row = await probe.findRow(orderid);
            if (done(row)) return Date.now() - since;
            const elapsed = Date.now() - since;
            if (elapsed > timeoutMs) throw new Error(`${phase}: order ${orderid} not as expected in ${probe.description} after ${Math.round(elapsed / 1000)} s (${polls} queries); check npm run status`);
            if (Date.now() - lastReport >= 5000) {
                progress(`${phase}: still waiting after ${Math.round(elapsed / 1000)} s`);
                lastReport = Date.now();
            }
            await new Promise((r) => setTimeout(r, pollMs));
        }
    };

    const { rows } = await sql.query(`INSERT INTO ${table} (custid, amount, city) VALUES (0, 0.01, $1) RETURNING orderid::text AS id`, [marker]);
    const committedAt = Date.now();
    const orderid: string = rows[0].id;
    progress(`inserted marker order ${orderid} ("${marker}"); waiting for ${probe.description}`);
    try {
        const commitToQueryMs = await waitFor("insert", orderid, (row) => row !== undefined && row.city === marker, committedAt);
        progress(`order ${orderid} queryable after ${commitToQueryMs} ms; deleting it`);
        await sql.query(`DELETE FROM ${table} WHERE orderid = $1`, [orderid]);
        const deletedAt = Date.now();
        const deleteToGoneMs = await waitFor("delete", orderid, (row) => row === undefined, deletedAt);
        progress(`order ${orderid} gone from the current state after ${deleteToGoneMs} ms`);
        return { orderid, marker, commitToQueryMs, deleteToGoneMs, polls };
    } finally {
        // Idempotent: after a successful run the row is already gone.
        await sql.query(`DELETE FROM ${table} WHERE orderid = $1`, [orderid]).catch(() => undefined);
    }
}
