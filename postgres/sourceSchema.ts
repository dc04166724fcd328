// The source side of the data contract: the captured tables' definitions and the idempotent SQL
// that prepares PostgreSQL for Debezium (tables, replica identity, heartbeat, publication, a
// least-privilege replication user), plus the SQL that removes it again on destroy.

import { canonicalTableName, parseTableName, PG_IDENTIFIER, quoteIdent } from "../contract/identifiers";

export interface SourceColumn {
    name: string;
    /** PostgreSQL type as written in the DDL. */
    sqlType: string;
}

export interface SourceTableDefinition {
    qualifiedName: string;
    columns: SourceColumn[];
    primaryKey: string;
}

/** `retail.orders_info`, as in the public quickstarts but with real types. */
export const ORDERS_TABLE: SourceTableDefinition = {
    qualifiedName: "retail.orders_info",
    primaryKey: "orderid",
    columns: [
        { name: "orderid", sqlType: "bigserial PRIMARY KEY" },
        { name: "custid", sqlType: "int NOT NULL" },
        { name: "amount", sqlType: "numeric(10,2) NOT NULL" },
        { name: "city", sqlType: "text NOT NULL" },
        { name: "purchase_time", sqlType: "timestamptz NOT NULL DEFAULT now()" },
    ],
};

/** Demo tables whose DDL the stack owns, created only for the demo/generator; any other captured table must already exist. */
export const KNOWN_SOURCE_TABLES: Readonly<Record<string, SourceTableDefinition>> = { [ORDERS_TABLE.qualifiedName]: ORDERS_TABLE };

export interface SourceBootstrapInput {
    tables: string[];
    /**
     * Captured tables left at REPLICA IDENTITY DEFAULT (their primary key) rather than set FULL: an update then
     * writes no copy of the old row to the WAL (FULL logs every old value, TOASTed ones whole), and Debezium
     * reads a TOASTed value an update leaves unchanged back from the table; a delete carries the key only.
     */
    defaultIdentityTables?: string[];
    publicationName: string;
    /** "schema.table" of the heartbeat table Debezium writes to. */
    heartbeatTable: string;
    /** "schema.table" of Debezium's signal table (execute-snapshot signals in, snapshot watermarks out). */
    signalTable: string;
    replicationUser: string;
    /** SCRAM-SHA-256 verifier of the replication user's password (never the password). */
    replicationPasswordVerifier: string;
    /** Create the demo tables (KNOWN_SOURCE_TABLES) that are captured and missing: the demo and the generator only. */
    createDemoTables?: boolean;
    /**
     * The operator commands' role (status, verify, snapshot, reconcile), instead of the admin: pg_monitor
     * (slots, other sessions' transaction ages), SELECT on the captured tables (reconcile), the heartbeat
     * table (verify's marker, reconcile's flush) and the signal table (snapshot). No DDL, no REPLICATION,
     * no write to a user's table.
     */
    operator?: { user: string; passwordVerifier: string };
    /**
     * The orders generator's role (with createDemoTables only): it reads and writes the demo tables the
     * stack created, and nothing else; no DDL, no other table.
     */
    generator?: { user: string; passwordVerifier: string };
}

/** The operator commands' role name. */
export const OPERATOR_USER = "cdc_operator";
/** The orders generator's role name. */
export const GENERATOR_USER = "cdc_generator";

const SCRAM_VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

const IDENTIFIER = PG_IDENTIFIER;

/** A table's schema as SQL text, and the table's canonical name (each part quoted where PostgreSQL needs it). */
function qualified(name: string): { schema: string; table: string } {
    return { schema: quoteIdent(parseTableName(name).schema), table: canonicalTableName(name) };
}

