// Debezium creates its logical replication slot when its task first starts, and PostgreSQL completes
// CREATE_REPLICATION_SLOT only once every transaction that had a transaction ID when the creation began
// has ended (a logical slot needs a consistent point in the WAL). One session left "idle in transaction"
// after a write (a SQL client with autocommit off), a long batch job or a forgotten prepared transaction
// therefore holds the source connector's start for as long as it lasts, and Connect shows nothing but a
// connector whose task never starts. Here: who holds it, said before anything is created
// (sourceBootstrap.ts) and while Debezium waits (`pg-adx-cdc status`).
import { pollUntil } from "../runtime/pollUntil";

type Sql = { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> };

/**
 * The transactions with a transaction ID still open (in progress, or prepared), $1: the transaction IDs to
 * look at (64-bit, as txid_current_snapshot gives them), or null for every one open now; $2: only those that
 * began before this time (null: all). The session of each where this role may see it (pg_monitor).
 * txid_* functions: PostgreSQL 10 to 17 alike (txid_current() takes a transaction ID for this statement, which
 * ends with it: the way to know the newest one assigned).
 */
export const OPEN_WRITE_TRANSACTIONS_SQL = `
WITH open AS (
  SELECT x AS txid FROM unnest(COALESCE($1::bigint[], ARRAY(
    SELECT txid_snapshot_xip(txid_current_snapshot())
    -- A snapshot lists only IDs below the newest one that ended; those assigned since are in progress or just ended.
    UNION SELECT generate_series(txid_snapshot_xmax(txid_current_snapshot()), LEAST(txid_current() - 1, txid_snapshot_xmax(txid_current_snapshot()) + 100000))
  ))) x
  WHERE txid_status(x) = 'in progress'
)
SELECT o.txid::text AS txid, a.pid, a.usename::text AS user_name, a.application_name, a.state,
       floor(EXTRACT(EPOCH FROM clock_timestamp() - COALESCE(a.xact_start, p.prepared)))::bigint AS open_seconds,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 100) AS query, p.gid AS prepared_gid, p.owner::text AS prepared_owner, p.database::text AS prepared_database
FROM open o
LEFT JOIN pg_stat_activity a ON a.backend_xid IS NOT NULL AND a.backend_xid::text::bigint = o.txid % 4294967296
LEFT JOIN pg_prepared_xacts p ON p.transaction::text::bigint = o.txid % 4294967296
WHERE $2::timestamptz IS NULL OR COALESCE(a.xact_start, p.prepared) IS NULL OR COALESCE(a.xact_start, p.prepared) <= $2::timestamptz
ORDER BY open_seconds DESC NULLS LAST, o.txid`;

export interface OpenWriteTransaction {
    txid: string;
    pid?: number;
    user?: string;
    application?: string;
    state?: string;
    openSeconds?: number;
    query?: string;
    /** A prepared transaction (PREPARE TRANSACTION): its gid, owner and database; it has no session. */
    prepared?: { gid: string; owner: string; database: string };
}

export async function readOpenWriteTransactions(sql: Sql, txids?: string[], beganBefore?: Date): Promise<OpenWriteTransaction[]> {
    const { rows } = await sql.query(OPEN_WRITE_TRANSACTIONS_SQL, [txids ?? null, beganBefore?.toISOString() ?? null]);
    return rows.map((r: any) => ({
        txid: String(r.txid),
        ...(r.pid !== null && r.pid !== undefined ? { pid: Number(r.pid) } : {}),
        ...(r.user_name ? { user: r.user_name } : {}),
        ...(r.application_name ? { application: r.application_name } : {}),
        ...(r.state ? { state: r.state } : {}),
        ...(r.open_seconds !== null && r.open_seconds !== undefined ? { openSeconds: Number(r.open_seconds) } : {}),
        ...(r.query ? { query: r.query } : {}),
        ...(r.prepared_gid ? { prepared: { gid: r.prepared_gid, owner: r.prepared_owner, database: r.prepared_database } } : {}),
    }));
}

