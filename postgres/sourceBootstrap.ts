// PostgresSourceBootstrap: applies the idempotent source bootstrap SQL (postgres/sourceSchema.ts)
// as a Pulumi resource, and on delete drops the replication slot, the publication, the heartbeat
// table and the replication user, so `pulumi destroy` leaves no WAL-holding slot behind.
// Credentials are resolved when the provider runs, never taken as inputs: the admin password
// comes from the stack's secret config (`pg-adx-cdc:postgresAdminPassword`, handed to dynamic
// providers by the engine) or, outside Pulumi, from PGPASSWORD.
import { SSL_MODES, SslMode } from "../contract/sslMode";
import { connectPostgres } from "./postgresClient";
import { pollUntil } from "../runtime/pollUntil";
import * as pulumi from "@pulumi/pulumi";
import * as sourceSchema from "./sourceSchema";
import * as walGuard from "./walGuard";
import * as partitionTruncations from "./partitionTruncations";
import { canonicalTableName } from "../contract/identifiers";
import { waitUntilSlotCanBeCreated } from "./slotCreationWait";
import { ADMIN_PASSWORD_CONFIG_KEY, CheckFailure, checkAnswer, configureAdminPassword, goneFromRead, logProgress } from "../runtime/providerKit";

export interface PostgresConnectionInputs {
    host: string;
    port: number;
    database: string;
    user: string;
    sslMode: SslMode;
}

export interface SourceBootstrapInputs {
    connection: PostgresConnectionInputs;
    bootstrap: sourceSchema.SourceBootstrapInput;
    /** Debezium's slot, dropped on delete once the connector has released it. */
    slotName: string;
    /** The WAL guard's objects (postgres/walGuard.ts); scheduled when maxRetainedWalBytes is set, removed when not. */
    walGuard?: Omit<walGuard.WalGuardInput, "slotName" | "replicationUser" | "maxRetainedWalBytes"> & { maxRetainedWalBytes?: number };
    timeoutSeconds?: number;
}

/** Stack config key the provider reads the admin password from. */

/** Pure diff: another server or database is a new resource; anything else re-applies in place. */
export function diffSourceBootstrap(olds: SourceBootstrapInputs, news: SourceBootstrapInputs): pulumi.dynamic.DiffResult {
    const replaces: string[] = [];
    for (const key of ["host", "port", "database"] as const) if (olds.connection?.[key] !== news.connection?.[key]) replaces.push(`connection.${key}`);
    // A renamed user, publication or slot must release the old one first (it may hold WAL).
    if (olds.bootstrap?.replicationUser !== news.bootstrap?.replicationUser) replaces.push("bootstrap.replicationUser");
    if (olds.bootstrap?.publicationName !== news.bootstrap?.publicationName) replaces.push("bootstrap.publicationName");
    if (olds.slotName !== news.slotName) replaces.push("slotName");
    const changes = replaces.length > 0 || JSON.stringify(olds) !== JSON.stringify(news);
    const renamed = replaces.some((r) => !r.startsWith("connection."));
    return { changes, replaces, deleteBeforeReplace: renamed };
}

