// A connection to the stack's source database for the operator commands, as the admin user.
import { OperationsOutputs } from "../contract/stackOutputs";
import { connectPostgres } from "../postgres/postgresClient";

export async function connectToSource(outputs: OperationsOutputs, password: string | undefined): Promise<any> {
    return connectPostgres(outputs.postgres, password, "pg-adx-cdc-operator", "(password from PGPASSWORD or the stack's pg-adx-cdc:postgresAdminPassword)");
}
