#!/usr/bin/env node
// npm run status -- --stack <s> [--outputs <file>] [--max-slot-lag-bytes N] [--max-sink-lag N] [--max-dead-letters N] [--json]
// Prints connectors and tasks, the slot's lag, topic end offsets, the sink's lag and the dead-letter count; exits 1
// when something is unhealthy, 2 when the command itself cannot run.
import { parseOperatorArgs, readOperationsOutputs, resolvePostgresPassword } from "./stackOutputs";
import { collectPipelineHealth, DEFAULT_THRESHOLDS, evaluatePipelineHealth, renderHealthReport, SqlQueryable } from "./pipelineHealth";
import { connectToSource } from "./postgresConnection";

async function main(): Promise<number> {
    const { selection, values } = parseOperatorArgs(process.argv.slice(2), { "max-slot-lag-bytes": "string", "max-sink-lag": "string", "max-dead-letters": "string", json: "boolean" });
    const number = (flag: string, fallback: number) => {
        const value = values[flag] === undefined ? fallback : Number(values[flag]);
        if (!Number.isFinite(value) || value < 0) throw new Error(`--${flag} takes a number of at least 0 (got ${JSON.stringify(values[flag])})`);
        return value;
    };
    const thresholds = {
        maxSlotLagBytes: number("max-slot-lag-bytes", DEFAULT_THRESHOLDS.maxSlotLagBytes),
        maxSinkLagRecords: number("max-sink-lag", DEFAULT_THRESHOLDS.maxSinkLagRecords),
        maxDeadLetters: number("max-dead-letters", DEFAULT_THRESHOLDS.maxDeadLetters),
    };
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