function literal(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Fails the bootstrap, naming the fix, for a captured name logical replication cannot capture: a missing
 * table, a view, materialized view or foreign table (no WAL of their own), an UNLOGGED table or
 * partition (PostgreSQL writes no WAL for it: the snapshot would arrive, then no change ever), or a
 * table with inheritance children (INHERITS, TimescaleDB's chunks): Debezium's snapshot of the parent
 * reads the children's rows too, while PostgreSQL publishes the children's changes under their own
 * names, so those rows would arrive once and never change; or a partitioned table without a primary
 * key (its partitions created later have no replica identity, and their UPDATEs and DELETEs would fail
 * in the user's application); columns whose names differ only by case (Debezium refuses the table); or
 * row-level security with a RESTRICTIVE policy for PUBLIC (the stack's roles would read a subset, and a
 * snapshot would miss rows without an error). Names go in as parameters of RAISE, never into its format
 * string.
 */
export function capturableTableCheck(name: string): string {
    const remove = "or remove it from pg-adx-cdc:capture.tables";
    return (
        `DO $$ DECLARE rel regclass := to_regclass(${literal(name)}); kind "char"; unlogged text; children text; clash text; restrictive text; BEGIN ` +
        `IF rel IS NULL THEN RAISE EXCEPTION 'captured table % does not exist in database %; create it first ${remove}', ${literal(name)}, current_database(); END IF; ` +
        `SELECT relkind INTO kind FROM pg_class WHERE oid = rel; ` +
        `IF kind NOT IN ('r', 'p') THEN RAISE EXCEPTION 'captured table % is a %, which logical replication cannot capture (it has no changes of its own in the WAL); capture the tables it reads from, ${remove}', ` +
        `${literal(name)}, CASE kind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'relation of kind ' || kind::text END; END IF; ` +
        `SELECT string_agg(c.oid::regclass::text, ', ') INTO unlogged FROM (SELECT rel AS relid UNION SELECT relid FROM pg_partition_tree(rel)) t JOIN pg_class c ON c.oid = t.relid WHERE c.relpersistence = 'u'; ` +
        `IF unlogged IS NOT NULL THEN RAISE EXCEPTION 'captured table % is UNLOGGED (%): PostgreSQL writes no WAL for it, so its changes never reach logical replication; switch each to logged with SET LOGGED (it rewrites the table under an ACCESS EXCLUSIVE lock), ${remove}', ` +
        `${literal(name)}, unlogged; END IF; ` +
        `SELECT string_agg(i.inhrelid::regclass::text, ', ' ORDER BY i.inhrelid::regclass::text) INTO children FROM pg_inherits i WHERE i.inhparent = rel AND kind = 'r'; ` +
        `IF children IS NOT NULL THEN RAISE EXCEPTION 'captured table % has inheritance children (%): a snapshot of it reads their rows too, while PostgreSQL publishes their changes under their own names, so those rows would arrive once and never change; capture each child as a table of its own instead of the parent, or move to declarative partitioning (PARTITION BY) and capture the partitioned table, ${remove}', ` +
        `${literal(name)}, children; END IF; ` +
        `SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO clash FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ` +
        `AND EXISTS (SELECT FROM pg_attribute b WHERE b.attrelid = rel AND b.attnum > 0 AND NOT b.attisdropped AND b.attnum <> a.attnum AND lower(b.attname) = lower(a.attname)); ` +
        `IF clash IS NOT NULL THEN RAISE EXCEPTION 'captured table % has columns whose names differ only by case (%): Debezium refuses to capture such a table (it cannot tell them apart); rename one of them (ALTER TABLE % RENAME COLUMN ...), ${remove}', ` +
        `${literal(name)}, clash, ${literal(name)}; END IF; ` +
        `SELECT string_agg(quote_ident(polname), ', ') INTO restrictive FROM pg_policy p WHERE p.polrelid = rel AND NOT p.polpermissive AND p.polcmd IN ('r', '*') AND 0::oid = ANY (p.polroles) ` +
        `AND (SELECT relrowsecurity FROM pg_class WHERE oid = rel); ` +
        `IF restrictive IS NOT NULL THEN RAISE EXCEPTION 'captured table % has row-level security with RESTRICTIVE policies for PUBLIC (%): the pipeline''s roles would read only the rows those policies allow, so the snapshot would miss the others without an error; limit those policies to the application''s roles (ALTER POLICY ... ON % TO <role>), ${remove}', ` +
        `${literal(name)}, restrictive, ${literal(name)}; END IF; ` +
        `IF kind = 'p' AND NOT EXISTS (SELECT FROM pg_index WHERE indrelid = rel AND indisprimary) THEN RAISE EXCEPTION 'captured table % is partitioned and has no primary key: a partition created later starts with REPLICA IDENTITY DEFAULT and no key, and PostgreSQL refuses its UPDATEs and DELETEs once it is published (every partition of a captured table is); add a primary key (it includes the partition key: ALTER TABLE % ADD PRIMARY KEY (...)), ${remove}', ` +
        `${literal(name)}, ${literal(name)}; END IF; END $$`
    );
}

/**
 * Fails the bootstrap when a captured table is a partition of another captured table: the publication
 * publishes a partition's changes as its partitioned table's (publish_via_partition_root), so the
 * partition's own copy in ADX would keep its snapshot rows and never see a change. Runs after every
 * name passed capturableTableCheck.
 */
export function nestedPartitionCheck(names: string[]): string {
    const captured = `ARRAY[${names.map(literal).join(", ")}]::regclass[]`;
    return (
        `DO $$ DECLARE nested text; BEGIN ` +
        `SELECT string_agg(format('%s is a partition of %s', t.rel, a.relid::regclass), '; ' ORDER BY t.rel::text) INTO nested ` +
        `FROM unnest(${captured}) t(rel) CROSS JOIN LATERAL pg_partition_ancestors(t.rel) a(relid) WHERE a.relid <> t.rel AND a.relid = ANY (${captured}); ` +
        `IF nested IS NOT NULL THEN RAISE EXCEPTION 'captured tables overlap (%): PostgreSQL publishes a partition''s changes as its partitioned table''s, so the partition captured on its own would keep its snapshot rows and never change; capture the partitioned table only (it carries every partition''s rows) and remove the partition from pg-adx-cdc:capture.tables', nested; END IF; END $$`
    );
}

/**
 * Fails the bootstrap for a database not encoded in UTF8 (LATIN1, SQL_ASCII, ...): Debezium decodes
 * what PostgreSQL sends as UTF-8 and supports UTF8 databases only, so text outside ASCII would reach
 * ADX garbled, without an error anywhere.
 */
export const DATABASE_ENCODING_CHECK =
    `DO $$ DECLARE enc text := pg_encoding_to_char((SELECT encoding FROM pg_database WHERE datname = current_database())); BEGIN ` +
    `IF enc <> 'UTF8' THEN RAISE EXCEPTION 'database % is encoded %: Debezium reads UTF8 databases only, so text outside ASCII would reach ADX garbled without an error; ` +
    `capture a UTF8 database (pg_dump, then restore into a database created WITH ENCODING ''UTF8'')', current_database(), enc; END IF; END $$`;

/**
 * Read-only checks of the database and the user's tables (the bootstrap creates the demo tables
 * itself), run before anything is changed: the database is UTF8, each captured name is a table
 * logical replication can capture, and no captured table is a partition of another.
 */
export function buildCaptureCheckStatements(input: Pick<SourceBootstrapInput, "tables" | "createDemoTables" | "defaultIdentityTables">): string[] {
    const users = input.tables.map((t) => qualified(t).table).filter((name) => !(input.createDemoTables && KNOWN_SOURCE_TABLES[name]));
    const keyed = (input.defaultIdentityTables ?? []).map((t) => qualified(t).table).filter((name) => users.includes(name));
    return [DATABASE_ENCODING_CHECK, ...users.map(capturableTableCheck), ...(users.length > 1 ? [nestedPartitionCheck(users)] : []), ...keyed.map(defaultIdentityCheck)];
}

/**
 * Fails the bootstrap when a table pg-adx-cdc:capture.replicaIdentity leaves at DEFAULT cannot be captured so:
 * without a primary key its updates and deletes would carry no key (PostgreSQL refuses them once published),
 * and with identity NOTHING or USING INDEX of another index they would carry none or another one.
 */
export function defaultIdentityCheck(name: string): string {
    const fix = `or remove it from pg-adx-cdc:capture.replicaIdentity (the stack then sets REPLICA IDENTITY FULL)`;
    return (
        `DO $$ DECLARE rel regclass := to_regclass(${literal(name)}); ident "char"; BEGIN ` +
        `IF NOT EXISTS (SELECT FROM pg_index WHERE indrelid = rel AND indisprimary) THEN RAISE EXCEPTION 'captured table % is set to REPLICA IDENTITY DEFAULT in pg-adx-cdc:capture.replicaIdentity but has no primary key, so its updates and deletes would carry no key; add one (ALTER TABLE % ADD PRIMARY KEY (...)), ${fix}', ` +
        `${literal(name)}, ${literal(name)}; END IF; ` +
        `SELECT relreplident INTO ident FROM pg_class WHERE oid = rel; ` +
        `IF ident = 'n' OR (ident = 'i' AND NOT EXISTS (SELECT FROM pg_index WHERE indrelid = rel AND indisreplident AND indisprimary)) THEN RAISE EXCEPTION 'captured table % has REPLICA IDENTITY %, so its updates and deletes would not carry its primary key; run ALTER TABLE % REPLICA IDENTITY DEFAULT, ${fix}', ` +
        `${literal(name)}, CASE ident WHEN 'n' THEN 'NOTHING' ELSE 'USING INDEX of another index' END, ${literal(name)}; END IF; END $$`
    );
}

/** Statements that bring the source database to the state Debezium needs; each is idempotent. */
export function buildSourceBootstrapStatements(input: SourceBootstrapInput): string[] {
    if (!IDENTIFIER.test(input.replicationUser)) throw new Error(`replication user "${input.replicationUser}" is not a lower-case identifier`);
    if (!IDENTIFIER.test(input.publicationName)) throw new Error(`publication "${input.publicationName}" is not a lower-case identifier`);
    if (!SCRAM_VERIFIER.test(input.replicationPasswordVerifier)) {
        throw new Error("the replication password must be given as a SCRAM-SHA-256 verifier (see postgres/scramVerifier.ts)");
    }
    if (input.operator && !IDENTIFIER.test(input.operator.user)) throw new Error(`operator user "${input.operator.user}" is not a lower-case identifier`);
    if (input.operator && !SCRAM_VERIFIER.test(input.operator.passwordVerifier)) throw new Error("the operator password must be given as a SCRAM-SHA-256 verifier");
    if (input.generator && !IDENTIFIER.test(input.generator.user)) throw new Error(`generator user "${input.generator.user}" is not a lower-case identifier`);
    if (input.generator && !SCRAM_VERIFIER.test(input.generator.passwordVerifier)) throw new Error("the generator password must be given as a SCRAM-SHA-256 verifier");
    if (input.generator && !input.createDemoTables) throw new Error("a generator role needs createDemoTables: it writes the demo tables only");
    const heartbeat = qualified(input.heartbeatTable);
    const tables = input.tables.map(qualified);
    const schemas = [...new Set([heartbeat.schema, ...tables.map((t) => t.schema)])];
    const user = input.replicationUser;
    const statements: string[] = schemas.map((s) => `CREATE SCHEMA IF NOT EXISTS ${s}`);
    for (const name of tables.map((t) => t.table)) {
        const known = input.createDemoTables ? KNOWN_SOURCE_TABLES[name] : undefined;
        if (known) statements.push(`CREATE TABLE IF NOT EXISTS ${name} (\n  ${known.columns.map((c) => `${c.name} ${c.sqlType}`).join(",\n  ")}\n)`);
    }
    statements.push(`CREATE TABLE IF NOT EXISTS ${input.heartbeatTable} (id int PRIMARY KEY, beat_at timestamptz NOT NULL DEFAULT now())`);
    // Debezium's signal table, in the stack's own schema: three columns in this order, as Debezium requires.
    qualified(input.signalTable);
    statements.push(`CREATE TABLE IF NOT EXISTS ${input.signalTable} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))`);
    // Writable only by the stack: the admin that owns it and, for the snapshot watermarks, the replication user.
    statements.push(`REVOKE ALL ON ${input.signalTable} FROM PUBLIC`);
    statements.push(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)}) THEN CREATE ROLE ${user} WITH LOGIN REPLICATION; END IF; END $$`,
        `ALTER ROLE ${user} WITH LOGIN REPLICATION PASSWORD ${literal(input.replicationPasswordVerifier)}`,
    );
    for (const s of schemas) statements.push(`GRANT USAGE ON SCHEMA ${s} TO ${user}`);
    for (const { table } of tables) statements.push(`GRANT SELECT ON ${table} TO ${user}`);
    // The heartbeat action query runs as the replication user: the one table it may write.
    statements.push(`GRANT SELECT, INSERT, UPDATE ON ${input.heartbeatTable} TO ${user}`);
    // Incremental snapshots write open/close watermarks into the signal table as the replication user.
    statements.push(`GRANT SELECT, INSERT, DELETE ON ${input.signalTable} TO ${user}`);
    if (input.generator) {
        const demo = tables.filter((t) => KNOWN_SOURCE_TABLES[t.table]);
        statements.push(
            ...generatorGrants(
                input.generator,
                [...new Set(demo.map((t) => t.schema))],
                demo.map((t) => t.table),
            ),
        );
    }
    if (input.operator)
        statements.push(
            ...operatorGrants(
                input.operator,
                schemas,
                tables.map((t) => t.table),
                input.heartbeatTable,
                input.signalTable,
            ),
        );
    // The heartbeat table is published so that its writes reach Debezium and move the slot's LSN; the
    // signal table so that signals and watermarks reach Debezium in the change stream.
    const published = publishedTables({ ...input, tables: tables.map((t) => t.table) }).join(", ");
    // publish_via_partition_root: a partitioned table's changes are published as its own (the name
    // Debezium captures and the topic and ADX table are named after), whichever partition holds the row,
    // and partitions attached later are published with it.
    statements.push(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = ${literal(input.publicationName)}) ` +
            `THEN CREATE PUBLICATION ${input.publicationName} FOR TABLE ${published} WITH (publish_via_partition_root = true); ` +
            `ELSE ALTER PUBLICATION ${input.publicationName} SET TABLE ${published}; ALTER PUBLICATION ${input.publicationName} SET (publish_via_partition_root = true); END IF; END $$`,
    );
    return statements;
}

