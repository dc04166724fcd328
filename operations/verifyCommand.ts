// pg-adx-cdc verify (npm run verify): writes a marker row into the stack's heartbeat table (never a user table), waits until ADX's
// current-state function of the heartbeat shows it, prints the measured commit-to-query latency,
// deletes it and waits until the function no longer shows it.
// Exits 1 when the pipeline does not deliver in time, 2 when the command itself cannot run.
import { readOperationsOutputs, resolvePostgresPassword, StackSelection } from "./stackSelection";
import { connectToSource } from "./postgresConnection";
import { kustoCurrentStateProbe } from "./kustoCurrentStateProbe";
import { verifyPipeline } from "./verifyPipeline";

export interface VerifyCommandOptions {
    selection: StackSelection;
    /** Per phase (insert visible, delete gone). */
    timeoutMs: number;
    json: boolean;
}

/** 0 verified, 1 not delivered in time (the CLI maps a thrown error to 2: cannot run). */
export async function runVerify(options: VerifyCommandOptions): Promise<number> {
    const { selection } = options;
    const outputs = readOperationsOutputs(selection);
    const target = outputs.adx.heartbeat;
    const probe = kustoCurrentStateProbe({ queryUri: outputs.adx.queryUri, database: outputs.adx.database, functionName: target.functionName, key: target.keys[0] });
    const sql = await connectToSource(outputs, resolvePostgresPassword(selection, outputs.postgres.user));
    try {
        const report = await verifyPipeline(sql, probe, target.sourceTable, {
            timeoutMs: options.timeoutMs,
            progress: (m) => process.stderr.write(`verify: ${m}\n`),
        });
        process.stdout.write(
            options.json
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
