// What `pg-adx-cdc bench-many-tables` runs: its defaults and the profiles it compares (kept apart from
// manyTables.ts so that `--help` loads no harness).

export interface ManyTablesProfile {
    name: string;
    description: string;
    /** Captured tables in this run (the first N of the bench's tables). */
    tables: number;
    /** The sink's flush interval (unset: the stack's, connectors/kustoSink.ts). */
    flushIntervalMs?: number;
    /** Sink tasks (unset: the stack's, connectors/kustoSink.ts). */
    maxTasks?: number;
    /** Partitions of each table's topic (unset: the stack's default for that many tables, defaultTablePartitions). */
    tablePartitions?: number;
}

export const MANY_TABLES_PROFILES: ManyTablesProfile[] = [
    { name: "deployed-50", description: "50 tables, the stack's sink settings (1 s / 1 MiB buffers, streaming, at most 8 sink tasks)", tables: 50 },
    { name: "deployed-200", description: "200 tables, the stack's settings (one partition per table topic: defaultTablePartitions)", tables: 200 },
    {
        name: "fourPartitions-200",
        description: "200 tables, 4 partitions per table topic (the stack's default up to 8 tables; 32 partitions in all past that)",
        tables: 200,
        tablePartitions: 4,
    },
    { name: "flush5s-200", description: "200 tables, the sink flushing every 5 s instead of every second", tables: 200, flushIntervalMs: 5000 },
    { name: "taskPerTable-200", description: "200 tables, one sink task per table (the stack's setting before this bench)", tables: 200, maxTasks: 200 },
];

export interface ManyTablesOptions {
    /** Profiles to run, in order (names from MANY_TABLES_PROFILES). */
    profiles: string[];
    /** Seconds of load per profile, after every table has reached ADX once. */
    seconds: number;
    /** Hot tables (the first of the captured ones) and the changes/s each receives. */
    hotTables: number;
    hotRate: number;
    /** Seconds between two changes of one quiet table (every other table). */
    quietEverySeconds: number;
}

export const MANY_TABLES_DEFAULTS: ManyTablesOptions = {
    // The flush5s and taskPerTable profiles are measured in docs/benchmark.md; --profiles runs them again.
    profiles: ["deployed-50", "deployed-200", "fourPartitions-200"],
    seconds: 90,
    hotTables: 5,
    hotRate: 100,
    quietEverySeconds: 10,
};