function operatorGrants(operator: { user: string; passwordVerifier: string }, schemas: string[], tables: string[], heartbeatTable: string, signalTable: string): string[] {
    const user = operator.user;
    return [
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)}) THEN CREATE ROLE ${user} WITH LOGIN; END IF; END $$`,
        `ALTER ROLE ${user} WITH LOGIN NOREPLICATION NOCREATEDB NOCREATEROLE PASSWORD ${literal(operator.passwordVerifier)}`,
        // pg_monitor: every session's transaction age for status. Azure's admin may grant it; where the admin may
        // not, the bootstrap goes on with a warning and status says the age is unknown and how to grant it.
        `DO $$ BEGIN GRANT pg_monitor TO ${user}; EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING ${literal(
            `${user} gets no pg_monitor (the admin may not grant it): status cannot see other roles' transaction ages; a superuser or azure_pg_admin member can GRANT pg_monitor TO ${user}`,
        )}; END $$`,
        ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${s} TO ${user}`),
        ...tables.map((t) => `GRANT SELECT ON ${t} TO ${user}`),
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${heartbeatTable} TO ${user}`,
        `GRANT SELECT, INSERT ON ${signalTable} TO ${user}`,
    ];
}

function generatorGrants(generator: { user: string; passwordVerifier: string }, schemas: string[], tables: string[]): string[] {
    const user = generator.user;
    return [
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)}) THEN CREATE ROLE ${user} WITH LOGIN; END IF; END $$`,
        `ALTER ROLE ${user} WITH LOGIN NOREPLICATION NOCREATEDB NOCREATEROLE PASSWORD ${literal(generator.passwordVerifier)}`,
        ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${s} TO ${user}`),
        ...tables.flatMap((t) => [
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO ${user}`,
            // The serial key's sequence, whatever PostgreSQL named it.
            `DO $$ DECLARE q text; BEGIN FOR q IN SELECT pg_get_serial_sequence(${literal(t)}, a.attname) FROM pg_attribute a WHERE a.attrelid = ${literal(t)}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence(${literal(t)}, a.attname) IS NOT NULL ` +
                `LOOP EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO ${user}', q); END LOOP; END $$`,
        ]),
    ];
}

