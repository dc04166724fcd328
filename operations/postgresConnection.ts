// A connection to the stack's source database for the operator commands, as the admin user.
import { OperationsOutputs } from "./stackOutputs";

export async function connectToSource(outputs: OperationsOutputs, password: string | undefined): Promise<any> {
    const { Client } = require("pg");
    const pg = outputs.postgres;
    const client = new Client({
        host: pg.host,
        port: pg.port,
        database: pg.database,
        user: pg.user,
        password,
        ssl: pg.sslMode === "require" ? { rejectUnauthorized: true } : false,
        connectionTimeoutMillis: 10_000,
        application_name: "pg-adx-cdc-operator",
    });
    client.on("error", () => undefined);
    try {
        await client.connect();
    } catch (error: any) {
        throw new Error(
            `cannot connect to PostgreSQL ${pg.user}@${pg.host}:${pg.port}/${pg.database}: ${error.message} (password from PGPASSWORD or the stack's pg-adx-cdc:postgresAdminPassword)`,
        );
    }
    return client;
}
