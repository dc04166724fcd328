// PostgresReadiness: checks, up front, that a PostgreSQL server the stack does not own can feed
// Debezium (wal_level=logical in effect, a free replication slot and WAL sender, an admin that can
// create the replication user and the publication), and fails naming what is missing and how to fix
// it, before the bootstrap touches the server. `pulumi refresh` re-checks (a lowered slot limit shows).
// Credentials are resolved when the provider runs, as for the bootstrap.
import * as pulumi from "@pulumi/pulumi";
import { PostgresConnectionInputs, withClient } from "./sourceBootstrap";
import { parseTableName } from "../contract/identifiers";
import { configureAdminPassword, logProgress } from "../runtime/providerKit";

export interface ReadinessInputs {
    connection: PostgresConnectionInputs;
    /** Debezium's slot: when it already exists it needs no free slot. */
    slotName: string;
    /** How to restart this server, for the message when wal_level waits for a restart. */
    restartHint: string;
    /** Captured tables: the admin must hold their owners' rights (publication, replica identity, grants). */
    tables?: string[];
    /** The roles the bootstrap creates or updates (replication, operator, generator): one that exists must be the admin's to alter. */
    roles?: string[];
    /** The schema the bootstrap creates for the stack's own tables (STACK_SCHEMA): the admin must be able to create it. */
    stackSchema?: string;
}

/** What the server reports. */
export interface ReadinessFacts {
    walLevel: string;
    /** wal_level changed in the configuration but not in effect until a restart. */
    walLevelPendingRestart: boolean;
    maxReplicationSlots: number;
    usedReplicationSlots: number;
    ownSlotExists: boolean;
    maxWalSenders: number;
    usedWalSenders: number;
    /**
     * The connecting role may create the REPLICATION role and set its password: a superuser, or CREATEROLE and
     * REPLICATION where PostgreSQL lets a non-superuser grant REPLICATION (16 and later, and Azure's flexible
     * server, recognized by its azure_pg_admin role, on every version). PostgreSQL 15 and earlier refuse it otherwise.
     */
    canCreateReplicationUser: boolean;
    serverVersion: number;
    /** Captured tables (and their partitions) whose owner's rights the connecting role does not hold. */
    tablesNotOwned: { table: string; owner: string }[];
    /**
     * The stack's roles that exist and that the admin may not alter: on PostgreSQL 16 and later a CREATEROLE
     * login alters only roles it holds ADMIN OPTION on (which it gets by creating them), so a role another
     * login created (a DBA's, or an earlier stack deployed by another admin) stops the bootstrap.
     */
    rolesNotManaged?: string[];
    /**
     * Schemas of captured tables on which the admin cannot grant USAGE (not the owner's member, no USAGE WITH GRANT
     * OPTION): the bootstrap's GRANT to the replication user would grant nothing, and the snapshot would fail later.
     */
    schemasNotGrantable?: { schema: string; owner: string }[];
    /** The admin may create the stack's schema (CREATE on the database), or it exists already. */
    canCreateStackSchema?: boolean;
    /** The database's owner, who can grant CREATE on it. */
    databaseOwner?: string;
}

export const READINESS_QUERY = `
SELECT current_setting('wal_level') AS wal_level,
       (SELECT pending_restart FROM pg_settings WHERE name = 'wal_level') AS wal_level_pending_restart,
       current_setting('max_replication_slots')::int AS max_replication_slots,
       (SELECT count(*) FROM pg_replication_slots)::int AS used_replication_slots,
       EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1) AS own_slot_exists,
       current_setting('max_wal_senders')::int AS max_wal_senders,
       (SELECT count(*) FROM pg_stat_replication)::int AS used_wal_senders,
       (SELECT rolsuper OR (rolcreaterole AND rolreplication AND (current_setting('server_version_num')::int >= 160000 OR EXISTS (SELECT FROM pg_roles WHERE rolname = 'azure_pg_admin')))
          FROM pg_roles WHERE rolname = current_user) AS can_create_replication_user,
       current_setting('server_version_num')::int AS server_version,
       (SELECT coalesce(json_agg(json_build_object('table', c.oid::regclass::text, 'owner', pg_get_userbyid(c.relowner)) ORDER BY c.oid::regclass::text), '[]'::json)
          FROM unnest($2::text[], $3::text[]) AS t(schema_name, table_name)
          JOIN pg_namespace n ON n.nspname = t.schema_name
          JOIN pg_class root ON root.relnamespace = n.oid AND root.relname = t.table_name
          CROSS JOIN LATERAL (SELECT root.oid AS relid UNION SELECT relid FROM pg_partition_tree(root.oid)) tree
          JOIN pg_class c ON c.oid = tree.relid
          WHERE NOT pg_has_role(current_user, c.relowner, 'USAGE')) AS tables_not_owned,
       (SELECT coalesce(json_agg(r.rolname ORDER BY r.rolname), '[]'::json)
          FROM pg_roles r
          WHERE r.rolname = ANY($4::text[])
            AND current_setting('server_version_num')::int >= 160000
            AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            AND NOT pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION')) AS roles_not_managed,
       (SELECT coalesce(json_agg(json_build_object('schema', s.nspname, 'owner', pg_get_userbyid(s.nspowner)) ORDER BY s.nspname), '[]'::json)
          FROM (SELECT DISTINCT n.oid, n.nspname, n.nspowner FROM unnest($2::text[]) AS t(schema_name) JOIN pg_namespace n ON n.nspname = t.schema_name) s
          WHERE NOT pg_has_role(current_user, s.nspowner, 'USAGE') AND NOT has_schema_privilege(current_user, s.oid, 'USAGE WITH GRANT OPTION')) AS schemas_not_grantable,
       ($5::text IS NULL OR has_database_privilege(current_user, current_database(), 'CREATE') OR EXISTS (SELECT FROM pg_namespace WHERE nspname = $5::text)) AS can_create_stack_schema,
       (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) AS database_owner`;