/** The operator's read of the WAL guard's log (status shows its drops), once the guard has created it. */
export function buildOperatorLogGrant(operatorUser: string, logTable: string): string {
    return `DO $$ BEGIN IF to_regclass(${literal(logTable)}) IS NOT NULL AND EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(operatorUser)}) THEN EXECUTE ${literal(
        `GRANT SELECT ON ${logTable} TO ${operatorUser}`,
    )}; END IF; END $$`;
}

/** How long one statement that locks a user's table (REPLICA IDENTITY, CREATE POLICY) waits for the lock before it gives way to the user's traffic (and is retried). */
export const USER_TABLE_LOCK_TIMEOUT = "3s";

/**
 * Per captured table, one statement (run in its own transaction) that sets REPLICA IDENTITY FULL on the
 * table and, for a partitioned table, on every partition, where it is not set already: deletes and
 * updates then carry the whole old row (the deleted row's last values; no TOAST column left
 * "unavailable"). It runs before the table joins the publication: a table without a primary key whose
 * identity is DEFAULT or NOTHING refuses every UPDATE and DELETE of the user's application once it is
 * published. A table already FULL is not touched, so a repeated `pulumi up` takes no lock on it; the
 * ALTER's ACCESS EXCLUSIVE lock is bounded by the lock timeout. A table that does not exist yet (a demo
 * table the bootstrap creates) is skipped.
 */
