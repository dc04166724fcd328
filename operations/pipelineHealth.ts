// `npm run status`: is data flowing? Connectors and tasks with their state, the replication slot's
// lag in bytes, each topic's end offset, and the sink's dead-letter count; a problem list decides
// the exit code. Collection reports what it could not reach instead of stopping at the first error.
import { KafkaAccess, kafkaClient } from "../runtime/kafkaClient";
import { connectRequest, describeConnectError } from "../connectors/connectRestClient";
import { OperationsOutputs } from "../contract/stackOutputs";
import { parseTableName, tableFromDebeziumPattern } from "../contract/identifiers";
import { DEFAULT_THRESHOLDS, HealthThresholds } from "../contract/healthThresholds";
export { DEFAULT_THRESHOLDS, HealthThresholds };
import { getKustoAccessToken, rowsOf, runKustoCommand, runKustoQuery } from "../kql/kustoRestClient";
import { FENCE_REREAD_COLUMN, kustoIdentifier } from "../kql/adxModel";
import { lastReconcileQuery } from "../kql/reconcileQueries";
import { OVERSIZED_FIELD, TRUNCATE_OP } from "../contract/recordFields";
import { buildLastWalGuardDropSql } from "../postgres/walGuard";
import { MISSING_TRIGGERS_SQL, partitionKey, partitionOid, readUnpublishedTruncations, truncationTriggerNames } from "../postgres/partitionTruncations";
import {
    GONE_TABLES_SQL,
    INHERITANCE_CHILDREN_SQL,
    publishedTables,
    REPLICA_IDENTITY_GAPS_SQL,
    ROW_SECURITY_GAPS_SQL,
    rowSecurityPolicyName,
    USER_TABLE_LOCK_TIMEOUT,
} from "../postgres/sourceSchema";
import { connectAuthorizationHeaders, connectUnauthorizedMessage } from "../connectors/connectRestAuth";
import { WATCHDOG_DEFAULTS } from "../connectors/workerSettings";
import { describeOpenWriteTransaction, OpenWriteTransaction, readSlotCreationWait } from "../postgres/slotCreationWait";

export interface ConnectorHealth {
    name: string;
    /** Which of the stack's connectors this is (collectPipelineHealth knows it from the stack's outputs). */
    role?: "source" | "sink";
    /** RUNNING, PAUSED, FAILED, UNASSIGNED, ... or MISSING when Connect does not know it. */
    state: string;
    tasks: { id: number; state: string; trace?: string; /** host:port of the worker running it. */ worker?: string }[];
    trace?: string;
}

export interface SlotHealth {
    name: string;
    exists: boolean;
    active?: boolean;
    /** How far the consumer is behind: bytes between the server's current LSN and the slot's confirmed flush LSN. */
    lagBytes?: number;
    /** WAL the server keeps on disk for the slot: bytes from the slot's restart LSN to the current LSN (what fills the disk). */
    retainedBytes?: number;
    /** Bytes the slot may still fall behind before PostgreSQL drops its WAL (max_slot_wal_keep_size); undefined when unlimited, as on Azure. */
    safeWalBytes?: number;
    /** Age in seconds of the oldest open transaction on the server (it holds back what Debezium can confirm, and vacuum). */
    oldestTransactionSeconds?: number;
    /** The user status connects as cannot see other roles' sessions (no pg_monitor): the oldest transaction is unknown, not "none". */
    sessionsHiddenFrom?: string;
    /** reserved, extended, unreserved or lost (PostgreSQL 13+). */
    walStatus?: string;
    /** The latest drop of this slot by the WAL guard (pg-adx-cdc:postgres.walGuard), if any. */
    /** `invalidated`: PostgreSQL had invalidated the slot (its invalidation reason), rather than it retaining more than the limit. */
    guardDrop?: { at: Date; retainedBytes: number; limitBytes: number; drops: number; invalidated?: string };
    /** The WAL guard's latest failed run in the last hour (it cannot protect the source then). */
    guardFailure?: { at: Date; error: string };
    /** Debezium's CREATE_REPLICATION_SLOT still waiting, and the transactions it waits for (postgres/slotCreationWait.ts). */
    creationWait?: { waitedSeconds: number; blockers: OpenWriteTransaction[] };
}

export interface PipelineHealthReport {
    /** Each Connect worker of the group: whether its REST API answers (a group of one on the broker container). */
    workers?: { url: string; up: boolean; error?: string }[];
    connectors: ConnectorHealth[];
    slot?: SlotHealth;
    topics: { topic: string; endOffset: number }[];
    /** Per captured table: where its changes go, how many reached its topic, how many the sink has not yet delivered. */
    tables?: { sourceTable: string; adxTable: string; topic: string; endOffset?: number; sinkLag?: number }[];
    /** Records the sink has not yet committed per topic (its consumer group `connect-<sink>`). */
    sinkLag?: { group: string; records: number; perTopic: { topic: string; records: number }[] };
    /**
     * Where the sink's committed offset lies outside what the topic holds. `retention`: records the topic
     * no longer holds that the sink never read (its committed offset, or the start when it never
     * committed, is below the partition's first offset). `pastEnd`: the committed offset is past the
     * partition's end, so the topic was re-created and its offsets began again (`from` is the committed
     * offset, `to` the end). The sink consumes with `auto.offset.reset=none`: its task stays FAILED at
     * either, never skipping.
     */
    dataGaps?: {
        topic: string;
        partition: number;
        from: number;
        to: number;
        kind?: "retention" | "pastEnd";
        /** The partition's first offset now, where a repair resumes. */ firstOffset?: number;
        /** "task": `from` is where a sink task stopped (its OffsetOutOfRangeException), the group holding no offset there. */
        at?: "committed" | "task";
    }[];
    deadLetters?: { topic: string; count: number; exists: boolean };
    /**
     * Ingestions ADX failed in the last hour: queued ones (`.show ingestion failures`: data the sink
     * handed over that did not arrive) and refused streaming requests (`.show streamingingestion failures`:
     * the sink retries them or its task fails; they name ADX's reason).
     */
    ingestionFailures?: { queued: number; streaming: number; examples: string[] };
    /** Per captured table, rows that arrived with values replaced by markers (over the record size limit), and which columns. */
    oversized?: { table: string; rows: number; examples: string[] }[];
    /**
     * Per table, Kafka positions (partition, offset) that hold two different changes in ADX (its topic began its offsets again): how many,
     * the newest such change's commit time, and whether some hold only changes from before the emission stamp.
     */
    reusedPositions?: { table: string; positions: number; newest?: string; unstamped: boolean; repair: string }[];
    /** Incremental snapshots the stack requested (tables added to a running stack) and whether Debezium is still reading them. */
    incrementalSnapshots?: IncrementalSnapshotProgress;
    /**
     * Per captured table, the fences in ADX that name a re-read (a replaced table, a partition removed or truncated alone,
     * snapshot --replace) with no re-read's end after them: such a fence hides nothing yet. `since`: the oldest one's commit time.
     */
    waitingFences?: { table: string; since?: string; rereads: string[]; checkedAt: Date }[];
    /** Each captured table's latest `reconcile --record` result in ADX; undefined when none was recorded. */
    reconciles?: { table: string; at: string; verdict: string; differingKeys: number; unsettled: number; coverage: number }[];
    /** The watchdog's restarts of failed connectors and tasks, from every worker (`GET /pg-adx-cdc/watchdog`). */
    watchdog?: WatchdogRestart[];
    /** The first offsets the watchdog committed for partitions the sink never committed (new topics), newest last. */
    watchdogFirstOffsets?: { worker: string; connector: string; partitions: string[]; at: string }[];
    /** Connectors a watchdog resumed because a worker ended while it held them STOPPED to give first offsets, newest last. */
    watchdogResumed?: { worker: string; connector: string; stoppedBy: string; stoppedAt: string; resumedAt: string }[];
    /** The newest heartbeat commit ADX holds (undefined: none yet), and when status read it. */
    heartbeat?: { lastCommit?: string; checkedAt: Date };
    /**
     * The source connector's initial snapshot is still reading the tables (its committed offset says
     * `snapshot: true`, not yet its last record): Debezium commits no heartbeat until streaming starts.
     */
    initialSnapshotRunning?: boolean;
    /** How the sink authenticates (from the stack's outputs), and when status ran: a client secret's expiry is judged against it. */
    sinkIdentity?: { kind: "clientSecret" | "managedIdentity"; clientId: string; clientSecretExpiresAt?: string; managedIdentityResourceId?: string; checkedAt: Date };
    /**
     * Per captured table, its relations whose replica identity is not FULL (a partition created after the
     * last bootstrap): Debezium reads an unchanged TOASTed value of theirs back from the table by key.
     */
    replicaIdentityGaps?: { table: string; relations: string[] }[];
    /** Captured plain tables that have gained inheritance children since the bootstrap: their rows are read, their changes never streamed. */
    inheritedTables?: { table: string; children: string[] }[];
    /**
     * Relations of captured partitioned tables without the stack's TRUNCATE trigger (created since the last pulumi up,
     * or owned by a role the admin is not): a TRUNCATE of one of those partitions alone would go unnoticed.
     */
    truncateTriggerGaps?: { table: string; relations: string[] }[];
    /**
     * Captured tables whose rows the stack's roles may not all read: row-level security switched on since
     * the last bootstrap (no read policy of the stack's), or RESTRICTIVE policies (named) that apply to them.
     */
    rowSecurityGaps?: { table: string; missingPolicy: boolean; restrictive?: string }[];
    /**
     * Captured tables that no longer exist under their name (dropped, or renamed), and tables the
     * publication holds that the stack does not capture (a captured table after a RENAME).
     */
    goneTables?: { missing: string[]; uncapturedPublished: string[]; unpublished?: string[]; unlogged?: string[] };
    /** Partitions of captured partitioned tables detached or dropped since the last pulumi up (their rows left without a change event). */
    removedPartitions?: { table: string; partitions: string[] }[];
    /** Partitions of captured partitioned tables truncated alone since the last pulumi up (published as nothing), with the newest such TRUNCATE's time. */
    truncatedPartitions?: { table: string; partitions: string[]; lastAt: Date }[];
    /** What could not be reached at all (Connect, PostgreSQL, Kafka), with the reason. */
    unreachable: string[];
}

