#!/usr/bin/env node
// Orders generator CLI. Connection from the standard PG* environment variables
// (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE).
// Example: node dist/generator/cli.js --rate 500 --duration 30s --updates 0.2 --deletes 0.05 --batch-size 10
import { parseArgs } from "util";
import { parseDuration, runOrdersGenerator } from "./ordersGenerator";

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            rate: { type: "string", default: "100" },
            duration: { type: "string", default: "30s" },
            updates: { type: "string", default: "0.2" },
            deletes: { type: "string", default: "0.05" },
            "batch-size": { type: "string", default: "1" },
            table: { type: "string", default: "retail.orders_info" },
        },
    });
    const { Client } = require("pg");
    const client = new Client({ ssl: process.env.PGSSLMODE === "require" ? { rejectUnauthorized: true } : undefined, application_name: "pg-adx-cdc-generator" });
    await client.connect();
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    process.once("SIGTERM", () => abort.abort());
    try {
        const report = await runOrdersGenerator(client, {
            rate: Number(values.rate),
            durationMs: parseDuration(values.duration!),
            updates: Number(values.updates),
            deletes: Number(values.deletes),
            batchSize: Number(values["batch-size"]),
            table: values.table,
            signal: abort.signal,
            onProgress: (r) => process.stderr.write(`generator: ${r.inserts} inserts, ${r.updates} updates, ${r.deletes} deletes, ${r.achievedRate}/s\n`),
        });
        process.stdout.write(JSON.stringify(report) + "\n");
        return 0;
    } finally {
        await client.end();
    }
}

main().then(
    (code) => process.exit(code),
    (error) => {
        process.stderr.write(`generator: ${error.message}\n`);
        process.exit(1);
    },
);