export function buildReplicaIdentityStatements(tables: string[]): string[] {
    return tables.map(
        (captured) =>
            `DO $$ DECLARE r regclass; BEGIN FOR r IN ${relationsNotFull(`to_regclass(${literal(qualified(captured).table)})`)} ` +
            `LOOP EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', r); END LOOP; END $$`,
    );
}

/**
 * The relations of a captured table (`table`: SQL giving its regclass, or NULL) whose replica identity is
 * not FULL: the table and, for a partitioned table, each partition, partitioned tables first.
 */
function relationsNotFull(table: string): string {
    // pg_partition_tree lists a partitioned table and its partitions, and nothing for a plain table.
    return (
        `SELECT c.oid::regclass FROM (SELECT ${table} AS relid, 0 AS level UNION SELECT relid, level FROM pg_partition_tree(${table})) t ` +
        `JOIN pg_class c ON c.oid = t.relid WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'f' ORDER BY t.level`
    );
}

/** The stack's row-security policy on a captured table; named after its publication, so two stacks never share one. */
export function rowSecurityPolicyName(publicationName: string): string {
    return `${publicationName}_reads_all`.slice(0, 63);
}

/** The stack's roles that read the captured tables' rows: Debezium's snapshots (the replication user) and reconcile (the operator). */
export function rowReaders(input: Pick<SourceBootstrapInput, "replicationUser" | "operator">): string[] {
    return [input.replicationUser, ...(input.operator ? [input.operator.user] : [])];
}

