// pg-adx-cdc status (npm run status): prints connectors and tasks, the slot's lag, topic end offsets, the sink's lag and the dead-letter count; exits 1
// when something is unhealthy, 2 when the command itself cannot run.
import { readOperationsOutputs, resolveKafkaPassword, resolvePostgresPassword, StackSelection } from "./stackSelection";
import { collectPipelineHealth, evaluatePipelineHealth, HealthThresholds, renderHealthReport, SqlQueryable } from "./pipelineHealth";
import { connectToSource } from "./postgresConnection";

export interface StatusOptions {
    selection: StackSelection;
    thresholds: HealthThresholds;
    json: boolean;
}

/** Prints the report; 0 healthy, 1 unhealthy (the CLI maps a thrown error to 2: cannot run). */
export async function runStatus(options: StatusOptions): Promise<number> {
    const outputs = readOperationsOutputs(options.selection);
    resolveKafkaPassword(options.selection, outputs);
    let sql: SqlQueryable | { unavailable: string };
    let client: any;
    try {
        client = await connectToSource(outputs, resolvePostgresPassword(options.selection, outputs.postgres.user));
        sql = client;
    } catch (error: any) {
        sql = { unavailable: error.message };
    }
    try {
        const report = await collectPipelineHealth(outputs, sql);
        const problems = evaluatePipelineHealth(report, options.thresholds);
        process.stdout.write((options.json ? JSON.stringify({ report, problems, healthy: problems.length === 0 }, null, 2) : renderHealthReport(report, problems)) + "\n");
        return problems.length === 0 ? 0 : 1;
    } finally {
        await client?.end().catch(() => undefined);
    }
}