/** status reports a client secret this many days before it expires (it stops the sink when it does). */
export const SECRET_EXPIRY_WARNING_DAYS = 30;

/** Seconds between the newest heartbeat's commit in ADX and when status looked; undefined when there is none. */
function heartbeatAgeSeconds(report: PipelineHealthReport): number | undefined {
    const last = report.heartbeat?.lastCommit ? Date.parse(report.heartbeat.lastCommit.replace(/(\.\d{3})\d+/, "$1")) : NaN;
    return Number.isNaN(last) ? undefined : Math.max(0, Math.round((report.heartbeat!.checkedAt.getTime() - last) / 1000));
}

/** How to give the Connect host the sink's identity. */
function attachIdentityFix(resourceId: string | undefined): string {
    return `attach it to the Docker host VM (az vm identity assign -g <group> -n <vm> --identities ${resourceId ?? "<the identity's resource id>"}); the sink resumes by itself`;
}

/** The sink identity's problems: a client secret about to expire, a managed identity the Connect host does not hold. */
function sinkIdentityProblems(report: PipelineHealthReport): string[] {
    const identity = report.sinkIdentity;
    if (!identity) return [];
    const problems: string[] = [];
    if (identity.kind === "clientSecret" && identity.clientSecretExpiresAt) {
        const days = (Date.parse(identity.clientSecretExpiresAt) - identity.checkedAt.getTime()) / 86_400_000;
        if (days <= SECRET_EXPIRY_WARNING_DAYS)
            problems.push(
                `the Kusto sink's client secret ${days <= 0 ? "expired" : `expires in ${Math.ceil(days)} day(s)`} (${identity.clientSecretExpiresAt}): ` +
                    "set a new pg-adx-cdc:sinkSecretRotation value and run pulumi up (a new secret, the workers replaced), or move to sinkIdentity.kind managedIdentity (no secret to expire)",
            );
    }
    if (identity.kind === "managedIdentity") {
        const sink = report.connectors.find((c) => c.role === "sink");
        const trace = [sink?.trace, ...(sink?.tasks ?? []).map((t) => t.trace)].filter(Boolean).join("\n");
        if (/ManagedIdentity|managed identity|identity not found|IMDS|CredentialUnavailable/i.test(trace))
            problems.push(`the sink could not get a token as the managed identity ${identity.clientId}: ${attachIdentityFix(identity.managedIdentityResourceId)}`);
    }
    return problems;
}

/** One connector (task undefined) or task the watchdog restarted, as a worker reports it. */
export interface WatchdogRestart {
    worker: string;
    connector: string;
    task?: number;
    attempts: number;
    maxRestarts: number;
    lastRestart?: string;
    nextAttempt?: string;
    gaveUp: boolean;
    lastTrace?: string;
    /** Why the watchdog does not restart it, where it knows: "offset-out-of-range" (a data gap; a restart fails again). */
    reason?: string;
}