/**
 * Per captured table with row-level security enabled, one statement (its own transaction) that adds the
 * stack's permissive SELECT policy for its reading roles, where it is missing or names other roles.
 * Without it, PostgreSQL shows those roles (neither owner nor BYPASSRLS, which Azure does not grant)
 * only the rows the application's policies allow: usually none, so the snapshot, every re-read and
 * reconcile would see an empty table and report nothing. Logical decoding itself ignores row
 * security, so changes were never affected. The application's own policies are left as they are; a
 * policy only ever widens what these two read-only roles see. Run after the roles exist; CREATE POLICY
 * takes an ACCESS EXCLUSIVE lock, so it runs under the replica identity's lock timeout, and only where
 * needed: a table without row security is never touched.
 */
export function buildRowSecurityStatements(input: Pick<SourceBootstrapInput, "tables" | "publicationName" | "replicationUser" | "operator">): string[] {
    const policy = literal(rowSecurityPolicyName(input.publicationName));
    const readers = rowReaders(input);
    const readerOids = `ARRAY(SELECT oid FROM pg_roles WHERE rolname IN (${readers.map(literal).join(", ")}))`;
    return input.tables.map(
        (captured) =>
            `DO $$ DECLARE rel regclass := to_regclass(${literal(qualified(captured).table)}); BEGIN ` +
            `IF rel IS NOT NULL AND (SELECT relrowsecurity FROM pg_class WHERE oid = rel) AND NOT EXISTS (` +
            `SELECT FROM pg_policy WHERE polrelid = rel AND polname = ${policy} AND polpermissive AND polcmd = 'r' AND polroles @> ${readerOids} AND polroles <@ ${readerOids}) THEN ` +
            `EXECUTE format('DROP POLICY IF EXISTS %I ON %s', ${policy}, rel); ` +
            `EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR SELECT TO ${readers.join(", ")} USING (true)', ${policy}, rel); END IF; END $$`,
    );
}

/** Per captured table, the statement that drops the stack's row-security policy where it exists (on destroy, before the roles go). */
export function buildRowSecurityTeardownStatements(input: Pick<SourceBootstrapInput, "tables" | "publicationName">): string[] {
    const policy = literal(rowSecurityPolicyName(input.publicationName));
    return input.tables.map(
        (captured) =>
            `DO $$ DECLARE rel regclass := to_regclass(${literal(qualified(captured).table)}); BEGIN ` +
            `IF rel IS NOT NULL AND EXISTS (SELECT FROM pg_policy WHERE polrelid = rel AND polname = ${policy}) THEN EXECUTE format('DROP POLICY %I ON %s', ${policy}, rel); END IF; END $$`,
    );
}

/**
 * Tables that left pg-adx-cdc:capture.tables: the publication drops them (the bootstrap sets its table
 * list), and these statements take back what the bootstrap granted on them (SELECT for the replication
 * user, the operator's and the generator's grants), so a role of the stack keeps no read of a table it
 * no longer captures. A table that no longer exists is skipped.
 */
export function buildReleaseStatements(removed: string[], input: Pick<SourceBootstrapInput, "replicationUser" | "operator" | "generator">): string[] {
    const roles = [input.replicationUser, ...(input.operator ? [input.operator.user] : []), ...(input.generator ? [input.generator.user] : [])];
    return removed.map((t) => {
        const table = qualified(t).table;
        return `DO $$ BEGIN IF to_regclass(${literal(table)}) IS NOT NULL THEN ${roles
            .map((role) => `IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)}) THEN EXECUTE ${literal(`REVOKE ALL ON ${table} FROM ${role}`)}; END IF;`)
            .join(" ")} END IF; END $$`;
    });
}

/** Every table the stack's publication holds: the captured tables, the heartbeat table and the signal table (absent on old stacks' outputs). */
export function publishedTables(input: { tables: string[]; heartbeatTable: string; signalTable?: string }): string[] {
    return [...input.tables, input.heartbeatTable, ...(input.signalTable ? [input.signalTable] : [])];
}

