// PostgreSQL server settings the pipeline needs, in one place for every way the server runs: Azure
// flexible server parameters (components/azurePostgresServer.ts), the container's command line
// (components/postgresContainer.ts) and the e2e harness's postgresql.conf.
import { WAL_GUARD_EXTENSION } from "./walGuard";

/**
 * What the server parameters depend on: the fields of the stack's postgres settings
 * (config/postgresSettings.ts) that this file reads, stated here so postgres/ does not import config/.
 */
export interface ServerParameterSettings {
    version: string;
    highAvailability: boolean;
    /** Libraries the server already preloads (an existing server's own), merged with what the stack needs. */
    preloadLibraries: string[];
    /** The WAL guard (pg_cron) when configured. */
    walGuard?: unknown;
    maxReplicationSlots: number;
    maxWalSenders: number;
    maxWorkerProcesses: number;
}

export interface ServerParameter {
    name: string;
    value: string;
    /** Takes effect only after a restart (Azure's "static" parameters). */
    static: boolean;
}

type PreloadSettings = Pick<ServerParameterSettings, "version" | "highAvailability" | "preloadLibraries" | "walGuard">;

/**
 * The libraries the pipeline needs preloaded, or none: pg_failover_slots keeps the slot on the standby
 * (PostgreSQL 16 and earlier with a standby), pg_cron runs the WAL guard (postgres/walGuard.ts).
 */
function neededPreloadLibraries(settings: PreloadSettings): string[] {
    const needed = [...(settings.highAvailability && Number(settings.version) < 17 ? ["pg_failover_slots"] : []), ...(settings.walGuard ? [WAL_GUARD_EXTENSION] : [])];
    return needed.length ? [...new Set([...settings.preloadLibraries, ...needed])] : [];
}

/** The parameters of the failover-slot mechanism and the WAL guard's scheduler, or none when neither is needed. */
export function buildPreloadAndFailoverParameters(settings: PreloadSettings): ServerParameter[] {
    const libraries = neededPreloadLibraries(settings);
    const preload: ServerParameter[] = libraries.length ? [{ name: "shared_preload_libraries", value: libraries.join(","), static: true }] : [];
    if (!settings.highAvailability) return preload;
    // Without this the logical slot exists on the primary only: after a failover Debezium finds no
    // slot, and snapshot.mode=when_needed re-reads every table (and deletes made meanwhile are lost).
    const feedback: ServerParameter = { name: "hot_standby_feedback", value: "on", static: false };
    // PostgreSQL 17 synchronizes slots created with failover=true (Debezium's slot.failover) natively;
    // 16 and earlier use the pg_failover_slots extension, which Azure offers as a preload library.
    if (Number(settings.version) >= 17) return [...preload, feedback, { name: "sync_replication_slots", value: "on", static: false }];
    return [...preload, feedback];
}

/** Whether Debezium must create its slot with failover=true (PostgreSQL 17+ with a standby). */
export function needsFailoverSlot(settings: Pick<ServerParameterSettings, "version" | "highAvailability">): boolean {
    return settings.highAvailability && Number(settings.version) >= 17;
}

/**
 * Logical replication for Debezium's pgoutput slot. Not max_slot_wal_keep_size: Azure lists it as
 * read-only (allowed value -1), so setting it would fail the deployment; WAL held by the slot is
 * bounded by the heartbeat instead, and the slot is dropped on destroy.
 */
export function buildLogicalReplicationParameters(settings: ServerParameterSettings): ServerParameter[] {
    return [
        { name: "wal_level", value: "logical", static: true },
        { name: "max_replication_slots", value: String(settings.maxReplicationSlots), static: true },
        { name: "max_wal_senders", value: String(settings.maxWalSenders), static: true },
        { name: "max_worker_processes", value: String(settings.maxWorkerProcesses), static: true },
        ...buildPreloadAndFailoverParameters(settings),
    ];
}

/** Azure flexible server parameters: logical replication plus TLS required for every client. */
export function buildAzureServerParameters(settings: ServerParameterSettings): ServerParameter[] {
    return [
        ...buildLogicalReplicationParameters(settings),
        { name: "require_secure_transport", value: "ON", static: false },
        // Azure creates only the extensions this allow-list names.
        ...(settings.walGuard ? [{ name: "azure.extensions", value: WAL_GUARD_EXTENSION, static: false }] : []),
    ];
}

/** `postgres -c name=value ...` arguments for a server started from the command line. */
export function toPostgresCommandLine(parameters: ServerParameter[]): string[] {
    return parameters.flatMap((p) => ["-c", `${p.name}=${p.value}`]);
}

/** postgresql.conf lines for the same parameters. */
export function toPostgresConfLines(parameters: ServerParameter[]): string[] {
    return parameters.map((p) => `${p.name} = '${p.value.replace(/'/g, "''")}'`);
}

export interface HbaRulesInput {
    /** The Debezium user: always authenticates with SCRAM. */
    replicationUser: string;
    /** Where clients connect from: "all" on a Docker network, "127.0.0.1/32" for a local cluster. */
    clientAddress: string;
    /** How the admin and other users authenticate over TCP. */
    otherUsersAuth: "scram-sha-256" | "trust";
}

/**
 * pg_hba.conf for a self-run server. Debezium's pgoutput stream is a *logical* replication
 * connection (replication=database), which pg_hba matches like any connection to that database;
 * the `replication` keyword covers physical replication only, which nothing here needs, so there is
 * no such line. The file pins SCRAM for TCP whatever the image's POSTGRES_HOST_AUTH_METHOD says.
 */
export function buildHbaRules(input: HbaRulesInput): string[] {
    return ["local all all trust", `host all ${input.replicationUser} ${input.clientAddress} scram-sha-256`, `host all all ${input.clientAddress} ${input.otherUsersAuth}`];
}

/**
 * The value to write on a server the user already runs, given what it has: never lower than theirs.
 * Counts (max_replication_slots, max_wal_senders, max_worker_processes) take the larger;
 * shared_preload_libraries keeps theirs and adds ours; wal_level logical is already the highest.
 * Unknown current values (a parameter Azure did not report) keep the stack's.
 */
export function raisedParameterValue(name: string, wanted: string, current: string | undefined): string {
    if (current === undefined || current === "") return wanted;
    if (/^max_/.test(name) && /^\d+$/.test(current) && /^\d+$/.test(wanted)) return String(Math.max(Number(current), Number(wanted)));
    if (name === "shared_preload_libraries" || name === "azure.extensions") {
        const libraries = current
            .split(",")
            .map((l) => l.trim())
            .filter(Boolean);
        // Names compare case-insensitively: Azure's portal writes allow-listed extensions in upper case (PG_CRON).
        for (const l of wanted.split(",").map((x) => x.trim())) if (l && !libraries.some((have) => have.toLowerCase() === l.toLowerCase())) libraries.push(l);
        return libraries.join(",");
    }
    return wanted;
}
