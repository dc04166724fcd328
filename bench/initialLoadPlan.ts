// What `pg-adx-cdc bench-initial-load` runs: its defaults and the profiles it compares (kept apart
// from initialLoad.ts so that `--help` loads no harness).

export interface InitialLoadProfile {
    name: string;
    description: string;
    /** The source connector's settings: "quickstart" = Debezium's defaults, "tuned" = what the stack deploys. */
    source: "quickstart" | "tuned";
    /** Partitions of the loaded table's topic, and as many sink tasks; unset: the stack's default (DEFAULT_TABLE_PARTITIONS). */
    tablePartitions?: number;
    sink: {
        streaming: boolean;
        /** Unset: the stack's sink settings (kustoSink.ts). */
        flushIntervalMs?: number;
        flushSizeBytes?: number;
        /** The ADX table's batching time span for queued ingestion (unset: the stack's model). */
        batchingTimeSpan?: string;
    };
}

export const INITIAL_LOAD_PROFILES: InitialLoadProfile[] = [
    {
        name: "defaults",
        description:
            "Debezium's and the Kusto sink's own defaults (500 ms poll, 2048-record batches, no compression; one partition as the broker creates topics, one sink task; 30 s / 1 MB flush, queued ingestion with 30 s batching, as the quickstarts set it)",
        source: "quickstart",
        tablePartitions: 1,
        sink: { streaming: false, flushIntervalMs: 30_000, flushSizeBytes: 1024 * 1024, batchingTimeSpan: "00:00:30" },
    },
    {
        name: "deployed",
        description:
            "what the stack deploys (connectors/debeziumSource.ts tuned settings; the table's topic with DEFAULT_TABLE_PARTITIONS partitions and a sink task each; connectors/kustoSink.ts: 1 s / 1 MiB buffers, streaming)",
        source: "tuned",
        sink: { streaming: true },
    },
    {
        name: "queued16MiB",
        description:
            "the stack's settings with 16 MiB sink buffers: a buffer the load fills is over the Kusto SDK's streaming limit and goes queued (a blob and a queue message; the sink does not wait for ADX)",
        source: "tuned",
        sink: { streaming: true, flushSizeBytes: 16 * 1024 * 1024 },
    },
];

export interface InitialLoadOptions {
    /** Rows in the loaded table. */
    rows: number;
    /** Profiles to run, in order (names from INITIAL_LOAD_PROFILES). */
    profiles: string[];
    /** Changes/s a background writer commits to another table during each load. */
    backgroundRate: number;
}

export const INITIAL_LOAD_DEFAULTS: InitialLoadOptions = {
    rows: 2_000_000,
    profiles: INITIAL_LOAD_PROFILES.map((p) => p.name),
    backgroundRate: 200,
};