/**
 * Captured tables ($1, text[] of names) that no longer exist under their name, and the tables the
 * publication ($2) holds that are none of $3 (the captured tables, the heartbeat and signal tables):
 * the publication follows a table through RENAME, Debezium's include list does not, so a renamed
 * table's changes stop reaching ADX without an error anywhere. `status` reports both; and ('unpublished')
 * captured tables that exist but are not in the publication: dropped and created again under their name
 * (the publication held the dropped one), or taken out by hand; none of their changes reach ADX; and
 * ('unlogged') captured tables switched to UNLOGGED (themselves or a partition; a bulk-load habit), whose
 * changes PostgreSQL writes no WAL for.
 */
export const GONE_TABLES_SQL =
    `SELECT 'missing' AS kind, t.name AS relation FROM unnest($1::text[]) t(name) WHERE to_regclass(t.name) IS NULL ` +
    `UNION ALL SELECT 'published', pr.prrelid::regclass::text FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid ` +
    `WHERE p.pubname = $2 AND pr.prrelid NOT IN (SELECT to_regclass(n) FROM unnest($3::text[]) n WHERE to_regclass(n) IS NOT NULL) ` +
    `UNION ALL SELECT 'unpublished', t.name FROM unnest($1::text[]) t(name) WHERE to_regclass(t.name) IS NOT NULL AND EXISTS (SELECT FROM pg_publication WHERE pubname = $2) ` +
    `AND to_regclass(t.name) NOT IN (SELECT pr.prrelid FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = $2) ` +
    `UNION ALL SELECT 'unlogged', t.name FROM unnest($1::text[]) t(name) WHERE to_regclass(t.name) IS NOT NULL AND EXISTS (SELECT FROM ` +
    `(SELECT to_regclass(t.name) AS relid UNION SELECT relid FROM pg_partition_tree(to_regclass(t.name))) x JOIN pg_class c ON c.oid = x.relid WHERE c.relpersistence = 'u') ORDER BY 1, 2`;

/**
 * Per captured plain table ($1, text[] of names), its inheritance children (INHERITS, ALTER TABLE ... INHERIT,
 * TimescaleDB's chunks) made since the bootstrap (which refuses a table that has them): a read of the table
 * (snapshot, re-read, reconcile) reads their rows as its own, while PostgreSQL publishes their changes under
 * their own names, which the stack does not capture.
 */
export const INHERITANCE_CHILDREN_SQL =
    `SELECT t.name AS captured, array_agg(i.inhrelid::regclass::text ORDER BY i.inhrelid::regclass::text) AS children FROM unnest($1::text[]) t(name) ` +
    `JOIN pg_class p ON p.oid = to_regclass(t.name) AND p.relkind = 'r' JOIN pg_inherits i ON i.inhparent = p.oid GROUP BY t.name ORDER BY t.name`;

/**
 * Per captured table ($1, text[] of names), each relation whose replica identity is not FULL (a partition
 * created after the last bootstrap): `status` reports them; the next `pulumi up` sets them.
 */
export const REPLICA_IDENTITY_GAPS_SQL = `SELECT t.captured, r.oid::text AS relation FROM unnest($1::text[]) t(captured) CROSS JOIN LATERAL (${relationsNotFull("to_regclass(t.captured)")}) r(oid)`;

/**
 * Captured tables ($1, text[] of names) with row-level security whose rows the stack's roles may not all
 * read: without the stack's read policy ($2, its name; security switched on after the last bootstrap),
 * or under a RESTRICTIVE policy for PUBLIC or for the role asking (the operator: the stack's roles are
 * treated alike), added since. Their changes still arrive (logical decoding ignores row security), but
 * a snapshot, a re-read or reconcile sees only the rows those policies grant. `status` reports them.
 */
export const ROW_SECURITY_GAPS_SQL =
    `SELECT t.captured, NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = $2) AS missing_policy, ` +
    `(SELECT string_agg(quote_ident(p.polname), ', ' ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid AND NOT p.polpermissive AND p.polcmd IN ('r', '*') ` +
    `AND (0::oid = ANY (p.polroles) OR (SELECT oid FROM pg_roles WHERE rolname = current_user) = ANY (p.polroles))) AS restrictive ` +
    `FROM unnest($1::text[]) t(captured) JOIN pg_class c ON c.oid = to_regclass(t.captured) WHERE c.relrowsecurity ORDER BY 1`;

export interface SourceTeardownInput {
    tables: string[];
    publicationName: string;
    heartbeatTable: string;
    signalTable: string;
    replicationUser: string;
    operator?: { user: string };
    generator?: { user: string };
    createDemoTables?: boolean;
}

/**
 * Statements that undo the bootstrap after the connector is gone, except the captured tables and
 * their data. The slot is dropped separately first (it may still be active for a few seconds).
 */
