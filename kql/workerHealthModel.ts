// The ADX side of the Connect workers' health records (docker/connect/transforms, WorkerHealthReporter):
// the table the sink routes the workers' health topic to, its JSON mapping, and the alert query that
// reads it. A sink task failing for one table while the heartbeat's task runs leaves the heartbeat fresh:
// these records are what tells ADX, and the failed-task alert, that a table's changes stopped.
import type { KqlScript } from "./kqlModel";
import { jsonMappingCommand, jsonPathOf } from "./adxModel";

/** The health table and its mapping in the stack's ADX database. */
export const WORKER_HEALTH_ADX = { table: "pgadxcdc_worker_health", mapping: "pgadxcdc_worker_health_json" } as const;

/** The record's fields (WorkerHealthReporter.record) as ADX columns; `tasks` keeps each failing task whole. */
export const WORKER_HEALTH_COLUMNS = [
    { column: "at", type: "datetime", doc: "When the worker reported (UTC)" },
    { column: "connect_group", type: "string", doc: "The Connect worker group (its group.id)" },
    { column: "worker", type: "string", doc: "The worker (its advertised host:port)" },
    { column: "failing_tasks", type: "int", doc: "Connectors and tasks failed on this worker without a stable run since" },
    { column: "gave_up_tasks", type: "int", doc: "Of those, the ones the watchdog no longer restarts (out of restarts, or a data gap)" },
    { column: "failing_seconds", type: "long", doc: "How long the longest of them has been failing" },
    { column: "tasks", type: "dynamic", doc: "Each: connector, task, attempts, gaveUp, reason, failingSince, lastTrace" },
    { column: "initial_snapshots", type: "dynamic", doc: "Topic prefixes of the connectors on this worker taking their initial snapshot (no heartbeat until it ends)" },
] as const;

/** How long the health table keeps records: the alert reads the last minutes, a person the last weeks. */
export const WORKER_HEALTH_RETENTION_DAYS = 30;

export function workerHealthModelScripts(options: { streamingIngestion: boolean }): KqlScript[] {
    const { table, mapping } = WORKER_HEALTH_ADX;
    const entries = WORKER_HEALTH_COLUMNS.map((c) => ({ column: c.column, Properties: { Path: jsonPathOf(c.column) } }));
    const folder = "generated/pgadxcdc_worker_health";
    return [
        {
            name: `${folder}/10-table.kql`,
            text: [
                `// Health of the Connect workers: one record per worker a minute, from the watchdog (docker/connect/transforms).`,
                `.create-merge table ${table} (`,
                WORKER_HEALTH_COLUMNS.map((c) => `    ${c.column}: ${c.type}`).join(",\n"),
                `) with (docstring = "Connect workers' health: failed tasks per worker, from pg-adx-cdc's watchdog", folder = "cdc")`,
                "",
                `.alter-merge table ${table} column-docstrings (`,
                WORKER_HEALTH_COLUMNS.map((c) => `    ${c.column}: ${JSON.stringify(c.doc)}`).join(",\n"),
                `)`,
                "",
            ].join("\n"),
        },
        {
            name: `${folder}/20-mapping.kql`,
            text: [`// JSON ingestion mapping from the watchdog's health record to ${table}.`, jsonMappingCommand(table, mapping, entries), ""].join("\n"),
        },
        {
            name: `${folder}/30-policies.kql`,
            text: [
                `// Streaming like the change tables (the alert reads the last minutes); a month of history.`,
                ...(options.streamingIngestion ? [`.alter table ${table} policy streamingingestion enable`, ""] : []),
                `.alter table ${table} policy retention`,
                "```",
                `{ "SoftDeletePeriod": "${WORKER_HEALTH_RETENTION_DAYS}.00:00:00", "Recoverability": "Enabled" }`,
                "```",
                "",
            ].join("\n"),
        },
    ];
}

/**
 * When the failed-task alert fires: a task failing for 15 minutes (the watchdog's restarts at 30 s, 1, 2, 4
 * and 8 minutes have not healed it, nor the sink's own 5-minute retry window), or given up at once; or no
 * worker's record for 10 minutes (a record a minute is due).
 */
export const FAILED_TASK_ALERT = { failingSeconds: 900, silenceSeconds: 600 } as const;

/**
 * The failed-task alert's query: a row per worker whose newest record (within `silenceSeconds`) names a task
 * failing for `failingSeconds` or more, or one the watchdog gave up on; and one row when no worker's record
 * arrived within `silenceSeconds` (the workers are gone, or the sink task carrying their topic failed).
 * `healthTable` is how the query names the table: from Azure Monitor, `adxTableReference(...)`.
 */
export function failedTasksQuery(healthTable: string, failingSeconds: number, silenceSeconds: number): string {
    for (const [name, value] of [
        ["failing time", failingSeconds],
        ["silence", silenceSeconds],
    ] as const)
        if (!Number.isInteger(value) || value <= 0) throw new Error(`the failed-task alert's ${name} ${value} must be a positive whole number of seconds`);
    return [
        `let recent = ${healthTable} | where at > ago(${silenceSeconds}s);`,
        `let failing = recent`,
        `    | summarize arg_max(at, *) by worker`,
        `    | where gave_up_tasks > 0 or failing_seconds >= ${failingSeconds}`,
        `    | project at, worker, failing_tasks, gave_up_tasks, failing_seconds, problem = "a connector task failed";`,
        `let silent = print at = now(), worker = "", failing_tasks = toint(0), gave_up_tasks = toint(0), failing_seconds = tolong(0), problem = "no worker health record reached ADX"`,
        `    | where toscalar(recent | count) == 0;`,
        `union failing, silent`,
    ].join("\n");
}

/** How recent the health record must be that tells the stalled alert an initial snapshot runs (three records due). */
export const INITIAL_SNAPSHOT_RECORD_AGE_SECONDS = 180;

/**
 * For the stalled alert (heartbeatStalledQuery): a `let` of `initial_snapshot`, true while a worker's newest
 * health record (at most INITIAL_SNAPSHOT_RECORD_AGE_SECONDS old) lists `topicPrefix` among the connectors
 * taking their initial snapshot (Debezium commits no heartbeat until it ends). Without recent records (Connect
 * or ADX down) it is false, so the alert still fires.
 */
export function initialSnapshotRunning(healthTable: string, topicPrefix: string): string {
    return [
        `let initial_snapshot = toscalar(${healthTable}`,
        `    | where at > ago(${INITIAL_SNAPSHOT_RECORD_AGE_SECONDS}s)`,
        `    | summarize arg_max(at, initial_snapshots) by worker`,
        `    | mv-expand prefix = initial_snapshots to typeof(string)`,
        `    | where prefix == ${JSON.stringify(topicPrefix)}`,
        `    | count) > 0;`,
    ].join("\n");
}