/** Pure: the problems in a report; empty means healthy. */
export function evaluatePipelineHealth(report: PipelineHealthReport, thresholds: HealthThresholds = DEFAULT_THRESHOLDS): string[] {
    const problems = [...report.unreachable];
    const down = (report.workers ?? []).filter((w) => !w.up);
    if (down.length && down.length < (report.workers ?? []).length) {
        for (const w of down)
            problems.push(
                `Connect worker ${w.url} is down (${w.error ?? "no answer"}): the group runs without it, so one more loss stops capture; its tasks move to the others about a minute after it stopped. Restart its container`,
            );
    }
    for (const c of report.connectors) {
        if (c.state === "MISSING") problems.push(`connector ${c.name} is not registered on Connect (run pulumi up)`);
        else if (c.state === "STOPPED")
            problems.push(
                `connector ${c.name} is STOPPED: if a worker's watchdog stopped it to give new partitions their first offsets and that worker ended, a watchdog ` +
                    `resumes it within ${Math.ceil(WATCHDOG_DEFAULTS.seedingStaleMs / 60_000)} minutes; otherwise someone stopped it: PUT /connectors/${c.name}/resume on Connect's REST API resumes it`,
            );
        else if (c.state !== "RUNNING") problems.push(`connector ${c.name} is ${c.state}${c.trace ? `: ${rootCause(c.trace)}` : ""}`);
        if (c.state !== "MISSING" && c.tasks.length === 0) problems.push(`connector ${c.name} has no tasks`);
        for (const t of c.tasks) if (t.state !== "RUNNING") problems.push(`connector ${c.name} task ${t.id} is ${t.state}${t.trace ? `: ${rootCause(t.trace)}` : ""}`);
    }
    for (const w of report.watchdog ?? []) {
        const what = w.task === undefined ? `connector ${w.connector}` : `connector ${w.connector} task ${w.task}`;
        if (w.gaveUp && w.reason === "offset-out-of-range")
            problems.push(
                `${what} on ${w.worker} stopped at an offset the topic no longer holds (${w.lastTrace ?? "OffsetOutOfRangeException"}); it never skips by itself and the watchdog does not restart it: ` +
                    `the DATA GAP or TOPIC RE-CREATED line names the table and the repair`,
            );
        else if (w.gaveUp)
            problems.push(
                `the watchdog restarted ${what} ${w.attempts} times on ${w.worker} and gave up: a restart does not fix its cause${w.lastTrace ? ` (${w.lastTrace})` : ""}; ` +
                    `fix it, then pg-adx-cdc restart-sink (or POST /connectors/${w.connector}/restart?includeTasks=true&onlyFailed=true)`,
            );
    }
    const slot = report.slot;
    if (slot?.guardFailure && !(slot.guardDrop && slot.guardDrop.at > slot.guardFailure.at))
        problems.push(
            `the WAL guard failed at ${slot.guardFailure.at.toISOString()} (${slot.guardFailure.error}): it cannot protect the source from the slot's WAL; ` +
                `its function runs as the admin every minute from pg_cron, which needs REPLICATION and the replication user's privileges (pulumi up grants them)`,
        );
    if (slot) {
        if (!slot.exists && slot.guardDrop)
            problems.push(
                `replication slot ${slot.name} was dropped by the WAL guard at ${slot.guardDrop.at.toISOString()} ` +
                    (slot.guardDrop.invalidated
                        ? `(PostgreSQL had invalidated it: ${slot.guardDrop.invalidated}, so Debezium could not stream from it): `
                        : `(it retained ${formatBytes(slot.guardDrop.retainedBytes)} of WAL, limit ${formatBytes(slot.guardDrop.limitBytes)}): the source was protected; `) +
                    `the source connector re-reads every captured table when it starts again ` +
                    `(snapshot.mode when_needed) and the current state then hides rows deleted meanwhile. See that it runs (its state is above) and why it fell behind`,
            );
        else if (!slot.exists) problems.push(`replication slot ${slot.name} does not exist (the source connector creates it; is it running?)`);
        else if (slot.creationWait)
            problems.push(
                `SLOT CREATION WAITING: Debezium has waited ${slot.creationWait.waitedSeconds} s to create replication slot ${slot.name}, and capture starts only once it exists: ` +
                    `PostgreSQL creates a logical slot only once every transaction open when the creation began has ended. ` +
                    (slot.creationWait.blockers.length
                        ? `Still open: ${slot.creationWait.blockers.map(describeOpenWriteTransaction).join("; ")}`
                        : "The transactions it waited for have ended; it completes within seconds"),
            );
        else {
            if (slot.walStatus === "lost")
                problems.push(
                    `replication slot ${slot.name} was invalidated by PostgreSQL (wal_status lost: it retained more WAL than max_slot_wal_keep_size), so Debezium cannot stream from it. ` +
                        `The WAL guard drops it at its next run (every minute) and the source connector then re-reads every captured table; without the guard, ` +
                        `SELECT pg_drop_replication_slot('${slot.name}') does the same`,
                );
            // What endangers the source is the WAL kept on disk (from restart_lsn), which can exceed the consumer's lag.
            const held = Math.max(slot.retainedBytes ?? 0, slot.lagBytes ?? 0);
            if (held > thresholds.maxSlotLagBytes) {
                problems.push(
                    `replication slot ${slot.name} holds ${formatBytes(held)} of WAL, more than ${formatBytes(thresholds.maxSlotLagBytes)}${slot.active ? "" : " and no consumer is attached"}; ` +
                        "an Azure server's storage fills and it turns read-only at 95%: see that the source connector runs (pg-adx-cdc status, restart it), or drop the slot and re-sync",
                );
            }
            if (slot.safeWalBytes !== undefined && slot.safeWalBytes < thresholds.minSafeWalBytes) {
                problems.push(
                    `replication slot ${slot.name} is ${formatBytes(Math.max(0, slot.safeWalBytes))} from losing its WAL (max_slot_wal_keep_size); once lost the connector re-snapshots`,
                );
            }
        }
    }
    if (report.sinkLag && report.sinkLag.records > thresholds.maxSinkLagRecords) {
        problems.push(
            `the sink is ${report.sinkLag.records} records behind the topics (more than ${thresholds.maxSinkLagRecords}); ADX is falling behind` +
                // A sink that cannot get its token retries without failing its task (its offsets held, nothing lost): lag is the sign.
                (report.sinkIdentity?.kind === "managedIdentity"
                    ? `; if the workers' log shows "Managed Identity authentication failed", the Connect host does not hold the identity ${report.sinkIdentity.clientId}: ${attachIdentityFix(report.sinkIdentity.managedIdentityResourceId)}`
                    : ""),
        );
    }
    for (const r of report.reusedPositions ?? []) {
        if (r.unstamped)
            problems.push(
                `ORDER BROKEN: ${r.table}: ${r.positions} Kafka position(s) hold two different changes in ADX from before the emission stamp: its topic started its offsets again at 0 (re-created) ` +
                    `before this version, and the current state orders those changes by offset, so it may keep old changes over new ones. Repair: ${r.repair}`,
            );
        else if (!provenSince(report, r.table, r.newest))
            problems.push(
                `TOPIC RE-CREATED: ${r.table}: ${r.positions} Kafka position(s) hold two different changes in ADX (the newest committed ${r.newest ?? "at an unknown time"}): its topic began its offsets again. ` +
                    `The current state still orders each key's changes as they were emitted (emission stamps), but changes the old topic held that the sink had not read are lost. ` +
                    `Repair: pg-adx-cdc snapshot --table ${r.table} (reads the table again), then pg-adx-cdc reconcile --table ${r.table} --repair (removes rows deleted meanwhile); ` +
                    `this clears once a reconcile finds the table equal`,
            );
    }
    for (const gap of report.dataGaps ?? []) {
        const entry = report.tables?.find((t) => t.topic === gap.topic);
        const table = entry?.sourceTable ?? "<the table of that topic>";
        if (gap.kind === "pastEnd")
            problems.push(
                `TOPIC RE-CREATED: ${gap.topic} partition ${gap.partition}: the sink's ${gap.at === "task" ? "position (where its task stopped; the group kept no offset)" : "committed offset"} ${gap.from} is past the topic's end (${gap.to}): the topic began its offsets again, ` +
                    `so changes the old topic held that the sink had not read are lost (the current state orders each key's changes by emission stamp, which the new topic continues). ` +
                    `The sink stops there (it never rewinds or skips by itself). ` +
                    `Repair: pg-adx-cdc snapshot --table ${table} (moves the sink to the topic's first offset and reads the table again), then pg-adx-cdc reconcile --table ${table} --repair (removes rows deleted meanwhile)`,
            );
        else
            problems.push(
                `DATA GAP: ${gap.topic} partition ${gap.partition} lost offsets ${gap.from}-${gap.to} to retention before the sink read them; ADX lacks those changes. ` +
                    `The sink stops at the gap (it never skips by itself). Repair: pg-adx-cdc snapshot --table ${table} (moves the sink past the gap and reads the table again; a row deleted in the gap stays in ADX, ` +
                    `which pg-adx-cdc reconcile --table ${table} --repair finds and removes), and keep the sink running within the topic's retention`,
            );
    }
    const gone = report.goneTables;
    for (const table of gone?.missing ?? [])
        problems.push(
            `CAPTURED TABLE GONE: ${table} no longer exists in PostgreSQL under that name (dropped, or renamed${gone!.uncapturedPublished.length ? `: the publication now holds ${gone!.uncapturedPublished.join(", ")}, which the stack does not capture` : ""}): ` +
                `its changes no longer reach ADX and its current state keeps the last rows. If it was renamed, put the new name in pg-adx-cdc:capture.tables and run pulumi up (a new ADX table, read by snapshot); ` +
                `if it was dropped, remove it from capture.tables and run pulumi up`,
        );
    for (const table of gone?.unpublished ?? [])
        problems.push(
            `CAPTURED TABLE REPLACED: ${table} was dropped and created again under its name since the last pulumi up (a reload by swap, a migration ` +
                `that re-creates it, pg_restore --clean), or taken out of the stack's publication by hand: its changes do not reach ADX (or, put back into the ` +
                `publication by hand, only its later ones), and ADX's current state keeps the rows of the table it replaced. Repair: pulumi refresh, then pulumi up ` +
                `(publishes it, hides the replaced table's rows and reads it again)`,
        );
    for (const inherited of report.inheritedTables ?? [])
        problems.push(
            `CAPTURED TABLE INHERITED: ${inherited.children.join(", ")} ${inherited.children.length === 1 ? "inherits" : "inherit"} from ${inherited.table} (CREATE TABLE ... INHERITS, ALTER TABLE ... INHERIT, ` +
                `or TimescaleDB's chunks, since the last pulumi up): a read of ${inherited.table} (snapshot, re-read, reconcile) takes ${inherited.children.length === 1 ? "its" : "their"} rows as its own, while PostgreSQL publishes ` +
                `${inherited.children.length === 1 ? "its" : "their"} changes under ${inherited.children.length === 1 ? "its own name" : "their own names"}, which the stack does not capture: such rows reach ADX at a read and never change or leave. ` +
                `Repair: ALTER TABLE <child> NO INHERIT ${inherited.table} (or capture each child as a table of its own, or move to declarative partitioning: PARTITION BY), ` +
                `then pg-adx-cdc reconcile --table ${inherited.table} --repair`,
        );
    for (const table of gone?.unlogged ?? [])
        problems.push(
            `CAPTURED TABLE UNLOGGED: a partition of ${table} is UNLOGGED (created or attached so since the last pulumi up; PostgreSQL refuses SET UNLOGGED only on the ` +
                `published table itself): it writes no WAL for that partition's changes, so none reach ADX while it stays so, and SET LOGGED publishes none of the rows ` +
                `written meanwhile. Repair: ALTER TABLE <partition> SET LOGGED, then pg-adx-cdc reconcile --table ${table} --repair (re-reads the rows that differ and ` +
                `removes those deleted meanwhile)`,
        );
    // A fence waits while Debezium still reads its table; once Debezium's committed offset no longer lists the table and the
    // end has had the heartbeat's allowance to reach ADX, the re-read ended without reading the whole table.
    for (const waiting of report.waitingFences ?? []) {
        const reading = report.incrementalSnapshots?.inProgress;
        const ageSeconds = waiting.since ? (waiting.checkedAt.getTime() - Date.parse(waiting.since)) / 1000 : Infinity;
        if (reading === undefined || reading.includes(waiting.table) || ageSeconds <= thresholds.maxHeartbeatAgeSeconds) continue;
        problems.push(
            `RE-READ WITHOUT END: ADX holds a fence for ${waiting.table} (committed ${waiting.since ?? "at an unknown time"}, re-read ${waiting.rereads.join(", ")}) and no end of a re-read after it, ` +
                `while Debezium's committed offset no longer lists ${waiting.table} in an incremental snapshot: the re-read ended without reading the whole table (the Connect worker's log ` +
                `names a TABLE_SCAN_COMPLETED that did not succeed), or its end has not reached ADX (see the sink's lag). The fence hides nothing meanwhile: the rows it was written to ` +
                `remove (of a replaced table, or of a partition removed or truncated alone) stay in ADX's current state. Repair: pg-adx-cdc snapshot --table ${waiting.table} --replace ` +
                `(a new fence, and a whole re-read that ends it)`,
        );
    }
    for (const removed of report.removedPartitions ?? [])
        problems.push(
            `PARTITION REMOVED: ${removed.partitions.join(", ")} of ${removed.table} detached or dropped since the last pulumi up: logical replication publishes no change for that, ` +
                `so ADX's current state still holds every row ${removed.partitions.length === 1 ? "it" : "they"} held. Repair: pulumi refresh, then pulumi up (reads the table again ` +
                `and, once that read ends, hides the rows it did not find, so ADX keeps exactly the rows it holds now); pg-adx-cdc reconcile --table ${removed.table} --repair removes just the keys gone ` +
                `and touches less on a large table (this line stays until the next pulumi up)`,
        );
    for (const truncated of report.truncatedPartitions ?? [])
        problems.push(
            `PARTITION TRUNCATED: ${truncated.partitions.join(", ")} of ${truncated.table} truncated alone since the last pulumi up (the newest at ${truncated.lastAt.toISOString()}): ` +
                `PostgreSQL publishes a partitioned table's changes through its root and no TRUNCATE of a single partition, so ADX's current state still holds every row ` +
                `${truncated.partitions.length === 1 ? "it" : "they"} held. Repair: pulumi refresh, then pulumi up (reads the table again and, ` +
                `once that read ends, hides the rows it did not find, so ADX keeps exactly the rows it holds now); pg-adx-cdc reconcile --table ${truncated.table} --repair removes just the keys gone and touches less on a large table ` +
                `(this line stays until the next pulumi up)`,
        );
    for (const gap of (report.replicaIdentityGaps ?? []).filter((g) => !(gone?.unpublished ?? []).includes(g.table)))
        problems.push(
            `REPLICA IDENTITY: ${gap.relations.join(", ")} (of captured table ${gap.table}) not FULL, as a partition created after the last pulumi up is: its updates do not carry a TOASTed value they leave unchanged, ` +
                `which Debezium then reads back from the table (the row's value at that time, not at the change). Run pulumi refresh, then pulumi up (it sets FULL, waiting at most ${USER_TABLE_LOCK_TIMEOUT} at a time for the lock, and gives a partition the stack's TRUNCATE trigger; ` +
                `the deploy log names a partition another role owns), or have the owner run ALTER TABLE ... REPLICA IDENTITY FULL on each`,
        );
    // A partition the REPLICA IDENTITY line names gets its trigger from the same pulumi up: named once.
    for (const gap of report.truncateTriggerGaps ?? []) {
        const named = (report.replicaIdentityGaps ?? []).find((g) => g.table === gap.table)?.relations ?? [];
        const relations = gap.relations.filter((r) => !named.includes(r));
        if (relations.length && !(gone?.unpublished ?? []).includes(gap.table))
            problems.push(
                `TRUNCATE UNDETECTED: ${relations.join(", ")} (of captured table ${gap.table}) without the stack's TRUNCATE trigger: PostgreSQL publishes no TRUNCATE of a single ` +
                    `partition through the root, so one of ${relations.length === 1 ? "it" : "them"} alone would leave its rows in ADX's current state unnoticed. Run pulumi refresh, then ` +
                    `pulumi up (the deploy log names a relation the admin may not alter; its owner runs the CREATE TRIGGER it gives); reconcile --table ${gap.table} finds such rows meanwhile`,
            );
    }
    const partialRead =
        "its changes still arrive, but a snapshot or re-read of it (a new column's backfill, snapshot --table, reconcile --repair) sees only the rows its policies grant the pipeline's roles, and reconcile compares against those";
    for (const gap of report.rowSecurityGaps ?? []) {
        if (gap.missingPolicy)
            problems.push(
                `ROW SECURITY: ${gap.table} has row-level security and no read policy of the stack's (switched on after the last pulumi up): ${partialRead}. Run pulumi up (it adds the policy)`,
            );
        if (gap.restrictive)
            problems.push(
                `ROW SECURITY: ${gap.table} has RESTRICTIVE policies that apply to the pipeline's roles (${gap.restrictive}): ${partialRead}. Limit them to the application's roles (ALTER POLICY ... ON ${gap.table} TO <role>)`,
            );
    }
    for (const r of report.reconciles ?? []) {
        if (r.verdict === "drift")
            problems.push(
                `reconcile found ${r.differingKeys} key(s) of ${r.table} that differ between ADX and PostgreSQL (${r.at}): pg-adx-cdc reconcile --table ${r.table} names them, --repair re-reads them`,
            );
    }
    const failures = report.ingestionFailures;
    if (failures && failures.queued > 0) {
        problems.push(
            `${failures.queued} queued ingestion(s) failed inside ADX in the last hour (${failures.examples.join("; ")}): ` +
                "the sink was told they were queued, so their rows are not in ADX; fix the cause (e.g. pulumi up after a refresh shows drift) and replay them from Kafka by resetting the sink's offsets",
        );
    }
    if (failures && failures.streaming > 0) {
        problems.push(
            `ADX refused ${failures.streaming} streaming ingestion(s) in the last hour (${failures.examples.join("; ")}): the sink retries them and commits nothing past them; ` +
                "fix the cause (pulumi up restores a dropped table or mapping), then restart-sink if its task failed",
        );
    }
    problems.push(...sinkIdentityProblems(report));
    const age = heartbeatAgeSeconds(report);
    // During the initial snapshot no heartbeat is committed at all: its age says nothing then (the render line says why).
    if (report.heartbeat && !report.initialSnapshotRunning && (age === undefined || age > thresholds.maxHeartbeatAgeSeconds))
        problems.push(
            (age === undefined
                ? "ADX holds no heartbeat yet"
                : `ADX's newest heartbeat was committed ${age} s ago (more than ${thresholds.maxHeartbeatAgeSeconds} s; one is committed every 10 s)`) +
                ": changes are not reaching ADX. Look above for a failed or missing connector, the slot, the sink's lag; a sink that cannot authenticate retries without failing its task" +
                (report.sinkIdentity?.kind === "managedIdentity"
                    ? ` (the Connect host must hold the identity ${report.sinkIdentity.clientId}: ${attachIdentityFix(report.sinkIdentity.managedIdentityResourceId)})`
                    : ""),
        );
    if (report.deadLetters && report.deadLetters.count > thresholds.maxDeadLetters) {
        problems.push(
            `${report.deadLetters.count} record(s) in the sink's dead-letter topic ${report.deadLetters.topic}: Connect could not hand them to the sink (inspect with a consumer on that topic; the failure is in each record's headers)`,
        );
    }
    return problems;
}

