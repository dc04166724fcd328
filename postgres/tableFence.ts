// The fence a replaced table needs. A captured table dropped and created again under its name (a reload
// by swap, a migration that re-creates it, pg_restore --clean) leaves the publication (which follows a
// table by OID) and ADX keeps the replaced table's rows, none of which a re-read would hide. The stack
// writes a logical decoding message naming the table's topic; Debezium passes it on, and the stack's
// transform (TruncateToChangeRecord) turns it into a TRUNCATE row on that topic, so the current state
// hides every row whose change has a lower LSN, as after a TRUNCATE. The re-read that follows brings
// the new table's rows. `pg-adx-cdc snapshot --replace` writes the same fence before its re-read: the
// exact repair after rows left a table without a change event (a partition detached or dropped, or
// truncated alone).
// A fence written just before a re-read's signal names the signal (a second line): ADX holds it pending
// until the end of a whole read of the table (a TRUNCATE row without an LSN, after the re-read's last row) follows it,
// so the rows ADX holds stay in the current state while the table is read again, and only those the
// re-read did not find leave it then. A fence with nothing to wait for (the table is empty) applies at once.
import { REPLACED_TABLE_MESSAGE_PREFIX } from "../contract/recordFields";

/** A statement with its parameters, run in the fences' transaction. */
export interface SqlStatement {
    text: string;
    values: unknown[];
}

/** pgoutput passes logical decoding messages on from PostgreSQL 14. */
export const MIN_FENCE_SERVER_VERSION = 140000;

/**
 * The fence statement of one table: a transactional message (decoded at its commit, in commit order) naming its
 * topic, and the signal of the re-read it waits for, if any.
 */
export function tableFenceStatement(topic: string, rereadSignal?: string): { text: string; values: string[] } {
    return { text: "SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn", values: [REPLACED_TABLE_MESSAGE_PREFIX, rereadSignal ? `${topic}\n${rereadSignal}` : topic] };
}

/**
 * Writes one fence per table (`topics`: table → its Kafka topic) in one transaction and returns each
 * table's fence LSN; on a server before PostgreSQL 14, whose pgoutput passes no message on, writes none
 * and returns the server's major version instead. `rereadSignal` gives a table's re-read signal: its fence
 * waits for that read's end. `alsoInTransaction` (the signal's insert) commits with the fences, so that in
 * the WAL nothing lies between a fence and the signal that queues its re-read: the end of a read of the table
 * already under way (one started before, or reconcile --repair's filtered one) is decoded either before the
 * fence, or after the re-read is queued, when it is not the table's last queued read and applies no fence
 * (TruncateToChangeRecord). Run on their own where no fence is written.
 */
export async function writeTableFences(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    topics: Record<string, string>,
    rereadSignal: (table: string) => string | undefined = () => undefined,
    alsoInTransaction: SqlStatement[] = [],
): Promise<{ fences: Record<string, string> } | { unsupportedMajorVersion: number }> {
    const runAlso = async () => {
        for (const s of alsoInTransaction) await client.query(s.text, s.values);
    };
    const tables = Object.keys(topics);
    if (!tables.length) {
        await runAlso();
        return { fences: {} };
    }
    const version = Number((await client.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
    if (version < MIN_FENCE_SERVER_VERSION) {
        await runAlso();
        return { unsupportedMajorVersion: Math.floor(version / 10000) };
    }
    const fences: Record<string, string> = {};
    await client.query("BEGIN");
    try {
        for (const table of tables) {
            const statement = tableFenceStatement(topics[table], rereadSignal(table));
            fences[table] = (await client.query(statement.text, statement.values)).rows[0].lsn;
        }
        await runAlso();
        await client.query("COMMIT");
    } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
    }
    return { fences };
}

/** The fences of tables the snapshot resource reads again (replaced, a partition removed or truncated alone), said in the deploy log. */
export async function writeReplacedTableFences(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    topics: Record<string, string>,
    log: (message: string) => void,
    rereadSignal: (table: string) => string | undefined = () => undefined,
    alsoInTransaction: SqlStatement[] = [],
): Promise<Record<string, string>> {
    const tables = Object.keys(topics);
    const written = await writeTableFences(client, topics, rereadSignal, alsoInTransaction);
    if ("unsupportedMajorVersion" in written) {
        log(
            `${tables.join(", ")}: read again, but PostgreSQL ${written.unsupportedMajorVersion} cannot mark where the rows ADX holds of them end ` +
                `(pgoutput passes logical messages on from 14), so rows gone without a change event (a replaced table's, a removed or truncated partition's) stay in ADX's current state: ` +
                `pg-adx-cdc reconcile --table <t> --repair removes them`,
        );
        return {};
    }
    const waiting = tables.filter((t) => rereadSignal(t));
    const now = tables.filter((t) => !rereadSignal(t));
    if (waiting.length)
        log(
            `${waiting.join(", ")}: fenced at ${waiting.map((t) => written.fences[t]).join(", ")}; once the re-read that follows has read the whole table, ADX's current state drops ` +
                `the rows it held before the fence that the re-read did not find (until then it keeps showing them)`,
        );
    if (now.length) log(`${now.join(", ")}: empty now, fenced at ${now.map((t) => written.fences[t]).join(", ")}: ADX's current state hides every row it held of them`);
    return written.fences;
}
