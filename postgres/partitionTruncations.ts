// A TRUNCATE of one partition of a captured partitioned table. The publication publishes the table
// through its root (publish_via_partition_root), and pgoutput then sends a TRUNCATE of the root, but
// skips one of a partition: its rows leave with no change event, and ADX would keep them. So the stack
// records such a TRUNCATE itself: a statement-level AFTER TRUNCATE trigger on the captured table and on
// each of its partitions writes one row into a log table in the stack's schema (in the truncating
// transaction, so a rolled-back TRUNCATE leaves none). A TRUNCATE of the root fires the partitions'
// triggers too, in the same transaction: its rows tell it apart, and it needs nothing (it is published).
// The catalog read turns each partition's newest unpublished truncation into its recorded identity
// (partitionKey), so `pulumi refresh` + `pulumi up` see the partition change, fence the table and read it
// again (postgres/incrementalSnapshot.ts rereadPlan), and `status` names it until then.
import { STACK_SCHEMA } from "./sourceSchema";

/** The log of truncations, shared by the stacks on one database (each stack's trigger writes its own row). */
export const PARTITION_TRUNCATIONS_TABLE = `${STACK_SCHEMA}.partition_truncations`;

/** A stack's trigger function and trigger name, named after its publication (two stacks never share one). */
export function truncationTriggerNames(publicationName: string): { functionName: string; triggerName: string } {
    return { functionName: `${STACK_SCHEMA}.${`${publicationName}_truncated`.slice(0, 63)}`, triggerName: `${publicationName}_truncate`.slice(0, 63) };
}

/**
 * The log table and the stack's trigger function (the admin's: SECURITY DEFINER, so the application's role
 * that truncates needs no grant on the log). `relation` is the truncated relation, `ancestors` it and the
 * partitioned tables above it at that moment (it may be detached or dropped later), `xid` the truncating
 * transaction. A relation's rows before its newest TRUNCATE of its own (no ancestor truncated in the same
 * transaction) are never read again: whatever table a stack captures above it, that one counts as unpublished and
 * is newer. Nor is one from a TRUNCATE of its topmost partitioned table (published for every table captured
 * above it, each of which was truncated with it). The trigger deletes both kinds, so the log holds a few rows per
 * relation however often tables are truncated. Idempotent.
 */
export function buildTruncationLogStatements(publicationName: string, operatorUser?: string): string[] {
    const { functionName } = truncationTriggerNames(publicationName);
    return [
        `CREATE TABLE IF NOT EXISTS ${PARTITION_TRUNCATIONS_TABLE} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, relation oid NOT NULL, ancestors oid[] NOT NULL, ` +
            `xid xid8 NOT NULL DEFAULT pg_current_xact_id(), truncated_at timestamptz NOT NULL DEFAULT now())`,
        `REVOKE ALL ON ${PARTITION_TRUNCATIONS_TABLE} FROM PUBLIC`,
        // Whatever fails in it (the log dropped by hand, another stack's admin owning it) never fails the application's TRUNCATE.
        `CREATE OR REPLACE FUNCTION ${functionName}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$ BEGIN BEGIN ` +
            `DELETE FROM ${PARTITION_TRUNCATIONS_TABLE} l WHERE l.relation = TG_RELID AND l.xid <> pg_current_xact_id() AND (l.id < (SELECT max(d.id) FROM ${PARTITION_TRUNCATIONS_TABLE} d ` +
            `WHERE d.relation = TG_RELID AND d.xid <> pg_current_xact_id() AND NOT EXISTS (SELECT FROM ${PARTITION_TRUNCATIONS_TABLE} a ` +
            `WHERE a.xid = d.xid AND a.relation <> d.relation AND a.relation = ANY (d.ancestors))) ` +
            `OR EXISTS (SELECT FROM ${PARTITION_TRUNCATIONS_TABLE} a WHERE a.xid = l.xid AND a.relation <> l.relation AND a.relation = l.ancestors[cardinality(l.ancestors)])); ` +
            `INSERT INTO ${PARTITION_TRUNCATIONS_TABLE} (relation, ancestors) VALUES (TG_RELID, ARRAY(SELECT relid FROM pg_partition_ancestors(TG_RELID))); ` +
            `EXCEPTION WHEN OTHERS THEN RAISE WARNING 'pg-adx-cdc could not log the TRUNCATE of %: % (a TRUNCATE of that partition alone then goes unnoticed; reconcile finds its rows)', TG_RELID::regclass, SQLERRM; END; ` +
            `RETURN NULL; END $fn$`,
        ...(operatorUser
            ? [
                  `DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${operatorUser}') THEN EXECUTE 'GRANT SELECT ON ${PARTITION_TRUNCATIONS_TABLE} TO ${operatorUser}'; END IF; END $$`,
              ]
            : []),
    ];
}

