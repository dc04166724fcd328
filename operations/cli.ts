#!/usr/bin/env node
// pg-adx-cdc: the one command line for what the README offers. Every subcommand answers --help
// (usage, options with defaults, an example) without doing work; an unknown option fails with the
// usage and exit code 2. npm scripts are thin aliases (npm run status -- --stack dev).
// Exit codes: 0 fine, 1 the pipeline is unhealthy / not delivered, 2 the command cannot run.
// Each command's module (PostgreSQL, Kafka and Azure clients, the local pipeline) is loaded when that
// command runs, so `--help` and a mistyped option answer at once.
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_THRESHOLDS } from "../contract/healthThresholds";
import type { StackSelection } from "./stackSelection";
import { durationArg, generateCommand, numberIn } from "../generator/generateCommand";
import { BENCH_DEFAULTS } from "../bench/benchPlan";
import { MANY_TABLES_DEFAULTS, MANY_TABLES_PROFILES } from "../bench/manyTablesPlan";
import { INITIAL_LOAD_DEFAULTS, INITIAL_LOAD_PROFILES } from "../bench/initialLoadPlan";
import { CONNECT_REST_PASSWORD_ENV } from "../connectors/connectRestAuth";
import { OPERATOR_SECRET_ENV } from "../connectors/workerSettings";

const STACK_HELP = `\nThe stack's outputs come from \`pulumi stack output --json --stack <name>\` (no secrets in them), or from a file saved from it (--outputs).\nPostgreSQL: the commands connect as the stack's operator role cdc_operator (pg_monitor, no DDL); its password comes from PGPASSWORD, else from the stack's secret output postgresOperatorPassword.\nKafka Connect's REST password comes from ${CONNECT_REST_PASSWORD_ENV}: export ${CONNECT_REST_PASSWORD_ENV}="$(pulumi stack output --show-secrets connectRestPassword)".\nKafka: the stack's broker's password (or Event Hubs' SAS connection string) comes from ${OPERATOR_SECRET_ENV.kafkaPassword} (${OPERATOR_SECRET_ENV.eventHubsConnectionString}), else from the stack's secret output kafkaOperatorPassword (eventHubsConnectionString); with Entra ID on Event Hubs, your az login, or a token in ${OPERATOR_SECRET_ENV.eventHubsAccessToken}.`;

function withStack(command: Command): Command {
    return command
        .option("--stack <name>", "the Pulumi stack to read outputs from (this or --outputs is required)")
        .option("--outputs <file>", "a saved `pulumi stack output --json`, instead of asking Pulumi");
}

function selection(o: { stack?: string; outputs?: string }): StackSelection {
    return { stack: o.stack, outputsFile: o.outputs };
}