/** The most telling line of a Java trace: its deepest "Caused by:" (the Kusto sink wraps ADX's answer), else the first line. */
export function rootCause(text: string): string {
    const causes = text.split("\n").filter((l) => l.startsWith("Caused by: "));
    return (causes.length ? causes[causes.length - 1].slice("Caused by: ".length) : text.split("\n")[0]).trim().slice(0, 300);
}

export function formatBytes(bytes: number): string {
    if (bytes < 1024) return `${bytes} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let value = bytes / 1024;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value.toFixed(1)} ${units[unit]}`;
}

export interface IncrementalSnapshotProgress {
    /** Each execute-snapshot signal in the signal table, oldest first. */
    signals: { id: string; tables: string[] }[];
    /** Snapshot windows Debezium has closed (one per chunk read), from its watermark rows. */
    chunksRead: number;
    /** Tables Debezium's committed offset says it is still snapshotting; undefined when Connect's offsets could not be read. */
    inProgress?: string[];
}

/**
 * Reads the signal table (signals sent, chunk windows closed) and the source connector's committed
 * offset, where Debezium keeps the incremental snapshot's remaining tables (GET .../offsets, Kafka 3.6+).
 */
export async function readIncrementalSnapshots(sql: SqlQueryable, signalTable: string, connectUrl: string, sourceConnector: string): Promise<IncrementalSnapshotProgress> {
    const { rows } = await sql.query(`SELECT id, type, data FROM ${signalTable} WHERE type IN ('execute-snapshot', 'snapshot-window-close') ORDER BY id`);
    const signals = rows
        .filter((r) => r.type === "execute-snapshot")
        .map((r) => {
            try {
                const patterns: string[] = JSON.parse(r.data)["data-collections"] ?? [];
                return { id: r.id, tables: patterns.map((p) => tableFromDebeziumPattern(p) ?? p) };
            } catch {
                return { id: r.id, tables: [] };
            }
        });
    let inProgress: string[] | undefined;
    try {
        const response = await connectRequest(connectUrl, "GET", `/connectors/${encodeURIComponent(sourceConnector)}/offsets`, undefined, {
            deadlineMs: 10_000,
            initialDelayMs: 200,
            maxDelayMs: 2000,
        });
        if (response.status === 200) {
            // Debezium keeps the remaining tables as JSON text in the offset; it may name a table quoted or by its bare parts.
            const offset = (response.data?.offsets ?? []).map((o: any) => String(o.offset?.incremental_snapshot_collections ?? "")).join("\n");
            const named = (t: string) => {
                const { schema, table } = parseTableName(t);
                return [t, `${schema}.${table}`, JSON.stringify(t).slice(1, -1)].some((form) => offset.includes(form));
            };
            inProgress = [...new Set(signals.flatMap((s) => s.tables))].filter(named);
        }
    } catch {
        inProgress = undefined;
    }
    return { signals, chunksRead: rows.filter((r) => r.type === "snapshot-window-close").length, inProgress };
}

/** Ingestion failures ADX recorded in the database since `sinceMs` (it keeps them 14 days). */
export async function readIngestionFailures(queryUri: string, database: string, sinceMs: number): Promise<NonNullable<PipelineHealthReport["ingestionFailures"]>> {
    const token = await getKustoAccessToken(queryUri);
    const queued = rowsOf((await runKustoCommand(queryUri, database, ".show ingestion failures", token))[0]).filter((r) => Date.parse(String(r.FailedOn)) >= sinceMs);
    const streaming = rowsOf((await runKustoCommand(queryUri, database, ".show streamingingestion failures", token))[0]).filter(
        (r) => Date.parse(String(r.LastFailureOn)) >= sinceMs,
    );
    return {
        queued: queued.length,
        streaming: streaming.reduce((n, r) => n + Number(r.Count ?? 1), 0),
        examples: [
            ...queued.slice(0, 2).map((r) => `${r.Table}: ${String(r.Details).slice(0, 160)}`),
            ...streaming.slice(0, 2).map((r) => `${r.Table}: ${r.ErrorCode} (streaming, ${r.Count}×)`),
        ],
    };
}

/** The newest heartbeat commit time ADX holds (Debezium commits one every 10 s): its age is how long changes have not reached ADX. */
export async function readHeartbeat(queryUri: string, database: string, heartbeat: { rawTable: string; sourceTsColumn: string }): Promise<PipelineHealthReport["heartbeat"]> {
    const token = await getKustoAccessToken(queryUri);
    const [result] = await runKustoQuery(queryUri, database, `${heartbeat.rawTable} | summarize last_commit = max(${kustoIdentifier(heartbeat.sourceTsColumn)})`, token);
    const last = rowsOf(result)[0]?.last_commit;
    return { ...(last ? { lastCommit: String(last) } : {}), checkedAt: new Date() };
}

/**
 * Rows that arrived with values replaced by markers because the record passed the size limit (the
 * `__oversized` field of their record names the columns and sizes); the values stay in PostgreSQL.
 */
export async function readOversizedRows(
    queryUri: string,
    database: string,
    tables: { sourceTable: string; rawTable: string; recordColumn: string }[],
): Promise<NonNullable<PipelineHealthReport["oversized"]>> {
    const token = await getKustoAccessToken(queryUri);
    const found: NonNullable<PipelineHealthReport["oversized"]> = [];
    for (const t of tables) {
        const field = `${kustoIdentifier(t.recordColumn)}[${JSON.stringify(OVERSIZED_FIELD)}]`;
        const [result] = await runKustoQuery(
            queryUri,
            database,
            `${t.rawTable} | where isnotempty(tostring(${field})) | summarize rows = count(), examples = make_set(tostring(${field}), 5)`,
            token,
        );
        const [row] = rowsOf(result);
        const rows = Number(row?.rows ?? 0);
        if (rows > 0) found.push({ table: t.sourceTable, rows, examples: ((row.examples as string[] | null) ?? []).map(String) });
    }
    return found;
}