/**
 * Per captured table ($1, text[] of names) that is partitioned, each of its relations that lacks the stack's
 * trigger ($2, its name), the table itself first, and whether the admin may create it (owner, or the TRIGGER
 * privilege: CREATE TRIGGER takes its lock before it checks, so one that would be refused is not tried). A
 * plain table has none (its TRUNCATE is published), nor does a foreign partition (no WAL, no TRUNCATE trigger). The
 * bootstrap creates them; `status` names those left.
 */
export const MISSING_TRIGGERS_SQL =
    `SELECT w.captured, t.relid::regclass::text AS relation, t.level = 0 AS root, has_table_privilege(t.relid, 'TRIGGER') AS allowed ` +
    `FROM unnest($1::text[]) w(captured) JOIN pg_class c ON c.oid = to_regclass(w.captured) AND c.relkind = 'p' CROSS JOIN LATERAL pg_partition_tree(c.oid) t JOIN pg_class r ON r.oid = t.relid AND r.relkind IN ('r', 'p') ` +
    `WHERE NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = t.relid AND g.tgname = $2) ORDER BY 1, t.level, 2`;

/** CREATE TRIGGER on one relation (its SHARE ROW EXCLUSIVE lock is brief; the caller bounds the wait). */
export function buildCreateTriggerStatement(publicationName: string, relation: string): string {
    const { functionName, triggerName } = truncationTriggerNames(publicationName);
    return `CREATE TRIGGER ${triggerName} AFTER TRUNCATE ON ${relation} FOR EACH STATEMENT EXECUTE FUNCTION ${functionName}()`;
}

/**
 * On destroy: the function goes, and with it every trigger of the stack (DROP ... CASCADE needs no table
 * ownership); the shared log goes once no other stack's function writes into it.
 */
