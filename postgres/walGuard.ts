// The WAL guard (pg-adx-cdc:postgres.walGuard): the last resort that keeps Debezium's slot from
// filling the source's disk. A pg_cron job runs a function in the source database every minute; once
// the slot retains more WAL than the limit, the function ends the slot's consumer, drops the slot and
// logs the drop. A slot PostgreSQL itself invalidated (max_slot_wal_keep_size, or on 17+ any
// invalidation_reason) is dropped too: Debezium retries on it for good while Connect shows it RUNNING,
// so without the drop capture would stop unseen by Connect. Debezium then finds its slot gone, re-reads every captured table (snapshot.mode
// when_needed) and the current state hides rows deleted meanwhile (the full-snapshot rule in
// kql/adxModel.ts). It runs inside PostgreSQL because what it guards against is the pipeline being down.

/** The extension that schedules the guard (preloaded, and on Azure allow-listed in azure.extensions). */
export const WAL_GUARD_EXTENSION = "pg_cron";

/** Every minute: pg_cron's finest schedule before 1.5, and far finer than WAL fills a disk. */
export const WAL_GUARD_SCHEDULE = "* * * * *";

export interface WalGuardInput {
    /** Debezium's slot. */
    slotName: string;
    /** The role Debezium connects as: the guard ends its session, so the admin takes that role's privileges. */
    replicationUser: string;
    /** Retained WAL (current LSN minus the slot's restart LSN) above which the slot is dropped. */
    maxRetainedWalBytes: number;
    /** "schema.name" of the guard function, in the stack's schema of the source database. */
    functionName: string;
    /** "schema.name" of the table each drop is logged in (read by `status`). */
    logTable: string;
    /** pg_cron job name (unique per stack). */
    jobName: string;
}

/** Bytes from the config's GB (decimal GB, as Azure sizes storage). */
export function walGuardLimitBytes(maxRetainedWalGb: number): number {
    return Math.round(maxRetainedWalGb * 1e9);
}

function literal(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
}

function checkNames(input: Pick<WalGuardInput, "functionName" | "logTable" | "jobName">): void {
    for (const [what, name] of [
        ["function", input.functionName],
        ["log table", input.logTable],
    ] as const) {
        if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`WAL guard ${what} "${name}" is not a lower-case schema.name`);
    }
    if (!/^[a-z0-9_]{1,63}$/.test(input.jobName)) throw new Error(`WAL guard job name "${input.jobName}" is not 1-63 lower-case letters, digits or _`);
}

