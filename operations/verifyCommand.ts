#!/usr/bin/env node
// npm run verify -- --stack <s> [--outputs <file>] [--timeout 180s] [--json]
// Writes a marker row into the stack's heartbeat table (never a user table), waits until ADX's
// current-state function of the heartbeat shows it, prints the measured commit-to-query latency,
// deletes it and waits until the function no longer shows it.
// Exits 1 when the pipeline does not deliver in time, 2 when the command itself cannot run.
import { parseOperatorArgs, readOperationsOutputs, resolvePostgresPassword } from "./stackOutputs";
import { connectToSource } from "./postgresConnection";
import { kustoCurrentStateProbe } from "./kustoCurrentStateProbe";
import { verifyPipeline } from "./verifyPipeline";
import { parseDuration } from "../generator/ordersGenerator";

async function main(): Promise<number> {
    const { selection, values } = parseOperatorArgs(process.argv.slice(2), { timeout: "string", json: "boolean" });
    const outputs = readOperationsOutputs(selection);
    const target = outputs.adx.heartbeat;
    const probe = kustoCurrentStateProbe({ queryUri: outputs.adx.queryUri, database: outputs.adx.database, functionName: target.functionName, key: target.keys[0] });
    const sql = await connectToSource(outputs, resolvePostgresPassword(selection));
    try {
        const report = await verifyPipeline(sql, probe, target.sourceTable, {
            timeoutMs: values.timeout ? parseDuration(String(values.timeout)) : undefined,
            progress: (m) => process.stderr.write(`verify: ${m}\n`),
        });
        process.stdout.write(
            values.json
                ? JSON.stringify(report) + "\n"
                : `heartbeat marker ${report.markerId}: commit-to-query latency ${report.commitToQueryMs} ms, delete visible after ${report.deleteToGoneMs} ms (${target.functionName}(), ${report.polls} queries)\nfreshness, continuously: ${outputs.adx.heartbeat.freshnessFunction}() in ADX\nVERIFIED\n`,
        );
        return 0;
    } catch (error: any) {
        process.stdout.write(`NOT VERIFIED: ${error.message}\n`);
        return 1;
    } finally {
        await sql.end().catch(() => undefined);
    }
}

main().then(
    (code) => process.exit(code),
    (error) => {
        process.stderr.write(`verify: ${error.message}\n`);
        process.exit(2);
    },
);