export function buildCli(): Command {
    const program = new Command("pg-adx-cdc")
        .description("Change data capture from PostgreSQL to Azure Data Explorer: operate a deployed stack, or try the whole pipeline locally")
        .showHelpAfterError()
        .exitOverride();

    withStack(program.command("status"))
        .description("connectors and tasks, the slot's WAL lag, per table the topic's end offset and what the sink has not delivered, dead letters")
        .addOption(
            new Option("--max-slot-lag-bytes <n>", "unhealthy above this much WAL held by the slot")
                .default(DEFAULT_THRESHOLDS.maxSlotLagBytes, "256 MiB")
                .argParser(numberIn("--max-slot-lag-bytes", 0, Number.MAX_SAFE_INTEGER)),
        )
        .addOption(
            new Option("--min-safe-wal-bytes <n>", "unhealthy when the slot is closer than this to losing its WAL (where max_slot_wal_keep_size is set)")
                .default(DEFAULT_THRESHOLDS.minSafeWalBytes, "1 GiB")
                .argParser(numberIn("--min-safe-wal-bytes", 0, Number.MAX_SAFE_INTEGER)),
        )
        .addOption(
            new Option("--max-sink-lag <records>", "unhealthy above this many records the sink has not delivered")
                .default(DEFAULT_THRESHOLDS.maxSinkLagRecords)
                .argParser(numberIn("--max-sink-lag", 0, Number.MAX_SAFE_INTEGER)),
        )
        .addOption(
            new Option("--max-dead-letters <n>", "unhealthy above this many dead-lettered records")
                .default(DEFAULT_THRESHOLDS.maxDeadLetters)
                .argParser(numberIn("--max-dead-letters", 0, Number.MAX_SAFE_INTEGER)),
        )
        .addOption(
            new Option("--max-heartbeat-age <seconds>", "unhealthy when ADX's newest heartbeat (one every 10 s) is older: changes stopped reaching ADX")
                .default(DEFAULT_THRESHOLDS.maxHeartbeatAgeSeconds)
                .argParser(numberIn("--max-heartbeat-age", 1, Number.MAX_SAFE_INTEGER)),
        )
        .option("--json", "machine-readable report", false)
        .addHelpText("after", `${STACK_HELP}\nExit: 0 healthy, 1 unhealthy, 2 cannot run.\n\nExample:\n  npm run status -- --stack dev --max-sink-lag 5000`)
        .action(async (o) => {
            process.exitCode = await (require("./statusCommand") as typeof import("./statusCommand")).runStatus({
                selection: selection(o),
                thresholds: {
                    maxSlotLagBytes: o.maxSlotLagBytes,
                    maxSinkLagRecords: o.maxSinkLag,
                    maxDeadLetters: o.maxDeadLetters,
                    minSafeWalBytes: o.minSafeWalBytes,
                    maxHeartbeatAgeSeconds: o.maxHeartbeatAge,
                },
                json: o.json,
            });
        });

    withStack(program.command("verify"))
        .description("write a marker row into the stack's heartbeat table, wait until ADX shows it, print the commit-to-query latency, delete it and wait until ADX hides it")
        .addOption(new Option("--timeout <time>", "per phase (visible, then gone)").default(180_000, "180s").argParser(durationArg))
        .option("--json", "machine-readable report", false)
        .addHelpText("after", `${STACK_HELP}\nExit: 0 verified, 1 not delivered in time, 2 cannot run.\n\nExample:\n  npm run verify -- --stack dev --timeout 60s`)
        .action(async (o) => {
            process.exitCode = await (require("./verifyCommand") as typeof import("./verifyCommand")).runVerify({ selection: selection(o), timeoutMs: o.timeout, json: o.json });
        });

    withStack(program.command("restart-sink"))
        .description("restart the Kusto sink's FAILED tasks (after an ADX outage longer than its retry window); they re-read from the last offset ADX took")
        .addHelpText("after", `${STACK_HELP}\n\nExample:\n  npm run restart-sink -- --stack dev`)
        .action(async (o) => {
            process.exitCode = await (require("./restartSinkCommand") as typeof import("./restartSinkCommand")).runRestartSink(selection(o));
        });

    withStack(program.command("snapshot"))
        .description(
            "re-read captured tables by Debezium's incremental snapshot (chunked, alongside the stream): after ADD COLUMN ... DEFAULT (no change event for existing rows), or to re-sync; the repair of a DATA GAP or a re-created topic (status says which), moving the sink to the topic's first offset first",
        )
        .requiredOption("--table <schema.table...>", "captured table(s) to read again")
        .option(
            "--replace",
            "write a fence in the change stream first, so that once the re-read ends the current state is exactly what it found (the rows stay shown while it reads): after a partition was detached or dropped, or a partition truncated alone (PostgreSQL 14+)",
            false,
        )
        .addOption(new Option("--timeout <time>", "until Debezium opens its first snapshot window").default(180_000, "180s").argParser(durationArg))
        .addHelpText(
            "after",
            `${STACK_HELP}
Exit: 0 requested (or the tables are empty), 2 cannot run.

Examples:
  npm run cli -- snapshot --stack dev --table retail.orders_info
  npm run cli -- snapshot --stack dev --table sales.orders_by_month --replace   # after DETACH/DROP of a partition`,
        )
        .action(async (o) => {
            process.exitCode = await (require("./snapshotCommand") as typeof import("./snapshotCommand")).runSnapshot({
                selection: selection(o),
                tables: o.table,
                replace: o.replace,
                timeoutMs: o.timeout,
            });
        });

    withStack(program.command("reconcile"))
        .description(
            "prove per captured table that ADX's current state equals PostgreSQL: bucketed counts and digests of every row on both sides, then the keys of differing buckets compared value by value; --repair re-reads the drifted keys",
        )
        .option("--table <schema.table...>", "captured table(s) to reconcile (default: all)")
        .option("--repair", "re-read the keys that drifted (Debezium incremental snapshot restricted to them), then reconcile again", false)
        .addOption(
            new Option(
                "--sample <fraction>",
                "compare this share of each table's keys (in sixteenths of the key hashes, moving on each hour and day, so that repeated runs cover every key)",
            )
                .default(1)
                .argParser(numberIn("--sample", 0.0625, 1)),
        )
        .option("--record", "append each table's result to ADX (table cdc_meta_reconcile), where status shows the latest and charts can read all", false)
        .addOption(new Option("--timeout <time>", "how long the heartbeat fence and a repair may wait").default(180_000, "180s").argParser(durationArg))
        .option("--json", "machine-readable report", false)
        .addHelpText(
            "after",
            `${STACK_HELP}
Exit: 0 equal, 1 drift (after --repair: drift left), 2 cannot run.

Example:
  npm run reconcile -- --stack dev --table retail.orders_info --repair
  npm run reconcile -- --stack prod --sample 0.125 --record     (hourly from cron: 1/8 of the keys, the result in ADX)`,
        )
        .action(async (o) => {
            process.exitCode = await (require("./reconcileCommand") as typeof import("./reconcileCommand")).runReconcile({
                selection: selection(o),
                tables: o.table ?? [],
                repair: o.repair,
                json: o.json,
                sample: o.sample,
                record: o.record,
                timeoutMs: o.timeout,
            });
        });

    program.addCommand(generateCommand().showHelpAfterError().exitOverride());

    program
        .command("demo")
        .description(
            "the whole pipeline on this machine, no Azure, no Docker: PostgreSQL, Kafka, Connect with Debezium and the real Kusto sink, the ADX ingestion test double and the orders generator",
        )
        .addOption(new Option("--rate <changes/s>", "orders generator rate").default(50).argParser(numberIn("--rate", 0.1, 5000)))
        .addOption(new Option("--duration <time>", '"0" runs until Ctrl-C').default(60_000, "60s").argParser(durationArg))
        .addOption(new Option("--updates <share>", "share of changes that are updates").default(0.2).argParser(numberIn("--updates", 0, 1)))
        .addOption(new Option("--deletes <share>", "share of changes that are deletes").default(0.05).argParser(numberIn("--deletes", 0, 1)))
        .option("--adx-cluster <uri>", "send to this ADX cluster instead of the local test double (a free cluster works); signs in with the Azure credential chain (az login)")
        .option("--adx-database <name>", "the database in --adx-cluster the demo creates its tables in", "cdc")
        .option("--adx-ingestion <uri>", 'the cluster\'s ingestion URI, when it is not the query URI with an "ingest-" host prefix')
        .option("--adx-streaming", "streaming ingestion into --adx-cluster (the cluster must allow it; free clusters ingest queued only)", false)
        .option("--adx-ca <pem...>", "CA certificates to trust besides the public roots (a TLS-inspecting proxy on the way to the cluster)")
        .addHelpText(
            "after",
            "\nNeeds Java 17, Maven and PostgreSQL's binaries (fetched like the tests do; about 3 minutes the first time).\nPrints a line a second (changes/s, topic and sink lag, commit→ADX latency), then per table the rows in ADX against the source.\nCtrl-C stops every process it started and removes its files.\n\nWith --adx-cluster the model goes to that database (the tables of retail.orders_info and cdc_meta.heartbeat_demo, left there to query),\nthe sink ingests with your token (az_dev_token: development only; the token lasts about an hour), and the analytics functions run there.\n\nExamples:\n  npm run demo -- --rate 200 --duration 2m\n  az login && npm run demo -- --adx-cluster https://kvc-xxxx.northeurope.kusto.windows.net --adx-database cdc",
        )
        .action(async (o) => {
            const adxCluster = o.adxCluster
                ? { clusterUri: o.adxCluster, ingestionUri: o.adxIngestion, database: o.adxDatabase, streaming: o.adxStreaming === true, caFiles: o.adxCa ?? [] }
                : undefined;
            if (!o.adxCluster) {
                for (const [flag, value] of [
                    ["--adx-ingestion", o.adxIngestion],
                    ["--adx-streaming", o.adxStreaming || undefined],
                    ["--adx-ca", o.adxCa],
                ] as const)
                    if (value !== undefined) throw new Error(`${flag} needs --adx-cluster <uri>`);
            }
            process.exitCode = await (require("./demoCommand") as typeof import("./demoCommand")).runDemo({
                rate: o.rate,
                durationMs: o.duration,
                updates: o.updates,
                deletes: o.deletes,
                adxCluster,
            });
        });

    program
        .command("bench")
        .description(
            "commit→topic and commit→ADX latency and throughput on the local pipeline (the real Kusto sink into the ADX double), the quickstarts' settings against the stack's, interleaved in one run",
        )
        .option("--rates <list>", "rates (changes/s) both profiles run at", BENCH_DEFAULTS.rates.join(","))
        .addOption(new Option("--seconds <n>", "seconds per rate and profile").default(BENCH_DEFAULTS.seconds).argParser(numberIn("--seconds", 1, 3600)))
        .option("--ramp <list>", "rates the tuned profile ramps through until lag is no longer bounded", BENCH_DEFAULTS.ramp.join(","))
        .addOption(new Option("--ramp-seconds <n>", "seconds per ramp step").default(BENCH_DEFAULTS.rampSeconds).argParser(numberIn("--ramp-seconds", 1, 3600)))
        .option("--capture-ramp <list>", 'rates the capture path alone (no sink connector) ramps through; "" skips it', BENCH_DEFAULTS.captureRamp.join(","))
        .option("--initial-load", "then the initial-load bench with its defaults (bench-initial-load; about 12 more minutes), its summary in bench.json")
        .option("--many-tables", "then the many-tables bench with its defaults (bench-many-tables; about 8 more minutes), its summary in bench.json")
        .addHelpText(
            "after",
            "\nTakes about 10 minutes (about 30 with --initial-load --many-tables); writes bench-results/bench.json, latency.svg and adx-latency.svg.\n\nExample:\n  npm run bench -- --rates 100,1000 --seconds 10 --ramp 2000\n  npm run bench -- --initial-load --many-tables",
        )
        .action(async (o) => {
            const list = (name: string, text: string) => text.split(",").map(numberIn(name, 1, 1_000_000));
            // The benchmark lives with the tests it shares the harness with.
            const { runBench } = require("../bench/runBench");
            process.exitCode = await runBench({
                rates: list("--rates", o.rates),
                seconds: o.seconds,
                ramp: list("--ramp", o.ramp),
                rampSeconds: o.rampSeconds,
                captureRamp: o.captureRamp === "" ? [] : list("--capture-ramp", o.captureRamp),
                initialLoad: !!o.initialLoad,
                manyTables: !!o.manyTables,
            });
        });
    program
        .command("bench-initial-load")
        .description(
            "the initial load of a large table into ADX on the local pipeline (Debezium's snapshot through the real Kusto sink into the ADX double): rows/s, time to a complete current state, Connect's heap, the WAL held and the snapshot transaction, per profile in one run",
        )
        .addOption(new Option("--rows <n>", "rows in the loaded table").default(INITIAL_LOAD_DEFAULTS.rows).argParser(numberIn("--rows", 1000, 100_000_000)))
        .option("--profiles <list>", `profiles to run, in order (${INITIAL_LOAD_PROFILES.map((p) => p.name).join(", ")})`, INITIAL_LOAD_DEFAULTS.profiles.join(","))
        .addOption(
            new Option("--background-rate <n>", "changes/s committed to another table during each load (the WAL a busy database adds)")
                .default(INITIAL_LOAD_DEFAULTS.backgroundRate)
                .argParser(numberIn("--background-rate", 1, 100_000)),
        )
        .addHelpText(
            "after",
            "\nTakes about 10-20 minutes at 2 million rows; writes bench-results/initial-load.json and initial-load.svg.\n\nExample:\n  npm run bench:initial-load -- --rows 200000",
        )
        .action(async (o) => {
            const { runInitialLoadBench } = require("../bench/initialLoad");
            await runInitialLoadBench({ rows: o.rows, profiles: String(o.profiles).split(","), backgroundRate: o.backgroundRate });
        });
    program
        .command("bench-many-tables")
        .description(
            "many captured tables at a mixed rate (a few hot, most quiet) on the local pipeline: ADX ingest requests/s, commit→ADX latency per table class, the sink's tasks and Connect's heap, per profile in one run",
        )
        .option("--profiles <list>", `profiles to run, in order (${MANY_TABLES_PROFILES.map((p) => p.name).join(", ")})`, MANY_TABLES_DEFAULTS.profiles.join(","))
        .addOption(new Option("--seconds <n>", "seconds of load per profile").default(MANY_TABLES_DEFAULTS.seconds).argParser(numberIn("--seconds", 5, 3600)))
        .addOption(
            new Option("--hot-tables <n>", "tables that get the hot rate (the rest are quiet)")
                .default(MANY_TABLES_DEFAULTS.hotTables)
                .argParser(numberIn("--hot-tables", 0, 1000)),
        )
        .addOption(new Option("--hot-rate <n>", "changes/s per hot table").default(MANY_TABLES_DEFAULTS.hotRate).argParser(numberIn("--hot-rate", 1, 10_000)))
        .addOption(
            new Option("--quiet-every <s>", "seconds between two changes of one quiet table")
                .default(MANY_TABLES_DEFAULTS.quietEverySeconds)
                .argParser(numberIn("--quiet-every", 1, 3600)),
        )
        .addHelpText(
            "after",
            "\nTakes about 10 minutes with the defaults; writes bench-results/many-tables.json.\n\nExample:\n  npm run bench:many-tables -- --profiles deployed-50 --seconds 30",
        )
        .action(async (o) => {
            const { runManyTablesBench } = require("../bench/manyTables");
            await runManyTablesBench({
                profiles: String(o.profiles).split(","),
                seconds: o.seconds,
                hotTables: o.hotTables,
                hotRate: o.hotRate,
                quietEverySeconds: o.quietEvery,
            });
        });
    return program;
}

if (require.main === module) {
    const program = buildCli();
    program.parseAsync(process.argv).catch((error: unknown) => {
        if (error instanceof CommanderError) {
            // --help and --version end here with code 0; a usage error with the usage already printed.
            process.exit(error.exitCode === 0 ? 0 : 2);
        }
        process.stderr.write(`pg-adx-cdc: ${(error as Error).message}\n`);
        process.exit(2);
    });
}