/** Every reason Debezium could not run on this server, each with its fix; empty when ready. */
export function readinessProblems(facts: ReadinessFacts, inputs: Pick<ReadinessInputs, "restartHint" | "connection" | "stackSchema">): string[] {
    const where = `${inputs.connection.host}:${inputs.connection.port}`;
    const problems: string[] = [];
    // The bootstrap's publication uses publish_via_partition_root (PostgreSQL 13) and reads partitions with pg_partition_tree (12).
    if (facts.serverVersion < 130000)
        problems.push(
            `${where} runs PostgreSQL ${Math.floor(facts.serverVersion / 10000)}; pg-adx-cdc needs PostgreSQL 13 or later (its publication captures partitioned tables by their root, publish_via_partition_root): upgrade the server (Azure: a major version upgrade of the flexible server)`,
        );
    if (facts.walLevel !== "logical") {
        problems.push(
            facts.walLevelPendingRestart
                ? `wal_level on ${where} is set to logical but waits for a restart (now ${facts.walLevel}). ${inputs.restartHint}`
                : `wal_level on ${where} is ${facts.walLevel}; logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, or the server parameter on a managed server), then a restart. ${inputs.restartHint}`,
        );
    }
    if (!facts.ownSlotExists && facts.usedReplicationSlots >= facts.maxReplicationSlots) {
        problems.push(
            `${where} has no free replication slot (${facts.usedReplicationSlots} of max_replication_slots=${facts.maxReplicationSlots} in use): raise max_replication_slots (needs a restart) or drop an unused slot (SELECT slot_name, active FROM pg_replication_slots)`,
        );
    }
    if (facts.usedWalSenders >= facts.maxWalSenders) {
        problems.push(`${where} has no free WAL sender (${facts.usedWalSenders} of max_wal_senders=${facts.maxWalSenders} in use): raise max_wal_senders (needs a restart)`);
    }
    // CREATE PUBLICATION ... FOR TABLE, ALTER TABLE ... REPLICA IDENTITY and GRANT SELECT need the owner's
    // rights; in a well-run database the application's tables belong to another role than the admin.
    const byOwner = new Map<string, string[]>();
    for (const t of facts.tablesNotOwned ?? []) byOwner.set(t.owner, [...(byOwner.get(t.owner) ?? []), t.table]);
    for (const [owner, tables] of byOwner) {
        problems.push(
            `${tables.join(", ")} ${tables.length === 1 ? "belongs" : "belong"} to ${owner}, whose rights the admin login ${inputs.connection.user} does not hold ` +
                `(the publication, REPLICA IDENTITY FULL and the replication user's SELECT need them): as ${owner} or a superuser, run GRANT ${owner} TO ${inputs.connection.user}`,
        );
    }
    // A schema of an owner already named above needs no line of its own: the same GRANT fixes both.
    for (const { schema, owner } of (facts.schemasNotGrantable ?? []).filter((s) => !byOwner.has(s.owner))) {
        problems.push(
            `schema ${schema} belongs to ${owner}, and the admin login ${inputs.connection.user} can neither act as ${owner} nor grant USAGE on it, so the replication user would get no USAGE and the snapshot would fail: ` +
                `as ${owner} or a superuser, run GRANT ${owner} TO ${inputs.connection.user} (or GRANT USAGE ON SCHEMA ${schema} TO ${inputs.connection.user} WITH GRANT OPTION)`,
        );
    }
    if (facts.canCreateStackSchema === false) {
        problems.push(
            `the admin login ${inputs.connection.user} may not create the stack's schema ${inputs.stackSchema} in database ${inputs.connection.database} (no CREATE on it): ` +
                `as ${facts.databaseOwner ?? "the database's owner"} or a superuser, run GRANT CREATE ON DATABASE ${inputs.connection.database} TO ${inputs.connection.user} (or create the schema ${inputs.stackSchema} owned by ${inputs.connection.user})`,
        );
    }
    const unmanaged = facts.rolesNotManaged ?? [];
    if (unmanaged.length) {
        const user = inputs.connection.user;
        problems.push(
            `role${unmanaged.length === 1 ? "" : "s"} ${unmanaged.join(", ")} already exist${unmanaged.length === 1 ? "s" : ""} on ${where}, created by another login, and the admin login ${user} may not alter ${unmanaged.length === 1 ? "it" : "them"} ` +
                `(PostgreSQL 16 and later let a CREATEROLE login alter only the roles it holds ADMIN OPTION on; the bootstrap sets their password and rights): ` +
                `as a superuser or the login that created ${unmanaged.length === 1 ? "it" : "them"}, run ${unmanaged.map((r) => `GRANT ${r} TO ${user} WITH ADMIN OPTION`).join("; ")} (or drop ${unmanaged.length === 1 ? "it" : "them"} if nothing else uses ${unmanaged.length === 1 ? "it" : "them"})`,
        );
    }
    if (!facts.canCreateReplicationUser) {
        problems.push(
            facts.serverVersion < 160000
                ? `the admin login ${inputs.connection.user} on ${where} cannot create the replication user: PostgreSQL ${Math.floor(facts.serverVersion / 10000)} lets only a superuser create a REPLICATION role or set its password (16 and later, and Azure's flexible server, let a CREATEROLE admin that has REPLICATION do it): connect the stack as a superuser, or upgrade the server to PostgreSQL 16 or later`
                : `the admin login ${inputs.connection.user} on ${where} cannot create the replication user: it needs superuser, or CREATEROLE and REPLICATION (on Azure, the server's administrator login has both)`,
        );
    }
    return problems;
}