export function buildTruncationTeardownStatements(publicationName: string): string[] {
    return [
        `DROP FUNCTION IF EXISTS ${truncationTriggerNames(publicationName).functionName}() CASCADE`,
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_proc WHERE prosrc LIKE '%${PARTITION_TRUNCATIONS_TABLE}%') THEN DROP TABLE IF EXISTS ${PARTITION_TRUNCATIONS_TABLE}; END IF; END $$`,
    ];
}

/**
 * A table no longer captured: the stack's triggers on it and its partitions go where the admin may drop
 * them without waiting (`lockTimeout`); one left behind only writes a log row nobody reads, and goes on destroy.
 */
export function buildTriggerReleaseStatement(publicationName: string, table: string, lockTimeout: string): string {
    const { triggerName } = truncationTriggerNames(publicationName);
    const name = table.replace(/'/g, "''");
    return (
        `DO $$ DECLARE r regclass; BEGIN SET LOCAL lock_timeout = '${lockTimeout}'; ` +
        `FOR r IN SELECT g.tgrelid::regclass FROM pg_partition_tree(to_regclass('${name}')) t JOIN pg_trigger g ON g.tgrelid = t.relid AND g.tgname = '${triggerName}' LOOP ` +
        `BEGIN EXECUTE format('DROP TRIGGER %I ON %s', '${triggerName}', r); EXCEPTION WHEN insufficient_privilege OR lock_not_available THEN NULL; END; END LOOP; END $$`
    );
}

/**
 * Per captured table ($1, text[] of names), each leaf partition's newest truncation that PostgreSQL did not
 * publish (no TRUNCATE of the captured table itself in the same transaction): relation OID, log id, time.
 */
export const UNPUBLISHED_TRUNCATIONS_SQL =
    `SELECT w.captured, l.relation::text AS relation, max(l.id)::text AS truncation, max(l.truncated_at) AS truncated_at ` +
    `FROM unnest($1::text[]) w(captured) JOIN ${PARTITION_TRUNCATIONS_TABLE} l ON to_regclass(w.captured) = ANY (l.ancestors) AND l.relation <> to_regclass(w.captured) ` +
    `WHERE NOT EXISTS (SELECT FROM ${PARTITION_TRUNCATIONS_TABLE} r WHERE r.xid = l.xid AND r.relation = to_regclass(w.captured)) GROUP BY 1, 2`;

/** Whether the log exists (before the first bootstrap it does not) and this role may read it (an operator role older than the log may not). */
export const TRUNCATIONS_LOG_PRESENT_SQL = `SELECT CASE WHEN to_regclass('${PARTITION_TRUNCATIONS_TABLE}') IS NULL THEN false ELSE has_table_privilege('${PARTITION_TRUNCATIONS_TABLE}', 'SELECT') END AS present`;

export interface UnpublishedTruncation {
    captured: string;
    relation: string;
    truncation: string;
    truncatedAt: Date;
}

/** The unpublished truncations of the captured tables' partitions; none before the log exists. */
export async function readUnpublishedTruncations(client: { query(text: string, values: unknown[]): Promise<{ rows: any[] }> }, tables: string[]): Promise<UnpublishedTruncation[]> {
    if (!(await client.query(TRUNCATIONS_LOG_PRESENT_SQL, [])).rows[0].present) return [];
    const { rows } = await client.query(UNPUBLISHED_TRUNCATIONS_SQL, [tables]);
    return rows.map((r: any) => ({ captured: r.captured, relation: r.relation, truncation: String(r.truncation), truncatedAt: new Date(r.truncated_at) }));
}

/**
 * A leaf partition's recorded identity: its relation OID, and after a TRUNCATE PostgreSQL did not publish,
 * "<OID>@<log id>" (partitionKey("16390", "7") is "16390@7"). Another identity for the same OID is a
 * truncation since it was recorded; an OID gone is a partition detached or dropped.
 */
export function partitionKey(relationOid: string, truncation?: string): string {
    return truncation === undefined ? relationOid : `${relationOid}@${truncation}`;
}

/** The relation OID of a recorded partition identity. */
export function partitionOid(key: string): string {
    const at = key.indexOf("@");
    return at < 0 ? key : key.slice(0, at);
}

/** One CREATE TRIGGER, retried while a long transaction holds the lock (each wait bounded by the session's lock_timeout); why it failed, if it did. */
async function createTrigger(client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> }, statement: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
        try {
            await client.query(statement);
            return undefined;
        } catch (error: any) {
            if (error.code === "55P03" && attempt < 4) {
                await new Promise((r) => setTimeout(r, 1000 * attempt));
                continue;
            }
            return error.code === "55P03" ? `a long transaction held its lock through ${attempt} tries` : error.message;
        }
    }
}

/**
 * Creates the stack's trigger on each relation of the captured partitioned tables that lacks it, one at a
 * time under `lockTimeout`. A relation the admin may not alter (owned by another role), or whose lock a long
 * transaction holds, is left without it and named in the log: that table's single-partition TRUNCATEs then
 * go unnoticed, as before, and reconcile still finds their rows.
 */
export async function installTruncationTriggers(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    tables: string[],
    publicationName: string,
    lockTimeout: string,
    log: (message: string) => void,
): Promise<void> {
    const { triggerName } = truncationTriggerNames(publicationName);
    await client.query(`SET lock_timeout = '${lockTimeout}'`);
    try {
        for (const table of tables) {
            const missing: { relation: string; root: boolean; allowed: boolean }[] = (await client.query(MISSING_TRIGGERS_SQL, [[table], triggerName])).rows;
            for (const { relation, root, allowed } of missing) {
                const statement = buildCreateTriggerStatement(publicationName, relation);
                const undetected = `so a TRUNCATE of a single partition of ${table} is not detected (pg-adx-cdc reconcile --table ${table} finds its rows)`;
                const failure = allowed ? await createTrigger(client, statement) : "another role owns it";
                const created = failure === undefined;
                if (!created)
                    log(
                        `${relation}${root ? "" : ` (of ${table})`}: no TRUNCATE trigger of the stack's (${failure}), ${undetected}; run pulumi up again, or have its owner run ${statement}`,
                    );
                // Without the table's own trigger a TRUNCATE of the whole table would read as its partitions', one by one.
                if (!created && root) {
                    if (missing.length > 1) log(`${table}: its partitions get no trigger either while the table has none`);
                    break;
                }
            }
        }
    } finally {
        await client.query("RESET lock_timeout").catch(() => undefined);
    }
}