/**
 * Fences that wait for their re-read's end (kql/adxModel.ts: a TRUNCATE row naming a re-read counts once a re-read's
 * end, a TRUNCATE row without an LSN, follows it): per table, those after the last end ADX holds.
 */
export async function readWaitingFences(
    queryUri: string,
    database: string,
    tables: { sourceTable: string; fences?: string; opColumn: string; lsnColumn: string; changeOrderColumn: string; sourceTsColumn: string }[],
): Promise<NonNullable<PipelineHealthReport["waitingFences"]>> {
    const token = await getKustoAccessToken(queryUri);
    const found: NonNullable<PipelineHealthReport["waitingFences"]> = [];
    for (const t of tables) {
        if (!t.fences) continue;
        const [op, lsn, order, ts] = [t.opColumn, t.lsnColumn, t.changeOrderColumn, t.sourceTsColumn].map(kustoIdentifier);
        const truncate = JSON.stringify(TRUNCATE_OP);
        const [ends] = await runKustoQuery(queryUri, database, `${t.fences} | where ${op} == ${truncate} and isnull(${lsn}) | summarize last_end = max(${order})`, token);
        const lastEnd = rowsOf(ends)[0]?.last_end;
        const after = lastEnd === null || lastEnd === undefined ? "" : ` and ${order} > ${BigInt(String(lastEnd))}`;
        const [fences] = await runKustoQuery(
            queryUri,
            database,
            `${t.fences} | where ${op} == ${truncate} and isnotnull(${lsn}) and isnotempty(${FENCE_REREAD_COLUMN})${after} | project ${FENCE_REREAD_COLUMN}, committed = ${ts}`,
            token,
        );
        const rows = rowsOf(fences);
        if (rows.length === 0) continue;
        const committed = rows
            .map((r) => r.committed)
            .filter((c) => c !== null && c !== undefined)
            .map(String)
            .sort();
        found.push({
            table: t.sourceTable,
            ...(committed.length ? { since: committed[0] } : {}),
            rereads: [...new Set(rows.map((r) => String(r[FENCE_REREAD_COLUMN])))],
            checkedAt: new Date(),
        });
    }
    return found;
}

/** True when a reconcile recorded after `since` (a commit time) found the table equal in ADX and PostgreSQL. */
function provenSince(report: PipelineHealthReport, table: string, since: string | undefined): boolean {
    const last = report.reconciles?.find((r) => r.table === table);
    return !!since && !!last && last.verdict === "equal" && Date.parse(last.at) > Date.parse(since);
}

/** The ADX commands that empty a table's change rows, fences and current state, before it is read again from offset 0. */
export function adxClearStatements(t: { rawTable: string; fences?: string; view: string }): string {
    return `.clear table ${t.rawTable} data${t.fences ? `, .clear table ${t.fences} data` : ""} and .clear materialized-view ${t.view} data`;
}

/**
 * Kafka positions that hold two different changes, per table: a topic is re-created (a lost broker
 * volume, event hubs deleted and created again) and its offsets start again at 0. The sink's
 * redeliveries repeat the same record at the same position and do not count. A position whose changes
 * all lack the emission stamp (from before it) is ordered by offset in the current state: "unstamped".
 */
export async function readReusedKafkaPositions(
    queryUri: string,
    database: string,
    tables: {
        sourceTable: string;
        rawTable: string;
        view: string;
        fences?: string;
        recordColumn: string;
        partitionColumn: string;
        offsetColumn: string;
        stampColumn: string;
        sourceTsColumn: string;
    }[],
): Promise<NonNullable<PipelineHealthReport["reusedPositions"]>> {
    const token = await getKustoAccessToken(queryUri);
    const found: NonNullable<PipelineHealthReport["reusedPositions"]> = [];
    for (const t of tables) {
        const [result] = await runKustoQuery(
            queryUri,
            database,
            `${t.rawTable} | summarize changes = dcount(tostring(${kustoIdentifier(t.recordColumn)})), stamped = countif(isnotnull(${kustoIdentifier(t.stampColumn)})), ` +
                `newest = max(${kustoIdentifier(t.sourceTsColumn)}) by ${kustoIdentifier(t.partitionColumn)}, ${kustoIdentifier(t.offsetColumn)} | where changes > 1 ` +
                `| summarize positions = count(), newest = max(newest), fewest_stamped = min(stamped)`,
            token,
        );
        const [row] = rowsOf(result);
        const positions = Number(row?.positions ?? 0);
        if (positions > 0)
            found.push({
                table: t.sourceTable,
                positions,
                ...(row.newest ? { newest: String(row.newest) } : {}),
                unstamped: Number(row.fewest_stamped ?? 0) === 0,
                repair: `in ADX ${adxClearStatements(t)}, then pg-adx-cdc snapshot --table ${t.sourceTable}`,
            });
    }
    return found;
}

