// A connection to the stack's source database for the operator commands, as the user the outputs name (the operator role cdc_operator; the admin on older stacks).
import { OperationsOutputs } from "../contract/stackOutputs";
import { connectPostgres } from "../postgres/postgresClient";

export async function connectToSource(outputs: OperationsOutputs, password: string | undefined): Promise<any> {
    return connectPostgres(
        outputs.postgres,
        password,
        "pg-adx-cdc-operator",
        "(password from PGPASSWORD, else the stack's postgresOperatorPassword output for cdc_operator or its pg-adx-cdc:postgresAdminPassword for the admin)",
    );
}