/** One transaction as an operator can act on it: the session (or prepared transaction), how long, what, and the statement that ends it. */
export function describeOpenWriteTransaction(t: OpenWriteTransaction): string {
    const open = t.openSeconds !== undefined ? ` for ${t.openSeconds} s` : "";
    if (t.prepared)
        return `prepared transaction '${t.prepared.gid}' (owner ${t.prepared.owner}, database ${t.prepared.database}, prepared${open}; end it with COMMIT PREPARED or ROLLBACK PREPARED '${t.prepared.gid}')`;
    if (t.pid !== undefined)
        return (
            `pid ${t.pid} (${[t.user, t.application ? `application '${t.application}'` : undefined].filter(Boolean).join(", ")}, ${t.state ?? "open"}${open}` +
            `${t.query ? `, last statement: ${t.query}` : ""}; end it with COMMIT or ROLLBACK in that session, or SELECT pg_terminate_backend(${t.pid}))`
        );
    return `transaction ${t.txid} (its session is hidden from this role: grant it pg_monitor to see it, or look in pg_stat_activity as a superuser or azure_pg_admin)`;
}

/**
 * Before the source connector exists: when Debezium's slot does not exist yet, waits (naming them) until
 * every transaction with a transaction ID open now has ended, so that Debezium's CREATE_REPLICATION_SLOT
 * does not wait behind them; at the deadline fails with each and how to end it. Transactions that begin
 * later are short-lived on most databases and are not waited for.
 */
export async function waitUntilSlotCanBeCreated(sql: Sql, slotName: string, timeoutMs: number, log: (message: string) => void): Promise<void> {
    const { rows } = await sql.query("SELECT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1) AS exists", [slotName]);
    if (rows[0].exists) return;
    let open = await readOpenWriteTransactions(sql);
    if (open.length === 0) return;
    const txids = open.map((t) => t.txid);
    let lastLog = 0;
    await pollUntil({
        attempt: async () => ((open = await readOpenWriteTransactions(sql, txids)).length === 0 ? true : undefined),
        timeoutMs,
        intervalMs: 1000,
        onWait: (elapsed) => {
            if (elapsed - lastLog < 10_000 && lastLog !== 0) return;
            lastLog = Math.max(elapsed, 1);
            log(
                `waiting for ${open.length} open transaction(s) to end before Debezium creates replication slot "${slotName}" (PostgreSQL creates a logical slot only ` +
                    `once every transaction open when it begins has ended): ${open.slice(0, 5).map(describeOpenWriteTransaction).join("; ")}`,
            );
        },
        timeoutError: (elapsed) =>
            new Error(
                `replication slot "${slotName}" cannot be created yet: after ${Math.round(elapsed / 1000)} s these transactions are still open, and PostgreSQL creates a logical ` +
                    `replication slot only once every transaction that was open when the creation began has ended (Debezium's source connector would wait behind them without a word):\n  - ` +
                    open.map(describeOpenWriteTransaction).join("\n  - ") +
                    `\nEnd them, then run pulumi up again; nothing of the capture was created yet.`,
            ),
    });
}

/**
 * While Debezium's walsender runs CREATE_REPLICATION_SLOT for `slotName`: how long it has waited, and the
 * transactions it waits for (those open since before it began). Undefined when no creation is under way.
 */
export async function readSlotCreationWait(sql: Sql, slotName: string): Promise<{ waitedSeconds: number; blockers: OpenWriteTransaction[] } | undefined> {
    const { rows } = await sql.query(
        `SELECT query_start, floor(EXTRACT(EPOCH FROM clock_timestamp() - query_start))::bigint AS waited FROM pg_stat_activity ` +
            `WHERE backend_type = 'walsender' AND query ~ ('^\\s*CREATE_REPLICATION_SLOT\\s+"?' || $1 || '"?\\s') ORDER BY query_start LIMIT 1`,
        [slotName],
    );
    if (!rows.length) return undefined;
    return { waitedSeconds: Number(rows[0].waited), blockers: await readOpenWriteTransactions(sql, undefined, new Date(rows[0].query_start)) };
}