/** Minimal SQL client surface (a pg Client). */
export interface SqlQueryable {
    query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

export const SLOT_LAG_SQL = `SELECT slot_name, active, wal_status,
  pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag_bytes,
  pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes,
  safe_wal_size,
  (SELECT extract(epoch FROM now() - min(xact_start))::bigint FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS oldest_xact_seconds,
  pg_has_role('pg_read_all_stats', 'USAGE') AS sees_all_sessions, current_user AS connected_as
FROM pg_replication_slots WHERE slot_name = $1`;

/** What the WAL guard logged: its latest drop and its latest failure of the last hour (nothing when it is not set up). */
/** Captured tables gone from their names, and what the publication holds beyond the stack's tables (GONE_TABLES_SQL). */
export async function readGoneTables(sql: SqlQueryable, outputs: Pick<OperationsOutputs, "adx" | "postgres">): Promise<NonNullable<PipelineHealthReport["goneTables"]>> {
    const captured = outputs.adx.tables.map((t) => t.sourceTable);
    const own = publishedTables({ tables: captured, heartbeatTable: outputs.adx.heartbeat.sourceTable, signalTable: outputs.postgres.signalTable });
    const { rows } = await sql.query(GONE_TABLES_SQL, [captured, outputs.postgres.publicationName ?? "", own]);
    const unpublished: string[] = rows.filter((r: any) => r.kind === "unpublished").map((r: any) => r.relation);
    // A table replaced and put back into the publication by hand streams again, but ADX still holds the rows of the table it replaced.
    const recorded = outputs.adx.tables.filter((t) => t.sourceRelation);
    if (recorded.length) {
        const { rows: now } = await sql.query("SELECT t.name, to_regclass(t.name)::oid::text AS relation FROM unnest($1::text[]) t(name)", [recorded.map((t) => t.sourceTable)]);
        for (const t of recorded)
            if (now.some((r: any) => r.name === t.sourceTable && r.relation !== null && r.relation !== t.sourceRelation) && !unpublished.includes(t.sourceTable))
                unpublished.push(t.sourceTable);
    }
    return {
        missing: rows.filter((r: any) => r.kind === "missing").map((r: any) => r.relation),
        uncapturedPublished: rows.filter((r: any) => r.kind === "published").map((r: any) => r.relation),
        unpublished,
        unlogged: rows.filter((r: any) => r.kind === "unlogged").map((r: any) => r.relation),
    };
}

/**
 * The recorded leaf partitions (the stack's outputs) of each captured partitioned table that are no longer
 * among its leaves. A table that is not the relation recorded (replaced, gone) is reported as such instead.
 */
export async function readRemovedPartitions(sql: SqlQueryable, outputs: Pick<OperationsOutputs, "adx">): Promise<NonNullable<PipelineHealthReport["removedPartitions"]>> {
    const recorded = outputs.adx.tables.filter((t) => t.sourcePartitions && t.sourceRelation);
    if (!recorded.length) return [];
    const { rows } = await sql.query(
        `SELECT t.name, to_regclass(t.name)::oid::text AS relation, COALESCE(array_agg(pt.relid::oid::text) FILTER (WHERE pt.isleaf), '{}') AS leaves ` +
            `FROM unnest($1::text[]) t(name) LEFT JOIN LATERAL pg_partition_tree(to_regclass(t.name)) pt ON true GROUP BY t.name`,
        [recorded.map((t) => t.sourceTable)],
    );
    return recorded.flatMap((t) => {
        const now = rows.find((r: any) => r.name === t.sourceTable);
        if (!now || now.relation !== t.sourceRelation) return [];
        const removed = Object.keys(t.sourcePartitions!).filter((key) => !now.leaves.includes(partitionOid(key)));
        return removed.length ? [{ table: t.sourceTable, partitions: removed.map((key) => t.sourcePartitions![key]) }] : [];
    });
}

/**
 * The recorded leaf partitions (the stack's outputs) of each captured partitioned table with a TRUNCATE of
 * their own that PostgreSQL did not publish, newer than the stack recorded (postgres/partitionTruncations.ts).
 */
export async function readTruncatedPartitions(sql: SqlQueryable, outputs: Pick<OperationsOutputs, "adx">): Promise<NonNullable<PipelineHealthReport["truncatedPartitions"]>> {
    const recorded = outputs.adx.tables.filter((t) => t.sourcePartitions && t.sourceRelation);
    if (!recorded.length) return [];
    const truncations = await readUnpublishedTruncations(
        sql,
        recorded.map((t) => t.sourceTable),
    );
    return recorded.flatMap((t) => {
        const keys = Object.keys(t.sourcePartitions!);
        const newer = truncations.filter(
            (x) => x.captured === t.sourceTable && keys.some((k) => partitionOid(k) === x.relation) && !keys.includes(partitionKey(x.relation, x.truncation)),
        );
        if (!newer.length) return [];
        const name = (oid: string) => t.sourcePartitions![keys.find((k) => partitionOid(k) === oid)!];
        return [{ table: t.sourceTable, partitions: newer.map((x) => name(x.relation)), lastAt: new Date(Math.max(...newer.map((x) => x.truncatedAt.getTime()))) }];
    });
}

/** The captured tables whose rows the stack's roles may not all read (absent publication name on old stacks' outputs: not checked). */
export async function readRowSecurityGaps(sql: SqlQueryable, outputs: Pick<OperationsOutputs, "adx" | "postgres">): Promise<NonNullable<PipelineHealthReport["rowSecurityGaps"]>> {
    if (!outputs.postgres.publicationName) return [];
    const { rows } = await sql.query(ROW_SECURITY_GAPS_SQL, [outputs.adx.tables.map((t) => t.sourceTable), rowSecurityPolicyName(outputs.postgres.publicationName)]);
    return rows
        .filter((r: any) => r.missing_policy || r.restrictive)
        .map((r: any) => ({ table: r.captured, missingPolicy: r.missing_policy, ...(r.restrictive ? { restrictive: r.restrictive } : {}) }));
}

/** The captured tables' relations without the stack's TRUNCATE trigger (postgres/partitionTruncations.ts), grouped by table. */
export async function readTruncateTriggerGaps(sql: SqlQueryable, tables: string[], publicationName: string): Promise<NonNullable<PipelineHealthReport["truncateTriggerGaps"]>> {
    const { rows } = await sql.query(MISSING_TRIGGERS_SQL, [tables, truncationTriggerNames(publicationName).triggerName]);
    const gaps: NonNullable<PipelineHealthReport["truncateTriggerGaps"]> = [];
    for (const row of rows as { captured: string; relation: string }[]) {
        const gap = gaps.find((g) => g.table === row.captured) ?? gaps[gaps.push({ table: row.captured, relations: [] }) - 1];
        gap.relations.push(row.relation);
    }
    return gaps;
}

/** The captured plain tables with inheritance children, and the children. */
export async function readInheritedTables(sql: SqlQueryable, tables: string[]): Promise<NonNullable<PipelineHealthReport["inheritedTables"]>> {
    const { rows } = await sql.query(INHERITANCE_CHILDREN_SQL, [tables]);
    return rows.map((r: any) => ({ table: r.captured, children: r.children }));
}

/** The captured tables' relations without REPLICA IDENTITY FULL, grouped by table. */
export async function readReplicaIdentityGaps(sql: SqlQueryable, tables: string[]): Promise<NonNullable<PipelineHealthReport["replicaIdentityGaps"]>> {
    const { rows } = await sql.query(REPLICA_IDENTITY_GAPS_SQL, [tables]);
    const gaps: NonNullable<PipelineHealthReport["replicaIdentityGaps"]> = [];
    for (const row of rows as { captured: string; relation: string }[]) {
        const gap = gaps.find((g) => g.table === row.captured) ?? gaps[gaps.push({ table: row.captured, relations: [] }) - 1];
        gap.relations.push(row.relation);
    }
    return gaps;
}

export async function readWalGuardLog(sql: SqlQueryable, logTable: string): Promise<Pick<SlotHealth, "guardDrop" | "guardFailure">> {
    const { rows: present } = await sql.query("SELECT to_regclass($1) IS NOT NULL AS present", [logTable]);
    if (!present[0].present) return {};
    const [row] = (await sql.query(buildLastWalGuardDropSql(logTable))).rows;
    return {
        ...(row.dropped_at
            ? {
                  guardDrop: {
                      at: new Date(row.dropped_at),
                      retainedBytes: Number(row.retained_bytes),
                      limitBytes: Number(row.limit_bytes),
                      drops: row.drops,
                      ...(row.invalidated ? { invalidated: String(row.invalidated) } : {}),
                  },
              }
            : {}),
        ...(row.failed_at ? { guardFailure: { at: new Date(row.failed_at), error: String(row.error) } } : {}),
    };
}

export async function readSlotHealth(sql: SqlQueryable, slotName: string, walGuardLogTable?: string): Promise<SlotHealth> {
    const guard = walGuardLogTable ? await readWalGuardLog(sql, walGuardLogTable) : {};
    const { rows } = await sql.query(SLOT_LAG_SQL, [slotName]);
    if (rows.length === 0) return { name: slotName, exists: false, ...guard };
    const creationWait = await readSlotCreationWait(sql, slotName);
    return {
        ...guard,
        ...(creationWait ? { creationWait } : {}),
        name: slotName,
        exists: true,
        active: rows[0].active,
        walStatus: rows[0].wal_status ?? undefined,
        lagBytes: rows[0].lag_bytes === null ? undefined : Number(rows[0].lag_bytes),
        retainedBytes: rows[0].retained_bytes === null ? undefined : Number(rows[0].retained_bytes),
        safeWalBytes: rows[0].safe_wal_size === null || rows[0].safe_wal_size === undefined ? undefined : Number(rows[0].safe_wal_size),
        // Without pg_read_all_stats (pg_monitor) other roles' xact_start reads as NULL: the oldest transaction is unknown.
        oldestTransactionSeconds:
            rows[0].sees_all_sessions === false || rows[0].oldest_xact_seconds === null || rows[0].oldest_xact_seconds === undefined
                ? undefined
                : Number(rows[0].oldest_xact_seconds),
        ...(rows[0].sees_all_sessions === false ? { sessionsHiddenFrom: String(rows[0].connected_as) } : {}),
    };
}

export async function readConnectorHealth(connectUrl: string, name: string, deadlineMs: number): Promise<ConnectorHealth> {
    const response = await connectRequest(connectUrl, "GET", `/connectors/${encodeURIComponent(name)}/status`, undefined, { deadlineMs, initialDelayMs: 200, maxDelayMs: 2000 });
    if (response.status === 404) return { name, state: "MISSING", tasks: [] };
    if (response.status !== 200) throw new Error(`Kafka Connect status of ${name}: HTTP ${response.status}: ${describeConnectError(response.data)}`);
    const status = response.data;
    return {
        name,
        state: status.connector.state,
        trace: status.connector.trace,
        tasks: status.tasks.map((t: any) => ({ id: t.id, state: t.state, trace: t.trace, worker: t.worker_id })),
    };
}

/**
 * Whether the source connector's initial snapshot is still running, from its committed offset
 * (`GET /connectors/<name>/offsets`): Debezium's PostgreSQL offset carries `snapshot: true` while it
 * reads the tables and `last_snapshot_record: true` on the snapshot's last record; streaming offsets
 * carry neither. Undefined when the connector has no offset yet or Connect does not answer the API.
 */
export async function readInitialSnapshotRunning(connectUrl: string, source: string, deadlineMs: number): Promise<boolean | undefined> {
    const response = await connectRequest(connectUrl, "GET", `/connectors/${encodeURIComponent(source)}/offsets`, undefined, { deadlineMs, initialDelayMs: 200, maxDelayMs: 2000 });
    if (response.status !== 200) return undefined;
    const offsets: { offset?: Record<string, unknown> }[] = response.data?.offsets ?? [];
    if (offsets.length === 0) return undefined;
    return offsets.some((o) => isSnapshotting(o.offset));
}

/** A Debezium PostgreSQL offset taken while the initial snapshot reads the tables. */
export function isSnapshotting(offset: Record<string, unknown> | undefined): boolean {
    return String(offset?.snapshot) === "true" && String(offset?.last_snapshot_record) !== "true";
}

/** Sink connectors consume as the group `connect-<connector name>` (Kafka Connect's default). */
export function sinkConsumerGroup(sinkConnector: string): string {
    return `connect-${sinkConnector}`;
}

/**
 * End offsets of the topics, the sink's lag (end offset minus the sink group's committed offset;
 * a partition it never committed counts from the start), and the dead-letter count (records between
 * the DLQ's low and high watermarks).
 */
export async function readTopicOffsets(
    kafkaAccess: KafkaAccess,
    topics: string[],
    deadLetterTopic: string,
    sinkConnector: string,
    /** Where sink tasks stopped out of range (sinkTaskStopPositions): a gap there counts though the group committed nothing. */
    stopPositions: SinkStopPosition[] = [],
): Promise<Pick<PipelineHealthReport, "topics" | "sinkLag" | "deadLetters" | "dataGaps">> {
    const kafka = kafkaClient(kafkaAccess, "pg-adx-cdc-status", { connectionTimeout: 5000, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
        const existing: string[] = await admin.listTopics();
        const present = topics.filter((t) => existing.includes(t));
        const ends = new Map<string, { partition: number; high: number; low: number }[]>();
        for (const topic of [...present, ...(existing.includes(deadLetterTopic) ? [deadLetterTopic] : [])]) {
            ends.set(
                topic,
                (await admin.fetchTopicOffsets(topic)).map((p: any) => ({ partition: p.partition, high: Number(p.high), low: Number(p.low) })),
            );
        }
        const group = sinkConsumerGroup(sinkConnector);
        const committed = present.length ? await admin.fetchOffsets({ groupId: group, topics: present }) : [];
        const perTopic = present.map((topic) => {
            const commits = new Map<number, number>((committed.find((c: any) => c.topic === topic)?.partitions ?? []).map((p: any) => [p.partition, Number(p.offset)]));
            const records = ends.get(topic)!.reduce((acc, p) => {
                const at = commits.get(p.partition);
                return acc + p.high - (at === undefined || at < 0 ? p.low : at);
            }, 0);
            return { topic, records };
        });
        const dataGaps = present.flatMap((topic) => {
            const commits = new Map<number, number>((committed.find((c: any) => c.topic === topic)?.partitions ?? []).map((p: any) => [p.partition, Number(p.offset)]));
            return sinkOffsetGaps(topic, ends.get(topic)!, commits, stopPositions);
        });
        // The sink creates its dead-letter topic on start or on the first rejected record: absent means none.
        const dlq = ends.get(deadLetterTopic);
        return {
            topics: topics.map((topic) => ({ topic, endOffset: (ends.get(topic) ?? []).reduce((acc, p) => acc + p.high, 0) })),
            sinkLag: { group, records: perTopic.reduce((acc, t) => acc + t.records, 0), perTopic },
            deadLetters: { topic: deadLetterTopic, count: dlq ? dlq.reduce((acc, p) => acc + p.high - p.low, 0) : 0, exists: dlq !== undefined },
            dataGaps,
        };
    } finally {
        await admin.disconnect();
    }
}

export interface SinkStopPosition {
    topic: string;
    partition: number;
    offset: number;
}

/**
 * Pure: where the sink's failed tasks stopped because their position is outside what the topic holds,
 * from Kafka's OffsetOutOfRangeException in their traces ("Fetch position FetchPosition{offset=362, ...}
 * is out of range for partition t-0").
 */
export function sinkTaskStopPositions(tasks: { state: string; trace?: string }[]): SinkStopPosition[] {
    return tasks.flatMap((t) => {
        if (t.state !== "FAILED" || !t.trace) return [];
        const m = /FetchPosition\{offset=(\d+)[\s\S]*?is out of range for partition ([A-Za-z0-9._-]+)-(\d+)/.exec(t.trace);
        return m ? [{ topic: m[2], partition: Number(m[3]), offset: Number(m[1]) }] : [];
    });
}

/**
 * Pure: the partitions whose committed offset (offset 0 when never committed; where a task stopped when
 * the group holds none and `stopPositions` names it) lies outside what the
 * topic holds: below its first offset (retention deleted records the sink never read) or past its end
 * (the topic was re-created). `committed` maps partition → committed offset (negative: none).
 */
export function sinkOffsetGaps(
    topic: string,
    partitions: { partition: number; low: number; high: number }[],
    committed: Map<number, number>,
    stopPositions: SinkStopPosition[] = [],
): NonNullable<PipelineHealthReport["dataGaps"]> {
    return partitions.flatMap((p): NonNullable<PipelineHealthReport["dataGaps"]> => {
        const at = committed.get(p.partition);
        // Where the group holds no offset (a deleted topic takes its offsets with it), a task stopped out of
        // range still knows where it was: the gap counts from there.
        const stop = at === undefined || at < 0 ? stopPositions.find((s) => s.topic === topic && s.partition === p.partition) : undefined;
        const from = stop ? stop.offset : at === undefined || at < 0 ? 0 : at;
        const where = stop ? { at: "task" as const } : {};
        if (from < p.low) return [{ topic, partition: p.partition, from, to: p.low - 1, kind: "retention", firstOffset: p.low, ...where }];
        if (from > p.high) return [{ topic, partition: p.partition, from, to: p.high, kind: "pastEnd", firstOffset: p.low, ...where }];
        return [];
    });
}

/** A worker's watchdog report; empty lists from a worker without the extension (HTTP 404, an older image). */
export async function readWatchdog(url: string): Promise<{
    restarts: WatchdogRestart[];
    firstOffsets: NonNullable<PipelineHealthReport["watchdogFirstOffsets"]>;
    resumed: NonNullable<PipelineHealthReport["watchdogResumed"]>;
}> {
    const headers = connectAuthorizationHeaders();
    const response = await fetch(`${url}/pg-adx-cdc/watchdog`, { signal: AbortSignal.timeout(5000), headers });
    if (response.status === 401) throw new Error(connectUnauthorizedMessage(url, "Authorization" in headers));
    if (response.status === 404) return { restarts: [], firstOffsets: [], resumed: [] };
    if (!response.ok) throw new Error(`the watchdog at ${url} answered HTTP ${response.status}`);
    const body: any = await response.json();
    const firstOffsets = (body.seeded ?? []).map((e: any) => ({
        worker: String(body.worker),
        connector: String(e.connector),
        partitions: (e.partitions ?? []).map(String),
        at: String(e.at),
    }));
    const restarts = (body.restarts ?? []).map((r: any) => ({
        worker: String(body.worker),
        connector: String(r.connector),
        task: r.task ?? undefined,
        attempts: Number(r.attempts),
        maxRestarts: Number(body.maxRestarts),
        lastRestart: r.lastRestart ?? undefined,
        nextAttempt: r.nextAttempt ?? undefined,
        gaveUp: r.gaveUp === true,
        lastTrace: r.lastTrace ?? undefined,
        reason: r.reason ?? undefined,
    }));
    const resumed = (body.resumedAfterSeeding ?? []).map((e: any) => ({
        worker: String(body.worker),
        connector: String(e.connector),
        stoppedBy: String(e.stoppedBy),
        stoppedAt: String(e.stoppedAt),
        resumedAt: String(e.resumedAt),
    }));
    return { restarts, firstOffsets, resumed };
}

/** Whether a worker's REST API answers (GET / gives its version) within a few seconds. */
async function probeWorker(url: string): Promise<{ url: string; up: boolean; error?: string }> {
    try {
        const headers = connectAuthorizationHeaders();
        const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(5000), headers });
        if (response.status === 401) return { url, up: false, error: connectUnauthorizedMessage(url, "Authorization" in headers) };
        return response.ok ? { url, up: true } : { url, up: false, error: `HTTP ${response.status}` };
    } catch (error: any) {
        return { url, up: false, error: error?.cause?.code ?? error?.name ?? String(error) };
    }
}

/** Gathers the report; `sql` is an open connection to the source database, or the reason there is none. */
export async function collectPipelineHealth(
    outputs: OperationsOutputs,
    sql: SqlQueryable | { unavailable: string },
    options: { connectDeadlineMs?: number; /** false: skip ADX (no credential where status runs). */ adx?: boolean } = {},
): Promise<PipelineHealthReport> {
    const report: PipelineHealthReport = {
        connectors: [],
        topics: [],
        unreachable: [],
        ...(outputs.sinkIdentity ? { sinkIdentity: { ...outputs.sinkIdentity, checkedAt: new Date() } } : {}),
    };
    // Every worker of the group; connectors are read from the first that answers (any worker forwards to the leader).
    report.workers = await Promise.all((outputs.connectWorkerUrls ?? [outputs.connectRestUrl]).map((url) => probeWorker(url)));
    report.watchdog = [];
    for (const w of report.workers.filter((x) => x.up)) {
        try {
            const { restarts, firstOffsets, resumed } = await readWatchdog(w.url);
            report.watchdog.push(...restarts);
            (report.watchdogFirstOffsets ??= []).push(...firstOffsets);
            if (resumed.length) (report.watchdogResumed ??= []).push(...resumed);
        } catch (error: any) {
            report.unreachable.push(`watchdog: ${error.message}`);
        }
    }
    const connectUrl = report.workers.find((w) => w.up)?.url ?? outputs.connectRestUrl;
    for (const role of ["source", "sink"] as const) {
        try {
            report.connectors.push({ ...(await readConnectorHealth(connectUrl, outputs.connectors[role], options.connectDeadlineMs ?? 10_000)), role });
        } catch (error: any) {
            report.unreachable.push(`Kafka Connect: ${error.message}`);
            break;
        }
    }
    const source = report.connectors.find((c) => c.role === "source");
    if (source && source.state !== "MISSING") {
        try {
            report.initialSnapshotRunning = await readInitialSnapshotRunning(connectUrl, source.name, options.connectDeadlineMs ?? 10_000);
        } catch (error: any) {
            report.unreachable.push(`Kafka Connect offsets of ${source.name}: ${error.message}`);
        }
    }
    if ("unavailable" in sql) report.unreachable.push(`PostgreSQL: ${sql.unavailable}`);
    else {
        try {
            report.slot = await readSlotHealth(sql, outputs.postgres.slotName, outputs.postgres.walGuardLogTable);
            report.goneTables = await readGoneTables(sql, outputs);
            report.removedPartitions = await readRemovedPartitions(sql, outputs);
            report.inheritedTables = await readInheritedTables(
                sql,
                outputs.adx.tables.map((t) => t.sourceTable),
            );
            report.truncatedPartitions = await readTruncatedPartitions(sql, outputs);
            report.replicaIdentityGaps = await readReplicaIdentityGaps(
                sql,
                outputs.adx.tables.filter((t) => t.replicaIdentity !== "default").map((t) => t.sourceTable),
            );
            report.rowSecurityGaps = await readRowSecurityGaps(sql, outputs);
            if (outputs.postgres.publicationName)
                report.truncateTriggerGaps = await readTruncateTriggerGaps(
                    sql,
                    outputs.adx.tables.map((t) => t.sourceTable),
                    outputs.postgres.publicationName,
                );
            if (outputs.postgres.signalTable)
                report.incrementalSnapshots = await readIncrementalSnapshots(sql, outputs.postgres.signalTable, connectUrl, outputs.connectors.source);
        } catch (error: any) {
            report.unreachable.push(`PostgreSQL: ${error.message}`);
        }
    }
    try {
        Object.assign(
            report,
            await readTopicOffsets(
                { bootstrapServers: outputs.kafkaBootstrapServers, authentication: outputs.kafkaAuthentication },
                outputs.topics,
                outputs.deadLetterTopic,
                outputs.connectors.sink,
                sinkTaskStopPositions(report.connectors.find((c) => c.role === "sink")?.tasks ?? []),
            ),
        );
    } catch (error: any) {
        report.unreachable.push(`Kafka at ${outputs.kafkaBootstrapServers}: ${error.message}`);
    }
    if (options.adx !== false) {
        try {
            report.ingestionFailures = await readIngestionFailures(outputs.adx.queryUri, outputs.adx.database, Date.now() - 3_600_000);
            report.oversized = await readOversizedRows(outputs.adx.queryUri, outputs.adx.database, outputs.adx.tables);
            report.reusedPositions = await readReusedKafkaPositions(outputs.adx.queryUri, outputs.adx.database, outputs.adx.tables);
            report.reconciles = await readLastReconciles(outputs.adx.queryUri, outputs.adx.database, outputs.connectors.source);
            report.heartbeat = await readHeartbeat(outputs.adx.queryUri, outputs.adx.database, outputs.adx.heartbeat);
        } catch (error: any) {
            report.unreachable.push(`ADX at ${outputs.adx.queryUri}: ${error.message}`);
        }
        try {
            report.waitingFences = await readWaitingFences(outputs.adx.queryUri, outputs.adx.database, outputs.adx.tables);
        } catch (error: any) {
            // A fence table from before re-reads were named lacks the column until pulumi up deploys this version's model.
            report.unreachable.push(`ADX fences at ${outputs.adx.queryUri}: ${error.message} (run pulumi up with this version of the stack if a column is missing)`);
        }
    }
    // outputs.topics lists the captured tables' topics in the order of outputs.adx.tables (index.ts).
    report.tables = outputs.adx.tables.map((t, i) => ({
        sourceTable: t.sourceTable,
        adxTable: t.rawTable,
        topic: outputs.topics[i],
        endOffset: report.topics.find((x) => x.topic === outputs.topics[i])?.endOffset,
        sinkLag: report.sinkLag?.perTopic.find((x) => x.topic === outputs.topics[i])?.records,
    }));
    return report;
}

/** Each table's latest recorded reconcile; undefined when none was ever recorded (the results table does not exist yet). */
export async function readLastReconciles(queryUri: string, database: string, stack: string): Promise<PipelineHealthReport["reconciles"]> {
    const token = await getKustoAccessToken(queryUri);
    let rows: Record<string, unknown>[];
    try {
        rows = rowsOf((await runKustoQuery(queryUri, database, lastReconcileQuery(stack), token))[0]);
    } catch {
        return undefined;
    }
    return rows.map((r) => ({
        table: String(r.source_table),
        at: String(r.at),
        verdict: String(r.verdict),
        differingKeys: Number(r.differing_keys),
        unsettled: Number(r.unsettled),
        coverage: Number(r.coverage),
    }));
}

/** Human-readable report, one line per fact, and the verdict. */
export function renderHealthReport(report: PipelineHealthReport, problems: string[]): string {
    const lines: string[] = [];
    if ((report.workers ?? []).length > 1) for (const w of report.workers!) lines.push(`worker     ${w.url}: ${w.up ? "up" : `DOWN (${w.error ?? "no answer"})`}`);
    for (const c of report.connectors)
        lines.push(`connector  ${c.name}: ${c.state}; tasks ${c.tasks.map((t) => `${t.id}:${t.state}${t.worker ? ` on ${t.worker}` : ""}`).join(", ") || "none"}`);
    for (const w of report.watchdog ?? [])
        lines.push(
            w.reason === "offset-out-of-range"
                ? `watchdog   ${w.connector}${w.task === undefined ? "" : ` task ${w.task}`} on ${w.worker}: left FAILED, its offset is outside the topic (a data gap; not restarted)`
                : `watchdog   ${w.connector}${w.task === undefined ? "" : ` task ${w.task}`} on ${w.worker}: restarted ${w.attempts} of at most ${w.maxRestarts} time(s)` +
                      `${w.lastRestart ? `, last at ${w.lastRestart}` : ""}${w.gaveUp ? ", gave up" : w.nextAttempt ? `, next restart if still failed at ${w.nextAttempt}` : ""}`,
        );
    const firstOffsets = report.watchdogFirstOffsets ?? [];
    if (firstOffsets.length) {
        const partitions = firstOffsets.flatMap((f) => f.partitions);
        const last = firstOffsets.map((f) => f.at).sort()[firstOffsets.length - 1];
        lines.push(
            `watchdog   gave ${partitions.length} new partition(s) offset 0, their first record (${partitions.slice(0, 5).join(", ")}${partitions.length > 5 ? ", ..." : ""}), last at ${last}`,
        );
    }
    for (const r of report.watchdogResumed ?? [])
        lines.push(
            `watchdog   resumed ${r.connector} at ${r.resumedAt}: the watchdog of ${r.stoppedBy} had stopped it at ${r.stoppedAt} to give first offsets, and its worker ended before resuming it`,
        );
    if (report.slot) {
        const s = report.slot;
        lines.push(
            s.exists
                ? `slot       ${s.name}: ${s.active ? "active" : "inactive"}, lag ${s.lagBytes === undefined ? "unknown" : `${s.lagBytes} bytes (${formatBytes(s.lagBytes)})`}, ` +
                      `WAL retained ${s.retainedBytes === undefined ? "unknown" : formatBytes(s.retainedBytes)}, safe_wal_size ${s.safeWalBytes === undefined ? "unlimited" : formatBytes(s.safeWalBytes)}, ` +
                      `wal_status ${s.walStatus ?? "n/a"}${s.oldestTransactionSeconds === undefined ? "" : `, oldest transaction ${s.oldestTransactionSeconds} s`}`
                : `slot       ${s.name}: missing`,
        );
        if (s.sessionsHiddenFrom)
            lines.push(
                `slot       oldest transaction unknown: ${s.sessionsHiddenFrom} cannot see other roles' sessions; as the admin, GRANT pg_monitor TO ${s.sessionsHiddenFrom}`,
            );
        if (s.guardDrop)
            lines.push(
                `walGuard   dropped the slot ${s.guardDrop.drops} time(s); last at ${s.guardDrop.at.toISOString()} ` +
                    (s.guardDrop.invalidated
                        ? `(invalidated by PostgreSQL: ${s.guardDrop.invalidated})`
                        : `(${formatBytes(s.guardDrop.retainedBytes)} retained, limit ${formatBytes(s.guardDrop.limitBytes)})`),
            );
    }
    for (const t of report.tables ?? report.topics.map((x) => ({ sourceTable: x.topic, adxTable: "?", topic: x.topic, endOffset: x.endOffset, sinkLag: undefined }))) {
        lines.push(`table      ${t.sourceTable} → ${t.adxTable}: topic ${t.topic} end offset ${t.endOffset ?? "unknown"}, sink behind ${t.sinkLag ?? "unknown"} records`);
    }
    const failures = report.ingestionFailures;
    const snapshots = report.incrementalSnapshots;
    for (const signal of snapshots?.signals ?? []) {
        const running = snapshots!.inProgress === undefined ? "state unknown" : signal.tables.some((t) => snapshots!.inProgress!.includes(t)) ? "reading" : "done";
        lines.push(`snapshot   incremental ${signal.tables.join(", ")} (${signal.id}): ${running}; ${snapshots!.chunksRead} chunk(s) read by all incremental snapshots`);
    }
    if (report.sinkLag) lines.push(`sink lag   ${report.sinkLag.group}: ${report.sinkLag.records} records`);
    if (failures) lines.push(`adx        ingestion failures in the last hour: ${failures.queued} queued, ${failures.streaming} streaming`);
    for (const r of report.reconciles ?? [])
        lines.push(
            `reconcile  ${r.table}: ${r.verdict.toUpperCase()}${r.verdict === "drift" ? `, ${r.differingKeys} keys differ` : ""} at ${r.at} (${Math.round(r.coverage * 100)}% of keys${r.unsettled ? `, ${r.unsettled} in flight` : ""})`,
        );
    for (const w of report.waitingFences ?? [])
        lines.push(
            `fence      ${w.table}: a fence committed ${w.since ?? "at an unknown time"} waits for its re-read (${w.rereads.join(", ")}) to end; until then it hides nothing and the rows stay shown`,
        );
    for (const o of report.oversized ?? [])
        lines.push(`oversized  ${o.table}: ${o.rows} row(s) arrived with values replaced by markers (${o.examples.join("; ")}); the values are in PostgreSQL`);
    if (report.heartbeat)
        lines.push(
            `heartbeat  newest in ADX committed ${report.heartbeat.lastCommit ?? "never"}${heartbeatAgeSeconds(report) === undefined ? "" : ` (${heartbeatAgeSeconds(report)} s ago)`}` +
                (report.initialSnapshotRunning ? "; the initial snapshot is still reading the tables, and Debezium commits no heartbeat until it ends" : ""),
        );
    if (report.sinkIdentity)
        lines.push(
            `identity   the sink authenticates as ${report.sinkIdentity.kind === "managedIdentity" ? "the managed identity" : "the application"} ${report.sinkIdentity.clientId}` +
                (report.sinkIdentity.clientSecretExpiresAt
                    ? `; its client secret expires ${report.sinkIdentity.clientSecretExpiresAt}`
                    : report.sinkIdentity.kind === "managedIdentity"
                      ? " (no secret)"
                      : ""),
        );
    if (report.deadLetters) lines.push(`dead letters ${report.deadLetters.topic}: ${report.deadLetters.count}${report.deadLetters.exists ? "" : " (topic not created yet)"}`);
    lines.push(problems.length === 0 ? "HEALTHY" : `UNHEALTHY:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return lines.join("\n");
}
