// What one reconcile costs PostgreSQL on a large table, measured: loads the demo's orders table
// (retail.orders_info, the table `npm run bench` writes) with --rows rows in a throwaway local
// PostgreSQL, then runs reconcile's per-bucket summary query for the whole table and for a 1/16
// sample, reporting wall time, the backend's CPU time (/proc), and the 8 KB blocks it read from
// cache and disk and spilled to temporary files (EXPLAIN ANALYZE BUFFERS). ADX's side (one scan of
// the materialized view with an MD5 per row) cannot be measured here: no ADX is reachable.
//   node dist/bench/reconcileCost.js --rows 10000000
import * as fs from "fs";
import { Command, Option } from "commander";
import { startLocalPipeline } from "../local/localPipeline";
import { adminClient } from "../local/capturedSource";
import { readCatalogTables } from "../postgres/catalog";
import { ORDERS_TABLE } from "../postgres/sourceSchema";
import { bucketDigits, keySample, ReconcileTarget, sqlBucketSummary } from "../kql/reconcileQueries";
import { numberIn } from "../generator/generateCommand";

interface Measured {
    label: string;
    wallMs: number;
    backendCpuMs: number;
    sharedHitBlocks: number;
    sharedReadBlocks: number;
    tempWrittenBlocks: number;
    buckets: number;
}

/** utime + stime of a process, in ms (Linux /proc; clock ticks at 100 Hz). */
function cpuMs(pid: number): number {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main(): Promise<void> {
    const options = new Command("reconcile-cost")
        .description("measure what reconcile's summary query costs PostgreSQL on the demo's orders table (a throwaway local PostgreSQL)")
        .addOption(new Option("--rows <n>", "rows to load").default(10_000_000).argParser(numberIn("--rows", 1000, 100_000_000)))
        .addHelpText("after", "\nExample:\n  node dist/bench/reconcileCost.js --rows 10000000")
        .parse()
        .opts();
    const pipeline = await startLocalPipeline();
    const admin = await adminClient(pipeline);
    try {
        await admin.query("CREATE SCHEMA IF NOT EXISTS retail");
        await admin.query(`CREATE TABLE ${ORDERS_TABLE.qualifiedName} (${ORDERS_TABLE.columns.map((c) => `${c.name} ${c.sqlType}`).join(", ")})`);
        const loadStarted = Date.now();
        process.stderr.write(`loading ${options.rows} rows into ${ORDERS_TABLE.qualifiedName}\n`);
        for (let from = 1; from <= options.rows; from += 1_000_000) {
            const to = Math.min(options.rows, from + 999_999);
            await admin.query(
                `INSERT INTO ${ORDERS_TABLE.qualifiedName} (custid, amount, city, purchase_time) SELECT g % 100000, (g % 100000) / 100.0, (ARRAY['Austin','Boston','Chicago','Denver'])[1 + g % 4], ` +
                    `timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(${from}, ${to}) g`,
            );
            process.stderr.write(`  ${to} rows (${Math.round((Date.now() - loadStarted) / 1000)} s)\n`);
        }
        await admin.query(`VACUUM ANALYZE ${ORDERS_TABLE.qualifiedName}`);
        const {
            rows: [{ size }],
        } = await admin.query(`SELECT pg_total_relation_size('${ORDERS_TABLE.qualifiedName}') AS size`);
        const { tables } = await readCatalogTables(admin, [ORDERS_TABLE.qualifiedName]);
        const target: ReconcileTarget = { table: ORDERS_TABLE.qualifiedName, columns: tables[0].columns, key: tables[0].primaryKey, functionName: "retail_orders_info_current" };
        const digits = bucketDigits(options.rows);
        await admin.query("SET TIME ZONE 'UTC'");
        const {
            rows: [{ pid }],
        } = await admin.query("SELECT pg_backend_pid() AS pid");
        const measure = async (label: string, sql: string): Promise<Measured> => {
            const cpuBefore = cpuMs(pid);
            const started = Date.now();
            const { rows } = await admin.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`);
            const wallMs = Date.now() - started;
            const plan = rows[0]["QUERY PLAN"][0].Plan;
            return {
                label,
                wallMs,
                backendCpuMs: cpuMs(pid) - cpuBefore,
                sharedHitBlocks: plan["Shared Hit Blocks"],
                sharedReadBlocks: plan["Shared Read Blocks"],
                tempWrittenBlocks: plan["Temp Written Blocks"],
                buckets: plan["Actual Rows"],
            };
        };
        const results = [
            await measure(`whole table, ${16 ** digits} buckets`, sqlBucketSummary(target, digits)),
            await measure(`1/16 sample`, sqlBucketSummary(target, digits, keySample(1 / 16, 0))),
        ];
        const report = { rows: options.rows, tableBytes: Number(size), results };
        process.stdout.write(JSON.stringify(report, null, 2) + "\n");
        for (const r of results)
            process.stderr.write(
                `${r.label}: ${(r.wallMs / 1000).toFixed(1)} s wall, ${(r.backendCpuMs / 1000).toFixed(1)} s backend CPU, ` +
                    `${Math.round(((r.sharedHitBlocks + r.sharedReadBlocks) * 8192) / 1048576)} MiB read (${Math.round((r.sharedReadBlocks * 8192) / 1048576)} MiB not in shared buffers), ` +
                    `${Math.round((r.tempWrittenBlocks * 8192) / 1048576)} MiB temp; table ${Math.round(Number(size) / 1048576)} MiB\n`,
            );
    } finally {
        await admin.end().catch(() => undefined);
        await pipeline.stop();
    }
}

main().catch((error) => {
    process.stderr.write(`reconcile-cost: ${error.message}\n`);
    process.exit(2);
});
