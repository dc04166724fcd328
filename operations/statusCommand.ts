#!/usr/bin/env node
// npm run status -- --stack <s> [--outputs <file>] [--max-slot-lag-bytes N] [--max-dead-letters N] [--json]
// Prints connectors and tasks, the slot's lag, topic end offsets and the dead-letter count; exits 1
// when something is unhealthy, 2 when the command itself cannot run.
import { parseOperatorArgs, readOperationsOutputs, resolvePostgresPassword } from "./stackOutputs";
import { collectPipelineHealth, DEFAULT_THRESHOLDS, evaluatePipelineHealth, renderHealthReport, SqlQueryable } from "./pipelineHealth";
import { connectToSource } from "./postgresConnection";

async function main(): Promise<number> {
    const { selection, values } = parseOperatorArgs(process.argv.slice(2), { "max-slot-lag-bytes": "string", "max-dead-letters": "string", json: "boolean" });
    const thresholds = {
        maxSlotLagBytes: values["max-slot-lag-bytes"] === undefined ? DEFAULT_THRESHOLDS.maxSlotLagBytes : Number(values["max-slot-lag-bytes"]),
        maxDeadLetters: values["max-dead-letters"] === undefined ? DEFAULT_THRESHOLDS.maxDeadLetters : Number(values["max-dead-letters"]),
    };
    if (!Number.isFinite(thresholds.maxSlotLagBytes) || !Number.isFinite(thresholds.maxDeadLetters)) throw new Error("--max-slot-lag-bytes and --max-dead-letters take numbers");
    const outputs = readOperationsOutputs(selection);
    let sql: SqlQueryable | { unavailable: string };
    let client: any;
    try {
        client = await connectToSource(outputs, resolvePostgresPassword(selection));
        sql = client;
    } catch (error: any) {
        sql = { unavailable: error.message };
    }
    try {
        const report = await collectPipelineHealth(outputs, sql);
        const problems = evaluatePipelineHealth(report, thresholds);
        process.stdout.write((values.json ? JSON.stringify({ report, problems, healthy: problems.length === 0 }, null, 2) : renderHealthReport(report, problems)) + "\n");
        return problems.length === 0 ? 0 : 1;
    } finally {
        await client?.end().catch(() => undefined);
    }
}

main().then(
    (code) => process.exit(code),
    (error) => {
        process.stderr.write(`status: ${error.message}\n`);
        process.exit(2);
    },
);