/** Schema and table names as two arrays: the catalog is read by name, since to_regclass needs USAGE on the schema the admin may not have yet. */
function tableNameColumns(tables: string[]): [string[], string[]] {
    const names = tables.map((t) => parseTableName(t));
    return [names.map((n) => n.schema), names.map((n) => n.table)];
}

async function readFacts(inputs: ReadinessInputs, password: string | undefined): Promise<ReadinessFacts> {
    return withClient(inputs.connection, password, async (client) => {
        const {
            rows: [r],
        } = await client.query(READINESS_QUERY, [inputs.slotName, ...tableNameColumns(inputs.tables ?? []), inputs.roles ?? [], inputs.stackSchema ?? null]);
        return {
            walLevel: r.wal_level,
            walLevelPendingRestart: r.wal_level_pending_restart === true,
            maxReplicationSlots: r.max_replication_slots,
            usedReplicationSlots: r.used_replication_slots,
            ownSlotExists: r.own_slot_exists,
            maxWalSenders: r.max_wal_senders,
            usedWalSenders: r.used_wal_senders,
            canCreateReplicationUser: r.can_create_replication_user === true,
            serverVersion: r.server_version,
            tablesNotOwned: r.tables_not_owned ?? [],
            rolesNotManaged: r.roles_not_managed ?? [],
            schemasNotGrantable: r.schemas_not_grantable ?? [],
            canCreateStackSchema: r.can_create_stack_schema === true,
            databaseOwner: r.database_owner,
        };
    });
}

async function check(inputs: ReadinessInputs, password: string | undefined): Promise<ReadinessFacts> {
    const facts = await readFacts(inputs, password);
    const problems = readinessProblems(facts, inputs);
    if (problems.length) throw new Error(`PostgreSQL is not ready for change data capture:\n  - ${problems.join("\n  - ")}`);
    return facts;
}

export const sourceReadinessProvider: pulumi.dynamic.ResourceProvider & { adminPassword?: string } = {
    configure: configureAdminPassword,

    async diff(_id: string, olds: any, news: any) {
        return { changes: JSON.stringify([olds.connection, olds.slotName]) !== JSON.stringify([news.connection, news.slotName]) || olds.restartHint !== news.restartHint };
    },

    async create(inputs: any) {
        logProgress(
            `checking ${inputs.connection.host}:${inputs.connection.port} for logical replication (wal_level, slots, WAL senders, admin rights, owners of the captured tables)`,
        );
        const facts = await check(inputs, (this as any).adminPassword);
        return { id: `${inputs.connection.host}:${inputs.connection.port}/readiness`, outs: { ...inputs, facts } };
    },

    async update(_id: string, _olds: any, news: any) {
        return { outs: { ...news, facts: await check(news, (this as any).adminPassword) } };
    },

    async read(id: string, props: any) {
        // Facts as they are now; a difference from the stored ones shows in the next preview.
        return { id, props: { ...props, facts: await readFacts(props, (this as any).adminPassword) } };
    },

    async delete() {
        // A check creates nothing on the server.
    },
};

export interface PostgresReadinessArgs {
    connection: { [K in keyof PostgresConnectionInputs]: pulumi.Input<PostgresConnectionInputs[K]> };
    slotName: pulumi.Input<string>;
    restartHint: pulumi.Input<string>;
    tables?: pulumi.Input<string[]>;
    roles?: pulumi.Input<string[]>;
    stackSchema?: pulumi.Input<string>;
}

/** A PostgreSQL server the stack does not own, checked ready for Debezium. */
export class PostgresReadiness extends pulumi.dynamic.Resource {
    constructor(name: string, args: PostgresReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        super(sourceReadinessProvider, name, { ...args, facts: undefined }, opts, "pg-adx-cdc", "PostgresReadiness");
    }
}
