// The fence a replaced table needs. A captured table dropped and created again under its name (a reload
// by swap, a migration that re-creates it, pg_restore --clean) leaves the publication (which follows a
// table by OID) and ADX keeps the replaced table's rows, none of which a re-read would hide. The stack
// writes a logical decoding message naming the table's topic; Debezium passes it on, and the stack's
// transform (TruncateToChangeRecord) turns it into a TRUNCATE row on that topic, so the current state
// hides every row whose change has a lower LSN, as after a TRUNCATE. The re-read that follows brings
// the new table's rows. `pg-adx-cdc snapshot --replace` writes the same fence before its re-read: the
// exact repair after rows left a table without a change event (a partition detached or dropped).
import { REPLACED_TABLE_MESSAGE_PREFIX } from "../contract/recordFields";

/** pgoutput passes logical decoding messages on from PostgreSQL 14. */
export const MIN_FENCE_SERVER_VERSION = 140000;

/** The fence statement of one table: a transactional message (decoded at its commit, in commit order). */
export function tableFenceStatement(topic: string): { text: string; values: string[] } {
    return { text: "SELECT pg_logical_emit_message(true, $1, $2)::text AS lsn", values: [REPLACED_TABLE_MESSAGE_PREFIX, topic] };
}

/**
 * Writes one fence per table (`topics`: table → its Kafka topic) in one transaction and returns each
 * table's fence LSN; on a server before PostgreSQL 14, whose pgoutput passes no message on, writes none
 * and returns the server's major version instead.
 */
export async function writeTableFences(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    topics: Record<string, string>,
): Promise<{ fences: Record<string, string> } | { unsupportedMajorVersion: number }> {
    const tables = Object.keys(topics);
    if (!tables.length) return { fences: {} };
    const version = Number((await client.query("SELECT current_setting('server_version_num') AS v")).rows[0].v);
    if (version < MIN_FENCE_SERVER_VERSION) return { unsupportedMajorVersion: Math.floor(version / 10000) };
    const fences: Record<string, string> = {};
    await client.query("BEGIN");
    try {
        for (const table of tables) {
            const statement = tableFenceStatement(topics[table]);
            fences[table] = (await client.query(statement.text, statement.values)).rows[0].lsn;
        }
        await client.query("COMMIT");
    } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
    }
    return { fences };
}

/** The fences of tables replaced since the last pulumi up (the snapshot resource's update), said in the deploy log. */
export async function writeReplacedTableFences(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    topics: Record<string, string>,
    log: (message: string) => void,
): Promise<Record<string, string>> {
    const tables = Object.keys(topics);
    const written = await writeTableFences(client, topics);
    if ("unsupportedMajorVersion" in written) {
        log(
            `${tables.join(", ")}: read again, but PostgreSQL ${written.unsupportedMajorVersion} cannot mark where the rows ADX holds of them end ` +
                `(pgoutput passes logical messages on from 14), so rows gone without a change event (a replaced table's, a removed or truncated partition's) stay in ADX's current state: ` +
                `pg-adx-cdc reconcile --table <t> --repair removes them`,
        );
        return {};
    }
    if (tables.length)
        log(
            `${tables.join(", ")}: fenced, ADX hides every row it holds of them from ${Object.values(written.fences).join(", ")} on; the re-read that follows brings back the rows each holds now`,
        );
    return written.fences;
}