/** Statements in the source database (idempotent; CREATE OR REPLACE carries a changed limit). */
export function buildWalGuardSourceStatements(input: WalGuardInput): string[] {
    checkNames(input);
    if (!/^[a-z0-9_]{1,63}$/.test(input.slotName)) throw new Error(`slot "${input.slotName}" is not a replication slot name`);
    if (!Number.isSafeInteger(input.maxRetainedWalBytes) || input.maxRetainedWalBytes <= 0)
        throw new Error(`WAL guard limit must be a positive byte count (got ${input.maxRetainedWalBytes})`);
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(input.replicationUser)) throw new Error(`replication user "${input.replicationUser}" is not a lower-case identifier`);
    const slot = literal(input.slotName);
    const limit = String(input.maxRetainedWalBytes);
    return [
        // pg_terminate_backend needs the privileges of the backend's role (or pg_signal_backend, which an
        // Azure admin may lack): the admin, which created the replication user, becomes a member that
        // inherits them (PostgreSQL 16 grants a creator ADMIN OPTION only, without INHERIT).
        `DO $$ BEGIN IF current_setting('server_version_num')::int >= 160000 THEN EXECUTE 'GRANT ${input.replicationUser} TO CURRENT_USER WITH INHERIT TRUE'; ` +
            `ELSE EXECUTE 'GRANT ${input.replicationUser} TO CURRENT_USER'; END IF; END $$`,
        // Each drop, and each run that failed (a guard that cannot act must not be silent: status reads both).
        `CREATE TABLE IF NOT EXISTS ${input.logTable} (dropped_at timestamptz NOT NULL DEFAULT now(), outcome text NOT NULL DEFAULT 'dropped', slot_name text NOT NULL, restart_lsn pg_lsn, retained_bytes bigint NOT NULL, limit_bytes bigint NOT NULL, error text)`,
        // Why a slot was dropped: NULL over the limit, else how PostgreSQL invalidated it (a column added after the table's first version).
        `ALTER TABLE ${input.logTable} ADD COLUMN IF NOT EXISTS invalidated text`,
        `REVOKE ALL ON ${input.logTable} FROM PUBLIC`,
        // Runs as the admin that scheduled it. The consumer is ended first (an active slot cannot be
        // dropped); Debezium reconnects only after its retry delay, which leaves the slot free.
        `CREATE OR REPLACE FUNCTION ${input.functionName}() RETURNS text LANGUAGE plpgsql AS $guard$
DECLARE
  s record;
  invalidated text;
BEGIN
  -- The row as jsonb: wal_status (13+), conflicting (16) and invalidation_reason (17+) without naming a column an older server lacks.
  SELECT r.active_pid, r.restart_lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint AS retained, to_jsonb(r) AS j
    INTO s FROM pg_replication_slots r WHERE r.slot_name = ${slot};
  IF NOT FOUND THEN RETURN 'no slot'; END IF;
  invalidated := CASE WHEN s.j->>'invalidation_reason' IS NOT NULL THEN s.j->>'invalidation_reason'
    WHEN s.j->>'wal_status' = 'lost' THEN 'wal_removed' WHEN s.j->>'conflicting' = 'true' THEN 'conflicting' END;
  IF invalidated IS NULL THEN
    IF s.retained IS NULL THEN RETURN 'no slot'; END IF;
    IF s.retained <= ${limit} THEN RETURN 'within the limit'; END IF;
  END IF;
  IF s.active_pid IS NOT NULL THEN
    PERFORM pg_terminate_backend(s.active_pid);
    FOR i IN 1..20 LOOP
      EXIT WHEN NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = ${slot} AND active);
      PERFORM pg_sleep(0.5);
    END LOOP;
  END IF;
  BEGIN
    PERFORM pg_drop_replication_slot(${slot});
  EXCEPTION WHEN object_in_use THEN
    RETURN 'slot taken again by its consumer; the next run drops it';
  END;
  INSERT INTO ${input.logTable} (slot_name, restart_lsn, retained_bytes, limit_bytes, invalidated) VALUES (${slot}, s.restart_lsn, coalesce(s.retained, 0), ${limit}, invalidated);
  IF invalidated IS NOT NULL THEN
    RAISE WARNING 'pg-adx-cdc WAL guard dropped replication slot %, which PostgreSQL had invalidated (%); the pipeline re-reads every captured table', ${slot}, invalidated;
    RETURN 'dropped: invalidated (' || invalidated || ')';
  END IF;
  RAISE WARNING 'pg-adx-cdc WAL guard dropped replication slot % (% bytes of WAL retained, limit % bytes); the pipeline re-reads every captured table', ${slot}, s.retained, ${limit};
  RETURN 'dropped';
EXCEPTION WHEN OTHERS THEN
  INSERT INTO ${input.logTable} (outcome, slot_name, retained_bytes, limit_bytes, error, invalidated) VALUES ('failed', ${slot}, coalesce(s.retained, 0), ${limit}, SQLERRM, invalidated);
  RETURN 'failed: ' || SQLERRM;
END
$guard$`,
        `REVOKE ALL ON FUNCTION ${input.functionName}() FROM PUBLIC`,
    ];
}

/** Statement and parameters that (re)schedule the guard, run in pg_cron's database (cron.database_name). */
export function buildWalGuardSchedule(input: WalGuardInput, sourceDatabase: string): { text: string; values: string[] } {
    checkNames(input);
    return {
        text: "SELECT cron.schedule_in_database($1, $2, $3, $4) AS job",
        values: [input.jobName, WAL_GUARD_SCHEDULE, `SELECT ${input.functionName}()`, sourceDatabase],
    };
}

/** Unschedules the guard's job, if pg_cron and the job exist (run in pg_cron's database). */
export const UNSCHEDULE_WAL_GUARD_SQL = `SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1`;

/** Removes the guard from the source database (walGuard turned off, or the stack destroyed). */
export function buildWalGuardRemovalStatements(input: Pick<WalGuardInput, "functionName" | "logTable" | "jobName">, keepLog: boolean): string[] {
    checkNames(input);
    return [`DROP FUNCTION IF EXISTS ${input.functionName}()`, ...(keepLog ? [] : [`DROP TABLE IF EXISTS ${input.logTable}`])];
}

/** pg_cron's database, or null when pg_cron is not loaded (the GUC exists only once the library is). */
export const CRON_DATABASE_SQL = `SELECT current_setting('cron.database_name', true) AS db`;

/** The latest drop the guard logged with the number of drops, and its latest failure in the last hour: `status` reports them. */
export function buildLastWalGuardDropSql(logTable: string): string {
    checkNames({ functionName: "x.x", logTable, jobName: "x" });
    return (
        `SELECT d.dropped_at, d.retained_bytes::text AS retained_bytes, d.limit_bytes::text AS limit_bytes, d.invalidated, ` +
        `(SELECT count(*) FROM ${logTable} WHERE outcome = 'dropped')::int AS drops, f.dropped_at AS failed_at, f.error ` +
        `FROM (SELECT 1) one ` +
        `LEFT JOIN LATERAL (SELECT * FROM ${logTable} WHERE outcome = 'dropped' ORDER BY dropped_at DESC LIMIT 1) d ON true ` +
        `LEFT JOIN LATERAL (SELECT * FROM ${logTable} WHERE outcome = 'failed' AND dropped_at > now() - interval '1 hour' ORDER BY dropped_at DESC LIMIT 1) f ON true`
    );
}