export function buildSourceTeardownStatements(input: SourceTeardownInput): string[] {
    const heartbeat = qualified(input.heartbeatTable);
    const tables = input.tables.map(qualified);
    const schemas = [...new Set([heartbeat.schema, ...tables.map((t) => t.schema)])];
    const user = input.replicationUser;
    const roleExists = `EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)})`;
    return [
        `DROP PUBLICATION IF EXISTS ${input.publicationName}`,
        `DROP TABLE IF EXISTS ${input.heartbeatTable}`,
        `DROP TABLE IF EXISTS ${input.signalTable}`,
        `DO $$ BEGIN IF ${roleExists} THEN ${[
            // A table may no longer exist when the stack is destroyed: its revoke is skipped, not an error.
            ...tables.map((t) => `IF to_regclass(${literal(t.table)}) IS NOT NULL THEN EXECUTE ${literal(`REVOKE ALL ON ${t.table} FROM ${user}`)}; END IF;`),
            ...schemas.map((s) => `EXECUTE ${literal(`REVOKE ALL ON SCHEMA ${s} FROM ${user}`)};`),
            `EXECUTE ${literal(`DROP ROLE ${user}`)};`,
        ].join(" ")} END IF; END $$`,
        // The operator's and the generator's roles: the heartbeat and signal tables' grants went with them above.
        ...[input.operator, input.generator]
            .filter((r): r is { user: string } => r !== undefined)
            .map((r) =>
                roleTeardown(
                    r.user,
                    schemas,
                    tables.map((t) => t.table),
                ),
            ),
    ];
}

/** Revokes what the bootstrap granted a role of the stack's; drops it unless another stack's grants still use it. */
function roleTeardown(user: string, schemas: string[], tables: string[]): string {
    const steps = [
        ...tables.map((t) => `IF to_regclass(${literal(t)}) IS NOT NULL THEN EXECUTE ${literal(`REVOKE ALL ON ${t} FROM ${user}`)}; END IF;`),
        // Sequences of those tables (the generator's serial keys).
        ...tables.map(
            (t) =>
                `IF to_regclass(${literal(t)}) IS NOT NULL THEN FOR q IN SELECT pg_get_serial_sequence(${literal(t)}, a.attname) FROM pg_attribute a WHERE a.attrelid = ${literal(t)}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence(${literal(t)}, a.attname) IS NOT NULL LOOP EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM ${user}', q); END LOOP; END IF;`,
        ),
        ...schemas.map((s) => `EXECUTE ${literal(`REVOKE ALL ON SCHEMA ${s} FROM ${user}`)};`),
        `BEGIN EXECUTE ${literal(`DROP ROLE ${user}`)}; EXCEPTION WHEN dependent_objects_still_exist THEN RAISE NOTICE ${literal(`role ${user} kept: another stack's grants use it`)}; END;`,
    ];
    return `DO $$ DECLARE q text; BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)}) THEN ${steps.join(" ")} END IF; END $$`;
}

/** Drops the slot if it exists and is inactive; returns 'dropped', 'absent' or 'active'. */
export const DROP_SLOT_SQL = `
WITH slot AS (SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = $1)
SELECT CASE
  WHEN NOT EXISTS (SELECT FROM slot) THEN 'absent'
  WHEN (SELECT active FROM slot) THEN 'active'
  ELSE (SELECT 'dropped' FROM (SELECT pg_drop_replication_slot($1)) AS d)
END AS outcome`;

/** Names of the PostgreSQL objects Debezium uses, derived from the topic prefix so two pipelines never share a slot. */
export interface SourceObjectNames {
    slotName: string;
    publicationName: string;
    heartbeatTable: string;
    signalTable: string;
    walGuard: { functionName: string; logTable: string; jobName: string };
}

/** The schema the bootstrap creates for the stack's own tables and functions (heartbeat, signal, WAL guard). */
export const STACK_SCHEMA = "cdc_meta";

export function sourceObjectNames(topicPrefix: string): SourceObjectNames {
    const suffix = topicPrefix.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    return {
        slotName: `debezium_${suffix}`,
        publicationName: `debezium_${suffix}_pub`,
        heartbeatTable: `${STACK_SCHEMA}.heartbeat_${suffix}`,
        signalTable: `${STACK_SCHEMA}.signal_${suffix}`,
        walGuard: { functionName: `${STACK_SCHEMA}.wal_guard_${suffix}`, logTable: `${STACK_SCHEMA}.wal_guard_log_${suffix}`, jobName: `pg_adx_cdc_wal_guard_${suffix}` },
    };
}
