// What `status` counts as unhealthy, by default, and the thresholds the stack's Azure alerts share with it;
// a module of its own so the CLI's help reads it without loading the Kafka, PostgreSQL and ADX clients.
export interface HealthThresholds {
    /** A slot holding more WAL than this is behind (default 256 MiB). */
    maxSlotLagBytes: number;
    /** Dead-lettered records tolerated (default 0: every one is a change ADX does not have). */
    maxDeadLetters: number;
    /** Records the sink may be behind the topics' ends (default 100,000: minutes of backlog, not a flush). */
    maxSinkLagRecords: number;
    /** Where max_slot_wal_keep_size is set: unhealthy when the slot is closer than this to losing its WAL (default 1 GiB). */
    minSafeWalBytes: number;
    /**
     * The newest heartbeat ADX holds may be this old (default 300 s). Debezium commits one every 10 s,
     * so an older one means changes stopped reaching ADX, whatever the connectors' states say (a sink
     * retrying without failing, a source stalled, a worker host gone).
     */
    maxHeartbeatAgeSeconds: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
    maxSlotLagBytes: 256 * 1024 * 1024,
    maxDeadLetters: 0,
    maxSinkLagRecords: 100_000,
    minSafeWalBytes: 1024 * 1024 * 1024,
    maxHeartbeatAgeSeconds: 300,
};
