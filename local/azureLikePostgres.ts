// The roles of an Azure Database for PostgreSQL flexible server, on the harness's throwaway cluster:
// the cluster's bootstrap superuser stands in for Microsoft's `azuresu` (nobody else holds SUPERUSER),
// `azure_pg_admin` holds the predefined monitoring roles, and the server admin has exactly the
// attributes Azure documents (LOGIN, NOSUPERUSER, INHERIT, CREATEDB, CREATEROLE, REPLICATION) and is a
// member of azure_pg_admin. The admin creates the user's database, so it owns it, as on Azure.
import { Client } from "pg";

/** The server admin's login (on Azure the name is the user's choice; `azure_pg_admin` is Azure's). */
export const AZURE_LIKE_ADMIN = "server_admin";
export const AZURE_PG_ADMIN_ROLE = "azure_pg_admin";

/** Statements the superuser runs once, before anything else connects. */
export function azureLikeRoleStatements(admin: string = AZURE_LIKE_ADMIN): string[] {
    return [
        `CREATE ROLE ${AZURE_PG_ADMIN_ROLE} NOLOGIN`,
        // Azure's admin grants pg_monitor to monitoring logins (as monitoring agents' Azure guides have it run); where a
        // server refuses it, the bootstrap warns and status says the oldest transaction is unknown (unit-tested).
        `GRANT pg_monitor, pg_read_all_settings, pg_read_all_stats, pg_stat_scan_tables, pg_signal_backend TO ${AZURE_PG_ADMIN_ROLE} WITH ADMIN OPTION`,
        `CREATE ROLE ${admin} WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE REPLICATION IN ROLE ${AZURE_PG_ADMIN_ROLE}`,
    ];
}

/** Sets the roles up (as the superuser) and creates `database` as the admin. */
export async function prepareAzureLikeServer(connection: { host: string; port: number }, superuser: string, database: string): Promise<void> {
    const asSuperuser = new Client({ ...connection, user: superuser, database: "postgres" });
    await asSuperuser.connect();
    try {
        for (const statement of azureLikeRoleStatements()) await asSuperuser.query(statement);
    } finally {
        await asSuperuser.end();
    }
    const asAdmin = new Client({ ...connection, user: AZURE_LIKE_ADMIN, database: "postgres" });
    await asAdmin.connect();
    try {
        const {
            rows: [role],
        } = await asAdmin.query("SELECT rolsuper, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = current_user");
        if (role.rolsuper || !role.rolcreaterole || !role.rolreplication) throw new Error(`${AZURE_LIKE_ADMIN} does not have Azure's attributes: ${JSON.stringify(role)}`);
        await asAdmin.query(`CREATE DATABASE ${database}`);
    } finally {
        await asAdmin.end();
    }
}
