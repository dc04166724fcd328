// Runs reconcile's engine (operations/reconcileTable.ts, what `pg-adx-cdc reconcile` runs) against a
// local pipeline: PostgreSQL through its own UTC session, ADX through the test double's query endpoint,
// the stack's heartbeat as the fence. Logs one line per table.
import { Client } from "pg";
import { LocalPipeline } from "../../../local/localPipeline";
import { adminClient } from "../../../local/capturedSource";
import { ADX_DATABASE } from "../../../local/kustoSinkDeployment";
import { getKustoAccessToken, rowsOf, runKustoQuery } from "../../../kql/kustoRestClient";
import { OperationsOutputs } from "../../../contract/stackOutputs";
import { fencePositions, heartbeatFence, reconcileTargets } from "../../../operations/reconcileCommand";
import { KqlRunner, reconcileTable, TableReconcile } from "../../../operations/reconcileTable";

export interface LocalReconcile {
    run(label: string): Promise<TableReconcile[]>;
    close(): Promise<void>;
}

export async function localReconcile(pipeline: LocalPipeline, outputs: OperationsOutputs): Promise<LocalReconcile> {
    const sql: Client = await adminClient(pipeline);
    await sql.query("SET TIME ZONE 'UTC'");
    const adx: KqlRunner = async (kql) => rowsOf((await runKustoQuery(outputs.adx.queryUri, ADX_DATABASE, kql, await getKustoAccessToken(outputs.adx.queryUri)))[0]);
    return {
        async run(label) {
            const fence = heartbeatFence({ ...outputs.adx.heartbeat, key: outputs.adx.heartbeat.keys[0] }, sql, adx, 60_000, fencePositions(outputs));
            const results: TableReconcile[] = [];
            for (const target of await reconcileTargets(outputs, sql, [])) results.push(await reconcileTable(target, adx, sql, { fence }));
            for (const r of results)
                process.stderr.write(
                    `e2e: ${label} reconcile ${r.table}: ${r.equal ? "equal" : "not equal"}, ${r.sourceRows}/${r.adxRows} rows, ${r.bucketsDiffering} of ${r.buckets} buckets differed, ` +
                        `${r.rowsRead} rows read, ${r.differences.length} differences${r.differences.length ? ` (first: ${JSON.stringify(r.differences.slice(0, 3))})` : ""}, ${r.unsettled} unsettled, ${r.durationMs} ms\n`,
                );
            return results;
        },
        close: () => sql.end(),
    };
}
