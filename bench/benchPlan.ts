// What `pg-adx-cdc bench` runs, with its defaults: the one place the CLI and the benchmark read them
// (kept apart from runBench.ts so that `bench --help` loads no harness).
export interface BenchOptions {
    /** Rates (changes/s) both profiles run at, interleaved. */
    rates: number[];
    /** Seconds per rate and profile. */
    seconds: number;
    /** Rates the tuned profile ramps through until lag stops being bounded. */
    ramp: number[];
    rampSeconds: number;
    /**
     * Rates the capture path alone (PostgreSQL → Debezium → Kafka, no sink connector) ramps through:
     * what commit→topic sustains when the sink and the ADX double do not share the two cores.
     */
    captureRamp: number[];
    /** Then the initial-load bench (its defaults) and its summary in bench.json (`--initial-load`, about 12 more minutes). */
    initialLoad?: boolean;
    /** Then the many-tables bench (its defaults) and its summary in bench.json (`--many-tables`, about 8 more minutes). */
    manyTables?: boolean;
}
export const BENCH_DEFAULTS: BenchOptions = {
    rates: [100, 1000, 5000],
    seconds: 30,
    ramp: [2000, 4000, 6000, 8000, 10000, 12500, 15000],
    rampSeconds: 15,
    captureRamp: [15000, 20000, 25000, 30000, 35000],
};
