// The one way the stack opens a PostgreSQL connection (providers, operator commands, the generator):
// TLS verified when required, a bounded connect time, an application name that shows in
// pg_stat_activity, and a connection failure that names the user, the server and the fix.
import { SslMode } from "../contract/sslMode";

export interface PostgresEndpointSettings {
    host?: string;
    port?: number;
    database?: string;
    user?: string;
    sslMode: SslMode;
}

/** A connected `pg` client; `fix` is appended to a connection failure ("check the firewall ...", "password from ..."). */
export async function connectPostgres(endpoint: PostgresEndpointSettings, password: string | undefined, applicationName: string, fix: string): Promise<any> {
    const { Client } = require("pg");
    const client = new Client({
        host: endpoint.host,
        port: endpoint.port,
        database: endpoint.database,
        user: endpoint.user,
        password,
        ssl: endpoint.sslMode === "require" ? { rejectUnauthorized: true } : false,
        connectionTimeoutMillis: 15_000,
        application_name: applicationName,
    });
    // A server restart ends idle sessions; the next query reports it, so the event itself is not fatal.
    client.on("error", () => undefined);
    try {
        await client.connect();
    } catch (error: any) {
        const where = endpoint.host ? `${endpoint.user}@${endpoint.host}:${endpoint.port}/${endpoint.database}` : "(from the PG* environment variables)";
        throw new Error(`cannot connect to PostgreSQL ${where}: ${error.message}. ${fix}`);
    }
    return client;
}