/** Runs `work` on a connected admin client and always closes it; a connection failure names the fix. */
export async function withClient<T>(connection: PostgresConnectionInputs, password: string | undefined, work: (client: any) => Promise<T>): Promise<T> {
    const client = await connectPostgres(
        connection,
        password,
        "pg-adx-cdc-bootstrap",
        `Check the firewall rules and that ${ADMIN_PASSWORD_CONFIG_KEY} is set (pulumi config set --secret ${ADMIN_PASSWORD_CONFIG_KEY} ...).`,
    );
    try {
        return await work(client);
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** Runs one bootstrap statement; a failure names the statement, never the verifier. */
async function runBootstrapStatement(client: { query(sql: string): Promise<unknown> }, statement: string): Promise<void> {
    try {
        await client.query(statement);
    } catch (error: any) {
        const shown = statement.replace(/PASSWORD '[^']*'/, "PASSWORD '[redacted]'");
        throw new Error(`source bootstrap failed: ${error.message}\n  in: ${shown}`);
    }
}

/**
 * A captured table that no longer exists while the stack's publication holds a table it does not
 * capture was most likely renamed (the publication follows a table by OID): the error names both, so
 * the fix is one config line, not a search.
 */
async function refuseRenamedTables(client: { query(sql: string, values?: unknown[]): Promise<{ rows: any[] }> }, bootstrap: sourceSchema.SourceBootstrapInput): Promise<void> {
    const { rows } = await client.query(sourceSchema.GONE_TABLES_SQL, [bootstrap.tables, bootstrap.publicationName, sourceSchema.publishedTables(bootstrap)]);
    const missing = rows.filter((r) => r.kind === "missing").map((r) => r.relation);
    const held = rows.filter((r) => r.kind === "published").map((r) => r.relation);
    if (!missing.length || !held.length) return;
    const database = (await client.query("SELECT current_database() AS db")).rows[0].db;
    throw new Error(
        `captured table ${missing.join(", ")} does not exist in database ${database}, ` +
            `and the stack's publication holds ${held.join(", ")}, which it does not capture: renamed? Put the new name in pg-adx-cdc:capture.tables in place of the old ` +
            `(ADX gets a table of the new name, read by snapshot), or remove the old name if it was dropped (or never existed)`,
    );
}

/**
 * Checks the user's tables (read-only), sets their replica identity, and only then, in one transaction,
 * creates the roles, grants and publication: a table joins the publication only once its UPDATEs and
 * DELETEs can be published, so a refused or failed step never leaves the user's application unable
 * to write. Then, on tables with row-level security, the policy that lets the stack's roles read every
 * row (its snapshot starts only after this resource).
 */
async function applyBootstrap(inputs: SourceBootstrapInputs, password: string | undefined, first = false): Promise<void> {
    const statements = sourceSchema.buildSourceBootstrapStatements(inputs.bootstrap);
    await withClient(inputs.connection, password, async (client) => {
        // On the first deployment, before any change: a transaction left open would hold Debezium's first start, silently.
        // Later (the connector exists, and recreates a lost slot itself) status names such a wait instead of pulumi up failing on it.
        if (first) await waitUntilSlotCanBeCreated(client, inputs.slotName, (inputs.timeoutSeconds ?? 300) * 1000, logProgress);
        await refuseRenamedTables(client, inputs.bootstrap);
        for (const check of sourceSchema.buildCaptureCheckStatements(inputs.bootstrap)) await runBootstrapStatement(client, check);
        await setReplicaIdentity(client, fullIdentityTables(inputs.bootstrap));
        await client.query("BEGIN");
        try {
            for (const statement of statements) await runBootstrapStatement(client, statement);
            await client.query("COMMIT");
        } catch (error) {
            await client.query("ROLLBACK").catch(() => undefined);
            throw error;
        }
        // The demo tables the bootstrap just created (a no-op for every table already FULL).
        if (inputs.bootstrap.createDemoTables) await setReplicaIdentity(client, fullIdentityTables(inputs.bootstrap));
        await allowReadersThroughRowSecurity(client, inputs.bootstrap);
        for (const statement of partitionTruncations.buildTruncationLogStatements(inputs.bootstrap.publicationName, inputs.bootstrap.operator?.user))
            await runBootstrapStatement(client, statement);
        await partitionTruncations.installTruncationTriggers(
            client,
            inputs.bootstrap.tables.map(canonicalTableName),
            inputs.bootstrap.publicationName,
            sourceSchema.USER_TABLE_LOCK_TIMEOUT,
            logProgress,
        );
        await applyWalGuard(inputs, password, client);
        if (inputs.bootstrap.operator && inputs.walGuard) await client.query(sourceSchema.buildOperatorLogGrant(inputs.bootstrap.operator.user, inputs.walGuard.logTable));
    });
}

/** Runs `work` in pg_cron's database: on the open client when that is the source database, else on a new connection. */
function inCronDatabase<T>(inputs: SourceBootstrapInputs, password: string | undefined, client: any, cronDatabase: string, work: (cron: any) => Promise<T>): Promise<T> {
    return cronDatabase === inputs.connection.database ? work(client) : withClient({ ...inputs.connection, database: cronDatabase }, password, work);
}

/** Takes the guard's job out of pg_cron (if pg_cron and the job exist) and its function out of the source. */
async function removeWalGuard(inputs: SourceBootstrapInputs, password: string | undefined, client: any, keepLog: boolean): Promise<void> {
    if (!inputs.walGuard) return;
    const cronDatabase: string | null = (await client.query(walGuard.CRON_DATABASE_SQL)).rows[0].db;
    if (cronDatabase) {
        await inCronDatabase(inputs, password, client, cronDatabase, async (cron) => {
            if ((await cron.query("SELECT to_regclass('cron.job') IS NOT NULL AS present")).rows[0].present)
                await cron.query(walGuard.UNSCHEDULE_WAL_GUARD_SQL, [inputs.walGuard!.jobName]);
        });
    }
    for (const statement of walGuard.buildWalGuardRemovalStatements(inputs.walGuard, keepLog)) await client.query(statement);
}

/**
 * Schedules the WAL guard, or removes it (its log kept) when walGuard has no limit: the function and its
 * log in the source database, the job in pg_cron's database (`cron.database_name`, "postgres" on
 * Azure), which may be another database of the same server.
 */
async function applyWalGuard(inputs: SourceBootstrapInputs, password: string | undefined, client: any): Promise<void> {
    if (!inputs.walGuard) return;
    const limit = inputs.walGuard.maxRetainedWalBytes;
    if (limit === undefined) return removeWalGuard(inputs, password, client, true);
    const cronDatabase: string | null = (await client.query(walGuard.CRON_DATABASE_SQL)).rows[0].db;
    if (!cronDatabase) {
        throw new Error(
            `pg-adx-cdc:postgres.walGuard needs the ${walGuard.WAL_GUARD_EXTENSION} extension loaded on ${inputs.connection.host}: add ${walGuard.WAL_GUARD_EXTENSION} to the server parameters ` +
                `shared_preload_libraries (and, on Azure, azure.extensions) and restart the server (the stack does this for servers it owns and for existing Azure servers), or remove walGuard`,
        );
    }
    const guard: walGuard.WalGuardInput = { ...inputs.walGuard, maxRetainedWalBytes: limit, slotName: inputs.slotName, replicationUser: inputs.bootstrap.replicationUser };
    for (const statement of walGuard.buildWalGuardSourceStatements(guard)) await client.query(statement);
    const schedule = walGuard.buildWalGuardSchedule(guard, inputs.connection.database);
    await inCronDatabase(inputs, password, client, cronDatabase, async (cron) => {
        try {
            await cron.query(`CREATE EXTENSION IF NOT EXISTS ${walGuard.WAL_GUARD_EXTENSION}`);
            await cron.query(schedule.text, schedule.values);
        } catch (error: any) {
            throw new Error(
                `scheduling the WAL guard in database ${cronDatabase} (pg_cron's cron.database_name) failed: ${error.message}; ` +
                    `the admin needs CREATE EXTENSION ${walGuard.WAL_GUARD_EXTENSION} there and EXECUTE on cron.schedule_in_database`,
            );
        }
    });
}

/**
 * Statements that each lock one of the user's tables (ACCESS EXCLUSIVE), one table per transaction:
 * each waits at most USER_TABLE_LOCK_TIMEOUT for its lock (a long transaction of the user's is never
 * queued behind for long, and nothing of theirs queues behind the statement), retried with backoff.
 * `failure` words the error for the table, the reason (lock, owner, other) and the attempts made.
 */
async function lockTablesOneAtATime(
    client: { query(sql: string): Promise<unknown> },
    steps: { table: string; statement: string }[],
    failure: (table: string, reason: "lock" | "owner" | "other", detail: string, attempts: number) => string,
): Promise<void> {
    await client.query(`SET lock_timeout = '${sourceSchema.USER_TABLE_LOCK_TIMEOUT}'`);
    try {
        for (const { table, statement } of steps) {
            for (let attempt = 1; ; attempt++) {
                try {
                    await client.query(statement);
                    break;
                } catch (error: any) {
                    if (error.code === "55P03" && attempt < 6) {
                        await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
                        continue;
                    }
                    throw new Error(failure(table, error.code === "55P03" ? "lock" : error.code === "42501" ? "owner" : "other", error.message, attempt));
                }
            }
        }
    } finally {
        await client.query("RESET lock_timeout").catch(() => undefined);
    }
}

/** The captured tables the stack sets REPLICA IDENTITY FULL: all but those capture.replicaIdentity leaves at DEFAULT. */
function fullIdentityTables(bootstrap: sourceSchema.SourceBootstrapInput): string[] {
    return bootstrap.tables.filter((t) => !(bootstrap.defaultIdentityTables ?? []).includes(t));
}

/** REPLICA IDENTITY FULL where it is missing (the table and each partition), before the table joins the publication; a failure names the fix. */
export async function setReplicaIdentity(client: { query(sql: string): Promise<unknown> }, tables: string[]): Promise<void> {
    const statements = sourceSchema.buildReplicaIdentityStatements(tables);
    const unpublished = "pg-adx-cdc publishes no table before this is set, so the application's writes are unaffected";
    await lockTablesOneAtATime(
        client,
        tables.map((table, i) => ({ table, statement: statements[i] })),
        (table, reason, detail, attempts) => {
            const fix = `ALTER TABLE ${table} REPLICA IDENTITY FULL (and on each partition of a partitioned table)`;
            if (reason === "lock")
                return `${table}: could not take the lock for REPLICA IDENTITY FULL in ${attempts} tries (a long transaction holds it; ${unpublished}); run pulumi up again when it ends, or run ${fix} yourself`;
            if (reason === "owner")
                return `${table}: ${detail}; REPLICA IDENTITY FULL needs the table's owner (${unpublished}): have its owner run ${fix}, then run pulumi up again`;
            return `${table}: setting REPLICA IDENTITY FULL failed (${unpublished}): ${detail}`;
        },
    );
}

/**
 * REPLICA IDENTITY FULL on partitions of captured tables that lack it (a partition created or attached since the
 * last up), each relation alone. These are published already (PostgreSQL publishes every partition of a published
 * table), so a failure does not stop the up: it is logged with the fix and status reports it (REPLICA IDENTITY)
 * until it is set. Meanwhile an update of such a partition that leaves a TOASTed value unchanged is read back.
 */
export async function setReplicaIdentityWherePossible(
    client: { query(sql: string, values?: unknown[]): Promise<{ rows: any[] }> },
    tables: string[],
    log: (message: string) => void,
): Promise<void> {
    const { rows } = await client.query(sourceSchema.REPLICA_IDENTITY_GAPS_SQL, [tables]);
    for (const { captured, relation } of rows as { captured: string; relation: string }[]) {
        const fix = `ALTER TABLE ${relation} REPLICA IDENTITY FULL`;
        const consequence = `until then its updates that leave a TOASTed value unchanged have it read back from the table, and pg-adx-cdc status reports it`;
        try {
            await lockTablesOneAtATime(client, [{ table: relation, statement: fix }], (_table, reason, detail, attempts) =>
                reason === "lock"
                    ? `could not take the lock in ${attempts} tries (a long transaction holds it); run pulumi up again when it ends, or run ${fix} yourself`
                    : reason === "owner"
                      ? `${detail}; it needs the owner: have its owner run ${fix}`
                      : `${detail}; run ${fix}`,
            );
        } catch (error: any) {
            log(`${relation} (of captured table ${captured}): REPLICA IDENTITY FULL not set: ${error.message}; ${consequence}`);
        }
    }
}

/**
 * The stack's read policy on each captured table with row-level security (after the roles exist, before
 * the connector's snapshot): without it the snapshot would read none of the table's rows.
 */
async function allowReadersThroughRowSecurity(client: { query(sql: string): Promise<unknown> }, bootstrap: sourceSchema.SourceBootstrapInput): Promise<void> {
    const statements = sourceSchema.buildRowSecurityStatements(bootstrap);
    const policy = sourceSchema.rowSecurityPolicyName(bootstrap.publicationName);
    const readers = sourceSchema.rowReaders(bootstrap).join(", ");
    const unread = "its rows are not read before this is in place, so nothing is lost meanwhile";
    await lockTablesOneAtATime(
        client,
        bootstrap.tables.map((table, i) => ({ table, statement: statements[i] })),
        (table, reason, detail, attempts) => {
            const fix = `CREATE POLICY ${policy} ON ${table} AS PERMISSIVE FOR SELECT TO ${readers} USING (true)`;
            const why = `${table} has row-level security, and the pipeline's roles need a policy to read its rows`;
            if (reason === "lock")
                return `${why}: could not take the lock for CREATE POLICY in ${attempts} tries (a long transaction holds it; ${unread}); run pulumi up again when it ends, or run ${fix} yourself`;
            if (reason === "owner") return `${why}: ${detail}; CREATE POLICY needs the table's owner (${unread}): have its owner run ${fix}, then run pulumi up again`;
            return `${why}: CREATE POLICY failed (${unread}): ${detail}`;
        },
    );
}

/** Tables no longer captured (out of the publication already): the stack's grants and read policy on them go. */
async function releaseTables(inputs: SourceBootstrapInputs, password: string | undefined, removed: string[]): Promise<void> {
    await withClient(inputs.connection, password, async (client) => {
        for (const statement of sourceSchema.buildReleaseStatements(removed, inputs.bootstrap)) await runBootstrapStatement(client, statement);
        for (const table of removed)
            await runBootstrapStatement(
                client,
                partitionTruncations.buildTriggerReleaseStatement(inputs.bootstrap.publicationName, canonicalTableName(table), sourceSchema.USER_TABLE_LOCK_TIMEOUT),
            );
        await lockTablesOneAtATime(
            client,
            sourceSchema
                .buildRowSecurityTeardownStatements({ tables: removed, publicationName: inputs.bootstrap.publicationName })
                .map((statement, i) => ({ table: removed[i], statement })),
            (table, reason, detail) => `${table} is no longer captured, but ${policyDropFailure(table, inputs.bootstrap.publicationName, reason, detail)}; run pulumi up again`,
        );
    });
}

/** Why dropping the stack's read policy on a table failed, and the fix: a table another role owns needs its owner (as creating it did). */
function policyDropFailure(table: string, publicationName: string, reason: "lock" | "owner" | "other", detail: string): string {
    const policy = sourceSchema.rowSecurityPolicyName(publicationName);
    if (reason === "lock") return `dropping the stack's row-security policy ${policy} failed (a long transaction holds the table's lock)`;
    if (reason === "owner") return `dropping the stack's row-security policy ${policy} needs the table's owner (${detail}): have its owner run DROP POLICY ${policy} ON ${table}`;
    return `dropping the stack's row-security policy ${policy} failed (${detail})`;
}

async function readPublishedTables(inputs: SourceBootstrapInputs, password: string | undefined): Promise<{ publication: boolean; tables: string[]; role: boolean }> {
    return withClient(inputs.connection, password, async (client) => {
        const pub = await client.query("SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1", [inputs.bootstrap.publicationName]);
        const exists = await client.query("SELECT EXISTS (SELECT FROM pg_publication WHERE pubname = $1) AS p, EXISTS (SELECT FROM pg_roles WHERE rolname = $2) AS r", [
            inputs.bootstrap.publicationName,
            inputs.bootstrap.replicationUser,
        ]);
        return { publication: exists.rows[0].p, role: exists.rows[0].r, tables: pub.rows.map((r: any) => r.t) };
    });
}

async function teardown(inputs: SourceBootstrapInputs, password: string | undefined, log: (m: string) => void): Promise<void> {
    await withClient(inputs.connection, password, async (client) => {
        // The connector was deleted just before (it depends on this resource), but its task may hold
        // the slot for a few more seconds; an active slot cannot be dropped.
        const outcome = await pollUntil({
            attempt: async () => {
                const { rows } = await client.query(sourceSchema.DROP_SLOT_SQL, [inputs.slotName]);
                return rows[0].outcome === "active" ? undefined : (rows[0].outcome as string);
            },
            timeoutMs: (inputs.timeoutSeconds ?? 300) * 1000,
            intervalMs: 1000,
            onWait: (_elapsed, n) => {
                if (n % 5 === 0) log(`replication slot "${inputs.slotName}" still active, waiting for its consumer to stop`);
            },
            timeoutError: () =>
                new Error(`replication slot "${inputs.slotName}" is still active; stop the consumer that holds it (see pg_stat_replication) and run pulumi destroy again`),
        });
        log(`replication slot "${inputs.slotName}": ${outcome}`);
        await removeWalGuard(inputs, password, client, false);
        // The read policies go before the roles they name (DROP ROLE refuses while a policy names it).
        await lockTablesOneAtATime(
            client,
            sourceSchema.buildRowSecurityTeardownStatements(inputs.bootstrap).map((statement, i) => ({ table: inputs.bootstrap.tables[i], statement })),
            (table, reason, detail) => `${table}: ${policyDropFailure(table, inputs.bootstrap.publicationName, reason, detail)}; run pulumi destroy again`,
        );
        // The stack's TRUNCATE triggers go with their function; the shared log only once no stack's function is left.
        for (const statement of partitionTruncations.buildTruncationTeardownStatements(inputs.bootstrap.publicationName)) await client.query(statement);
        for (const statement of sourceSchema.buildSourceTeardownStatements(inputs.bootstrap)) await client.query(statement);
    });
}

/** Provider; `adminPassword` is set by `configure` from the stack's secret config. */
export const sourceBootstrapProvider: pulumi.dynamic.ResourceProvider & { adminPassword?: string } = {
    configure: configureAdminPassword,

    async check(_olds: any, news: any) {
        const failures: CheckFailure[] = [];
        try {
            sourceSchema.buildSourceBootstrapStatements(news.bootstrap);
        } catch (error: any) {
            failures.push({ property: "bootstrap", reason: error.message });
        }
        if (news.walGuard) {
            try {
                if (news.walGuard.maxRetainedWalBytes === undefined) walGuard.buildWalGuardRemovalStatements(news.walGuard, true);
                else walGuard.buildWalGuardSourceStatements({ ...news.walGuard, slotName: news.slotName, replicationUser: news.bootstrap?.replicationUser });
            } catch (error: any) {
                failures.push({ property: "walGuard", reason: error.message });
            }
        }
        if (!/^[a-z0-9_]{1,63}$/.test(news.slotName ?? ""))
            failures.push({ property: "slotName", reason: `replication slot names are 1-63 lower-case letters, digits or _ (got ${JSON.stringify(news.slotName)})` });
        if (!(SSL_MODES as readonly string[]).includes(news.connection?.sslMode))
            failures.push({ property: "connection.sslMode", reason: `must be one of ${SSL_MODES.join(", ")}` });
        return checkAnswer(news, failures);
    },

    async diff(_id: string, olds: any, news: any) {
        return diffSourceBootstrap(olds, news);
    },

    async create(inputs: any) {
        logProgress(
            `bootstrapping ${inputs.connection.host}/${inputs.connection.database}: tables, publication ${inputs.bootstrap.publicationName}, user ${inputs.bootstrap.replicationUser}`,
        );
        await applyBootstrap(inputs, (this as any).adminPassword, true);
        return { id: `${inputs.connection.host}/${inputs.connection.database}/${inputs.bootstrap.publicationName}`, outs: inputs };
    },

    async update(_id: string, olds: any, news: any) {
        await applyBootstrap(news, (this as any).adminPassword);
        const removed = ((olds.bootstrap?.tables ?? []) as string[]).filter((t) => !news.bootstrap.tables.includes(t));
        if (removed.length) await releaseTables(news, (this as any).adminPassword, removed);
        return { outs: news };
    },

    async read(id: string, props: any) {
        const live = await readPublishedTables(props, (this as any).adminPassword);
        if (!live.publication && !live.role) return goneFromRead();
        // Drift shows as a changed table list (published tables differ from the declared ones).
        const stackTables = [props.bootstrap.heartbeatTable, props.bootstrap.signalTable];
        const declared = [...props.bootstrap.tables, ...stackTables].sort();
        const tables =
            live.tables.length === declared.length && live.tables.every((t, i) => t === declared[i]) ? props.bootstrap.tables : live.tables.filter((t) => !stackTables.includes(t));
        return { id, props: { ...props, bootstrap: { ...props.bootstrap, tables } } };
    },

    async delete(_id: string, props: any) {
        await teardown(props, (this as any).adminPassword, logProgress);
    },
};

export interface PostgresSourceBootstrapArgs {
    connection: { [K in keyof PostgresConnectionInputs]: pulumi.Input<PostgresConnectionInputs[K]> };
    bootstrap: { [K in keyof sourceSchema.SourceBootstrapInput]: pulumi.Input<sourceSchema.SourceBootstrapInput[K]> };
    slotName: pulumi.Input<string>;
    walGuard?: SourceBootstrapInputs["walGuard"];
    timeoutSeconds?: pulumi.Input<number>;
}

/** The source database prepared for Debezium; deleting it releases every WAL-holding object. */
export class PostgresSourceBootstrap extends pulumi.dynamic.Resource {
    constructor(name: string, args: PostgresSourceBootstrapArgs, opts?: pulumi.CustomResourceOptions) {
        super(sourceBootstrapProvider, name, args, opts, "pg-adx-cdc", "PostgresSourceBootstrap");
    }
}
