// `generate`: the orders generator against the database the standard PG* environment variables name
// (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE). One definition, used by the
// pg-adx-cdc CLI and by the generator container's own entry (generator/cli.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { parseDuration, runOrdersGenerator } from "./ordersGenerator";
import { connectPostgres } from "../postgres/postgresClient";

export interface GenerateOptions {
    rate: number;
    durationMs: number;
    updates: number;
    deletes: number;
    batchSize: number;
    table: string;
}

export async function runGenerate(options: GenerateOptions): Promise<number> {
    // Host, port, database and user from the PG* variables, as pg reads them; the password from PGPASSWORD or the
    // file PGPASSWORD_FILE names (the stack's container: a secret file, not an environment variable).
    const passwordFile = process.env.PGPASSWORD_FILE;
    const password = process.env.PGPASSWORD ?? (passwordFile ? require("fs").readFileSync(passwordFile, "utf8").replace(/\n$/, "") : undefined);
    const client = await connectPostgres(
        { sslMode: process.env.PGSSLMODE === "require" ? "require" : "disable" },
        password,
        "pg-adx-cdc-generator",
        "Set PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD (or PGPASSWORD_FILE) and PGSSLMODE.",
    );
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    process.once("SIGTERM", () => abort.abort());
    try {
        const report = await runOrdersGenerator(client, {
            ...options,
            signal: abort.signal,
            onProgress: (r) => process.stderr.write(`generator: ${r.inserts} inserts, ${r.updates} updates, ${r.deletes} deletes, ${r.achievedRate}/s\n`),
        });
        process.stdout.write(JSON.stringify(report) + "\n");
        return 0;
    } finally {
        await client.end();
    }
}

/** A number option's parser that names the option and the value it refuses. */
export function numberIn(name: string, min: number, max: number): (value: string) => number {
    return (value: string) => {
        const n = Number(value);
        if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} takes a number from ${min} to ${max} (got ${JSON.stringify(value)})`);
        return n;
    };
}

/** A duration option's parser ("30s", "5m", "1500ms", "0"). */
export function durationArg(value: string): number {
    try {
        return parseDuration(value);
    } catch (error: any) {
        throw new InvalidArgumentError(error.message);
    }
}

export function generateCommand(): Command {
    return new Command("generate")
        .description("insert, update and delete orders in retail.orders_info at a steady rate (connection from PG* variables)")
        .addOption(new Option("--rate <changes/s>", "changes per second").default(100).argParser(numberIn("--rate", 0.1, 50_000)))
        .addOption(new Option("--duration <time>", 'how long, e.g. "30s", "5m"; "0" runs until Ctrl-C').default(30_000, "30s").argParser(durationArg))
        .addOption(new Option("--updates <share>", "share of changes that are updates").default(0.2).argParser(numberIn("--updates", 0, 1)))
        .addOption(new Option("--deletes <share>", "share of changes that are deletes").default(0.05).argParser(numberIn("--deletes", 0, 1)))
        .addOption(new Option("--batch-size <n>", "changes per transaction").default(1).argParser(numberIn("--batch-size", 1, 10_000)))
        .option("--table <schema.table>", "the orders table", "retail.orders_info")
        .addHelpText("after", "\nExample:\n  PGHOST=localhost PGUSER=cdcadmin PGPASSWORD=... PGDATABASE=retail pg-adx-cdc generate --rate 500 --duration 30s --batch-size 10")
        .action(async (o) => {
            process.exitCode = await runGenerate({ rate: o.rate, durationMs: o.duration, updates: o.updates, deletes: o.deletes, batchSize: o.batchSize, table: o.table });
        });
}
