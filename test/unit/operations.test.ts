// The operator commands' pure parts: the health verdict, the stack-output contract, the ADX query,
// and verify's clean-up when the pipeline does not deliver.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    evaluatePipelineHealth,
    formatBytes,
    isSnapshotting,
    PipelineHealthReport,
    renderHealthReport,
    sinkOffsetGaps,
    sinkTaskStopPositions,
} from "../../operations/pipelineHealth";
import { DEFAULT_THRESHOLDS } from "../../contract/healthThresholds";
import { OperationsOutputs, parseOperationsOutputs } from "../../contract/stackOutputs";
import { readOperationsOutputs, resolveKafkaPassword } from "../../operations/stackSelection";
import { eventHubsOperatorAuthentication } from "../../connectors/workerSettings";
import { brokerHostOperatorAuthentication } from "../../components/kafkaBrokerSettings";
import { kafkaClientConfig } from "../../runtime/kafkaClient";
import { buildCurrentRowQuery } from "../../operations/kustoCurrentStateProbe";
import { verifyPipeline } from "../../operations/verifyPipeline";

const healthy = (): PipelineHealthReport => ({
    connectors: [
        { name: "cdc-postgres-source", role: "source", state: "RUNNING", tasks: [{ id: 0, state: "RUNNING" }] },
        { name: "cdc-adx-sink", role: "sink", state: "RUNNING", tasks: [{ id: 0, state: "RUNNING" }] },
    ],
    slot: { name: "debezium_cdc", exists: true, active: true, lagBytes: 56, walStatus: "reserved" },
    topics: [{ topic: "cdc.retail.orders_info", endOffset: 120 }],
    sinkLag: { group: "connect-cdc-adx-sink", records: 3, perTopic: [{ topic: "cdc.retail.orders_info", records: 3 }] },
    deadLetters: { topic: "cdc.adx-sink.dlq", count: 0, exists: true },
    unreachable: [],
});

describe("status verdict", () => {
    it("a dead worker of a group is a problem (no redundancy left); a healthy group is not", () => {
        const group = (up: boolean[]) => ({ ...healthy(), workers: up.map((u, i) => ({ url: `http://127.0.0.1:${8083 + i}`, up: u, ...(u ? {} : { error: "ECONNREFUSED" }) })) });
        assert.deepEqual(evaluatePipelineHealth(group([true, true])), []);
        const problems = evaluatePipelineHealth(group([true, false]));
        assert.equal(problems.length, 1);
        assert.match(problems[0], /^Connect worker http:\/\/127\.0\.0\.1:8084 is down \(ECONNREFUSED\): the group runs without it, so one more loss stops capture/);
        assert.match(renderHealthReport(group([true, false]), problems), /worker     http:\/\/127\.0\.0\.1:8084: DOWN \(ECONNREFUSED\)/);
    });
    it("the sink's client secret is reported from 30 days before it expires, with the rotation; a managed identity has no secret to expire", () => {
        const at = (daysLeft: number) => ({
            ...healthy(),
            sinkIdentity: {
                kind: "clientSecret" as const,
                clientId: "c",
                clientSecretExpiresAt: new Date(Date.UTC(2027, 0, 31) + daysLeft * 86_400_000).toISOString(),
                checkedAt: new Date(Date.UTC(2027, 0, 31)),
            },
        });
        assert.deepEqual(evaluatePipelineHealth(at(31)), []);
        const soon = evaluatePipelineHealth(at(10));
        assert.equal(soon.length, 1);
        assert.match(
            soon[0],
            /^the Kusto sink's client secret expires in 10 day\(s\) \(2027-02-10T00:00:00\.000Z\): set a new pg-adx-cdc:sinkSecretRotation value and run pulumi up/,
        );
        assert.match(evaluatePipelineHealth(at(-1))[0], /client secret expired/);
        assert.match(renderHealthReport(at(31), []), /identity   the sink authenticates as the application c; its client secret expires 2027-03-03/);
        const managed = { ...healthy(), sinkIdentity: { kind: "managedIdentity" as const, clientId: "m", checkedAt: new Date() } };
        assert.deepEqual(evaluatePipelineHealth(managed), []);
        assert.match(renderHealthReport(managed, []), /identity   the sink authenticates as the managed identity m \(no secret\)/);
    });

    it("a sink task failed on its managed identity names the identity and the fix; the same words in the source's trace do not", () => {
        const trace = "com.azure.identity.CredentialUnavailableException: ManagedIdentityCredential authentication unavailable. identity not found";
        const failed = (role: "source" | "sink") => {
            const report = healthy();
            const c = report.connectors.find((x) => x.role === role)!;
            c.tasks = [{ id: 0, state: "FAILED", trace }];
            // The order status lists them in is not what decides which is the sink.
            report.connectors.reverse();
            return { ...report, sinkIdentity: { kind: "managedIdentity" as const, clientId: "m-1", managedIdentityResourceId: "/subscriptions/s/id/sink", checkedAt: new Date() } };
        };
        assert.ok(
            evaluatePipelineHealth(failed("sink")).some((p) =>
                /^the sink could not get a token as the managed identity m-1: attach it to the Docker host VM \(az vm identity assign .* --identities \/subscriptions\/s\/id\/sink\)/.test(
                    p,
                ),
            ),
        );
        assert.ok(!evaluatePipelineHealth(failed("source")).some((p) => p.includes("could not get a token")));
    });

    it("ADX's newest heartbeat older than the threshold (or none) means changes stopped reaching ADX, whatever the connectors say", () => {
        const checkedAt = new Date(Date.UTC(2027, 0, 31, 12, 0, 0));
        const at = (lastCommit?: string) => ({ ...healthy(), heartbeat: { ...(lastCommit ? { lastCommit } : {}), checkedAt } });
        assert.deepEqual(evaluatePipelineHealth(at("2027-01-31T11:59:50.1234567Z")), []);
        assert.match(renderHealthReport(at("2027-01-31T11:59:50.1234567Z"), []), /heartbeat  newest in ADX committed 2027-01-31T11:59:50\.1234567Z \(10 s ago\)/);
        const stale = evaluatePipelineHealth(at("2027-01-31T11:50:00.0000000Z"));
        assert.equal(stale.length, 1);
        assert.match(stale[0], /^ADX's newest heartbeat was committed 600 s ago \(more than 300 s; one is committed every 10 s\): changes are not reaching ADX/);
        assert.match(evaluatePipelineHealth(at())[0], /^ADX holds no heartbeat yet: changes are not reaching ADX/);
        const managed = { ...at("2027-01-31T11:50:00Z"), sinkIdentity: { kind: "managedIdentity" as const, clientId: "m", checkedAt } };
        assert.match(evaluatePipelineHealth(managed)[0], /the Connect host must hold the identity m: attach it to the Docker host VM \(az vm identity assign/);
        assert.deepEqual(evaluatePipelineHealth(at("2027-01-31T11:50:00Z"), { ...DEFAULT_THRESHOLDS, maxHeartbeatAgeSeconds: 900 }), []);
    });

    it("during the initial snapshot an old heartbeat is not a problem (Debezium commits none until streaming), and status says why", () => {
        const checkedAt = new Date(Date.UTC(2027, 0, 31, 12, 0, 0));
        const loading = { ...healthy(), heartbeat: { lastCommit: "2027-01-31T10:00:00.0000000Z", checkedAt }, initialSnapshotRunning: true };
        assert.deepEqual(evaluatePipelineHealth(loading), []);
        assert.match(
            renderHealthReport(loading, []),
            /heartbeat  newest in ADX committed 2027-01-31T10:00:00\.0000000Z \(7200 s ago\); the initial snapshot is still reading the tables/,
        );
        assert.match(evaluatePipelineHealth({ ...loading, initialSnapshotRunning: false })[0], /^ADX's newest heartbeat was committed 7200 s ago/);
        // Debezium's PostgreSQL offsets: while reading, on the snapshot's last record, and streaming.
        assert.equal(isSnapshotting({ lsn: 24023128, txId: 555, ts_usec: 1, snapshot: true, last_snapshot_record: false }), true);
        assert.equal(isSnapshotting({ lsn: 24023128, txId: 555, ts_usec: 1, snapshot: true, last_snapshot_record: true }), false);
        assert.equal(isSnapshotting({ lsn: 24023400, txId: 556, ts_usec: 2, lsn_proc: 24023400, lsn_commit: 24023400 }), false);
        assert.equal(isSnapshotting(undefined), false);
    });

    it("a running pipeline with a small lag and no dead letters is healthy", () => {
        assert.deepEqual(evaluatePipelineHealth(healthy()), []);
        assert.match(
            renderHealthReport(healthy(), []),
            /slot {7}debezium_cdc: active, lag 56 bytes \(56 B\), WAL retained unknown, safe_wal_size unlimited, wal_status reserved\n.*\nsink lag {3}connect-cdc-adx-sink: 3 records\n.*\nHEALTHY$/,
        );
    });

    it("names every problem: a failed task with its trace, a missing connector, a lost slot, WAL held, dead letters, something unreachable", () => {
        const report = healthy();
        report.connectors[0].tasks[0] = { id: 0, state: "FAILED", trace: "org.apache.kafka.connect.errors.ConnectException: boom\n\tat x" };
        report.connectors[1] = { name: "cdc-adx-sink", state: "MISSING", tasks: [] };
        report.slot = { name: "debezium_cdc", exists: true, active: false, lagBytes: 2 * 1024 ** 3, retainedBytes: 3 * 1024 ** 3, walStatus: "lost" };
        report.deadLetters = { topic: "cdc.adx-sink.dlq", count: 7, exists: true };
        report.sinkLag = { group: "connect-cdc-adx-sink", records: 250_000, perTopic: [{ topic: "cdc.retail.orders_info", records: 250_000 }] };
        report.unreachable.push("Kafka at 127.0.0.1:9092: Connection error: connect ECONNREFUSED");
        assert.deepEqual(evaluatePipelineHealth(report), [
            "Kafka at 127.0.0.1:9092: Connection error: connect ECONNREFUSED",
            "connector cdc-postgres-source task 0 is FAILED: org.apache.kafka.connect.errors.ConnectException: boom",
            "connector cdc-adx-sink is not registered on Connect (run pulumi up)",
            "replication slot debezium_cdc was invalidated by PostgreSQL (wal_status lost: it retained more WAL than max_slot_wal_keep_size), so Debezium cannot stream from it. " +
                "The WAL guard drops it at its next run (every minute) and the source connector then re-reads every captured table; without the guard, " +
                "SELECT pg_drop_replication_slot('debezium_cdc') does the same",
            "replication slot debezium_cdc holds 3.0 GiB of WAL, more than 256.0 MiB and no consumer is attached; an Azure server's storage fills and it turns read-only at 95%: see that the source connector runs (pg-adx-cdc status, restart it), or drop the slot and re-sync",
            "the sink is 250000 records behind the topics (more than 100000); ADX is falling behind",
            "7 record(s) in the sink's dead-letter topic cdc.adx-sink.dlq: Connect could not hand them to the sink (inspect with a consumer on that topic; the failure is in each record's headers)",
        ]);
        assert.deepEqual(
            evaluatePipelineHealth(report, { maxSlotLagBytes: 4 * 1024 ** 3, maxDeadLetters: 10, maxSinkLagRecords: 1_000_000, minSafeWalBytes: 0, maxHeartbeatAgeSeconds: 300 })
                .length,
            4,
            "thresholds are the operator's",
        );
    });

    it("WAL kept for the slot (restart_lsn) counts, not only the consumer's lag; a slot near max_slot_wal_keep_size is a problem", () => {
        const report = healthy();
        report.slot = {
            name: "debezium_cdc",
            exists: true,
            active: true,
            lagBytes: 1024,
            retainedBytes: 300 * 1024 ** 2,
            safeWalBytes: 200 * 1024 ** 2,
            walStatus: "extended",
            oldestTransactionSeconds: 4000,
        };
        const problems = evaluatePipelineHealth(report);
        assert.match(problems[0], /^replication slot debezium_cdc holds 300\.0 MiB of WAL, more than 256\.0 MiB; an Azure server's storage fills/);
        assert.match(problems[1], /^replication slot debezium_cdc is 200\.0 MiB from losing its WAL \(max_slot_wal_keep_size\)/);
        assert.match(renderHealthReport(report, problems), /WAL retained 300\.0 MiB, safe_wal_size 200\.0 MiB, wal_status extended, oldest transaction 4000 s/);
    });

    it("an operator role without pg_monitor: the oldest transaction is unknown, said with the grant that fixes it, never shown as none", () => {
        const report = healthy();
        report.slot = { name: "debezium_cdc", exists: true, active: true, lagBytes: 0, retainedBytes: 0, walStatus: "reserved", sessionsHiddenFrom: "cdc_operator" };
        const text = renderHealthReport(report, evaluatePipelineHealth(report));
        assert.doesNotMatch(text, /oldest transaction \d/);
        assert.match(text, /^slot {7}oldest transaction unknown: cdc_operator cannot see other roles' sessions; as the admin, GRANT pg_monitor TO cdc_operator$/m);
    });

    it("offsets retention deleted before the sink read them are a DATA GAP naming the table and the repair", () => {
        const report = {
            ...healthy(),
            tables: [{ sourceTable: "retail.orders_info", adxTable: "retail_orders_info_changes", topic: "cdc.retail.orders_info" }],
            dataGaps: [{ topic: "cdc.retail.orders_info", partition: 0, from: 120, to: 4999 }],
        };
        assert.deepEqual(evaluatePipelineHealth(report), [
            "DATA GAP: cdc.retail.orders_info partition 0 lost offsets 120-4999 to retention before the sink read them; ADX lacks those changes. The sink stops at the gap (it never skips by itself). " +
                "Repair: pg-adx-cdc snapshot --table retail.orders_info (moves the sink past the gap and reads the table again; a row deleted in the gap stays in ADX, " +
                "which pg-adx-cdc reconcile --table retail.orders_info --repair finds and removes), and keep the sink running within the topic's retention",
        ]);
    });

    it("a committed offset outside what the topic holds is a gap: below its start (retention) or past its end (re-created); inside is none", () => {
        const parts = [
            { partition: 0, low: 0, high: 100 },
            { partition: 1, low: 50, high: 100 },
            { partition: 2, low: 0, high: 10 },
            { partition: 3, low: 50, high: 100 },
            { partition: 4, low: 0, high: 0 },
        ];
        const committed = new Map([
            [0, 100],
            [1, 20],
            [2, 500],
            [3, -1],
        ]);
        assert.deepEqual(sinkOffsetGaps("t", parts, committed), [
            { topic: "t", partition: 1, from: 20, to: 49, kind: "retention", firstOffset: 50 },
            { topic: "t", partition: 2, from: 500, to: 10, kind: "pastEnd", firstOffset: 0 },
            { topic: "t", partition: 3, from: 0, to: 49, kind: "retention", firstOffset: 50 },
        ]);
        const problems = evaluatePipelineHealth({
            ...healthy(),
            tables: [{ sourceTable: "retail.orders_info", adxTable: "retail_orders_info_changes", topic: "t" }],
            dataGaps: sinkOffsetGaps("t", parts, committed).filter((g) => g.kind === "pastEnd"),
        });
        assert.equal(problems.length, 1);
        assert.match(
            problems[0],
            /^TOPIC RE-CREATED: t partition 2: the sink's committed offset 500 is past the topic's end \(10\).*Repair: pg-adx-cdc snapshot --table retail\.orders_info \(.*\), then pg-adx-cdc reconcile --table retail\.orders_info --repair/,
        );
    });

    it("Kafka positions holding two changes in ADX: a re-created topic, named until a recorded reconcile finds the table equal; ORDER BROKEN only where changes from before the emission stamp share them", () => {
        const reused = { table: "retail.orders_info", positions: 12, newest: "2026-12-05T10:00:00.0000000Z", unstamped: false, repair: "in ADX .clear ..., then ..." };
        const [recreated] = evaluatePipelineHealth({ ...healthy(), reusedPositions: [reused] });
        assert.match(
            recreated,
            /^TOPIC RE-CREATED: retail\.orders_info: 12 Kafka position\(s\) hold two different changes in ADX \(the newest committed 2026-12-05T10:00:00\.0000000Z\): .*still orders each key's changes as they were emitted.*Repair: pg-adx-cdc snapshot --table retail\.orders_info .*reconcile --table retail\.orders_info --repair/,
        );
        const reconciled = (at: string, verdict: string) => [{ table: "retail.orders_info", at, verdict, differingKeys: 0, unsettled: 0, coverage: 1 }];
        assert.deepEqual(evaluatePipelineHealth({ ...healthy(), reusedPositions: [reused], reconciles: reconciled("2026-12-05T10:05:00Z", "equal") }), [], "proven equal since");
        assert.equal(evaluatePipelineHealth({ ...healthy(), reusedPositions: [reused], reconciles: reconciled("2026-12-05T09:55:00Z", "equal") }).length, 1, "proven before only");
        assert.equal(evaluatePipelineHealth({ ...healthy(), reusedPositions: [reused], reconciles: reconciled("2026-12-05T10:05:00Z", "unsettled") }).length, 1);
        const [broken] = evaluatePipelineHealth({ ...healthy(), reusedPositions: [{ ...reused, unstamped: true }], reconciles: reconciled("2026-12-05T10:05:00Z", "equal") });
        assert.match(broken, /^ORDER BROKEN: retail\.orders_info: 12 Kafka position\(s\) .*from before the emission stamp.*Repair: in ADX \.clear \.\.\., then \.\.\.$/);
    });

    it("a task stopped out of range where the group holds no offset (its topic deleted with them) is the same gap, counted from where the task stopped", () => {
        const trace =
            "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\n" +
            "Caused by: org.apache.kafka.clients.consumer.OffsetOutOfRangeException: Fetch position FetchPosition{offset=362, offsetEpoch=Optional.empty, " +
            "currentLeader=LeaderAndEpoch{leader=Optional[127.0.0.1:44725 (id: 1 rack: null isFenced: false)], epoch=0}} is out of range for partition cdc.retail.orders_info-0";
        const stops = sinkTaskStopPositions([
            { state: "FAILED", trace },
            { state: "RUNNING", trace },
            { state: "FAILED", trace: "java.lang.IllegalStateException: something else" },
        ]);
        assert.deepEqual(stops, [{ topic: "cdc.retail.orders_info", partition: 0, offset: 362 }]);
        const parts = [{ partition: 0, low: 0, high: 10 }];
        assert.deepEqual(sinkOffsetGaps("cdc.retail.orders_info", parts, new Map(), stops), [
            { topic: "cdc.retail.orders_info", partition: 0, from: 362, to: 10, kind: "pastEnd", firstOffset: 0, at: "task" },
        ]);
        // A committed offset, where there is one, is what the sink resumes from: it decides.
        assert.deepEqual(sinkOffsetGaps("cdc.retail.orders_info", parts, new Map([[0, 5]]), stops), []);
        const problems = evaluatePipelineHealth({
            ...healthy(),
            tables: [{ sourceTable: "retail.orders_info", adxTable: "retail_orders_info_changes", topic: "cdc.retail.orders_info" }],
            dataGaps: sinkOffsetGaps("cdc.retail.orders_info", parts, new Map(), stops),
        });
        assert.match(
            problems[0],
            /^TOPIC RE-CREATED: cdc\.retail\.orders_info partition 0: the sink's position \(where its task stopped; the group kept no offset\) 362 is past the topic's end \(10\)/,
        );
    });

    it("the first offsets the watchdog gave new topics are shown, and are no problem", () => {
        const report = {
            ...healthy(),
            watchdogFirstOffsets: [
                { worker: "w:8083", connector: "cdc-adx-sink", partitions: ["cdc.retail.orders_info-0", "cdc.cdc_meta.heartbeat_cdc-0"], at: "2026-12-03T12:00:00Z" },
                { worker: "w:8083", connector: "cdc-adx-sink", partitions: ["cdc.shop.returns-0"], at: "2026-12-03T12:05:00Z" },
            ],
        };
        assert.deepEqual(evaluatePipelineHealth(report), []);
        assert.match(
            renderHealthReport(report, []),
            /watchdog {3}gave 3 new partition\(s\) offset 0, their first record \(cdc\.retail\.orders_info-0, cdc\.cdc_meta\.heartbeat_cdc-0, cdc\.shop\.returns-0\), last at 2026-12-03T12:05:00Z/,
        );
    });

    it("a STOPPED sink is a problem that says who resumes it; a sink the watchdog resumed after a seeding's worker ended is shown", () => {
        const stopped = healthy();
        stopped.connectors[1] = { name: "cdc-adx-sink", role: "sink", state: "STOPPED", tasks: [] };
        const problems = evaluatePipelineHealth(stopped);
        assert.match(
            problems[0],
            /^connector cdc-adx-sink is STOPPED: if a worker's watchdog stopped it to give new partitions their first offsets and that worker ended, a watchdog resumes it within 4 minutes; otherwise someone stopped it: PUT \/connectors\/cdc-adx-sink\/resume/,
        );
        const report = {
            ...healthy(),
            watchdogResumed: [{ worker: "w:8083", connector: "cdc-adx-sink", stoppedBy: "w:8083", stoppedAt: "2026-12-05T12:00:00Z", resumedAt: "2026-12-05T12:00:40Z" }],
        };
        assert.deepEqual(evaluatePipelineHealth(report), []);
        assert.match(
            renderHealthReport(report, []),
            /^watchdog {3}resumed cdc-adx-sink at 2026-12-05T12:00:40Z: the watchdog of w:8083 had stopped it at 2026-12-05T12:00:00Z to give first offsets, and its worker ended before resuming it$/m,
        );
    });

    it("a sink task stopped at a gap is reported as such, not as a restart the watchdog gave up on", () => {
        const report = {
            ...healthy(),
            watchdog: [
                {
                    worker: "w:8083",
                    connector: "cdc-adx-sink",
                    task: 0,
                    attempts: 0,
                    maxRestarts: 10,
                    gaveUp: true,
                    reason: "offset-out-of-range",
                    lastTrace: "OffsetOutOfRangeException: Fetch position ...",
                },
            ],
        };
        const problems = evaluatePipelineHealth(report);
        assert.deepEqual(problems, [
            "connector cdc-adx-sink task 0 on w:8083 stopped at an offset the topic no longer holds (OffsetOutOfRangeException: Fetch position ...); it never skips by itself and the watchdog does not restart it: " +
                "the DATA GAP or TOPIC RE-CREATED line names the table and the repair",
        ]);
        assert.match(renderHealthReport(report, problems), /watchdog {3}cdc-adx-sink task 0 on w:8083: left FAILED, its offset is outside the topic/);
    });

    it("a partition detached or dropped since the last pulumi up is a problem naming the table, the partitions and the repair", () => {
        const problems = evaluatePipelineHealth({
            connectors: [],
            topics: [],
            unreachable: [],
            removedPartitions: [{ table: "app.events", partitions: ["app.events_2025_01", "app.events_2025_02"] }],
        }).join("\n");
        assert.match(problems, /PARTITION REMOVED: app\.events_2025_01, app\.events_2025_02 of app\.events detached or dropped since the last pulumi up/);
        assert.match(problems, /Repair: pulumi refresh, then pulumi up .*reconcile --table app\.events --repair/);
    });

    it("a partition truncated alone since the last pulumi up is a problem naming the table, the partitions, the time and the repair", () => {
        const problems = evaluatePipelineHealth({
            connectors: [],
            topics: [],
            unreachable: [],
            truncatedPartitions: [{ table: "app.events", partitions: ["app.events_2025_01"], lastAt: new Date("2026-12-01T10:00:00Z") }],
        }).join("\n");
        assert.match(problems, /PARTITION TRUNCATED: app\.events_2025_01 of app\.events truncated alone since the last pulumi up \(the newest at 2026-12-01T10:00:00\.000Z\)/);
        assert.match(problems, /still holds every row it held\. Repair: pulumi refresh, then pulumi up .*reconcile --table app\.events --repair/);
    });

    it("a partition without the stack's TRUNCATE trigger is a problem, named once when the REPLICA IDENTITY line already names it", () => {
        const problems = evaluatePipelineHealth({
            connectors: [],
            topics: [],
            unreachable: [],
            replicaIdentityGaps: [{ table: "app.events", relations: ["app.events_2027"] }],
            truncateTriggerGaps: [{ table: "app.events", relations: ["app.events_2027", "app.events_2020"] }],
        });
        const lines = problems.filter((p) => p.startsWith("TRUNCATE UNDETECTED"));
        assert.equal(lines.length, 1);
        assert.match(lines[0], /^TRUNCATE UNDETECTED: app\.events_2020 \(of captured table app\.events\) without the stack's TRUNCATE trigger: .*pulumi refresh, then pulumi up/);
        assert.match(
            problems.find((p) => p.startsWith("REPLICA IDENTITY"))!,
            /gives a partition the stack's TRUNCATE trigger/,
        );
        assert.deepEqual(
            evaluatePipelineHealth({
                connectors: [],
                topics: [],
                unreachable: [],
                truncateTriggerGaps: [{ table: "app.events", relations: ["app.events_2027"] }],
                replicaIdentityGaps: [{ table: "app.events", relations: ["app.events_2027"] }],
            }).filter((p) => p.startsWith("TRUNCATE")),
            [],
        );
    });

    it("a fence waiting for its re-read is shown while Debezium reads the table, and a problem once the re-read is over without an end", () => {
        const checkedAt = new Date("2026-12-05T12:00:00Z");
        const waiting = (sinceSeconds: number) => [
            { table: "app.orders", since: new Date(checkedAt.getTime() - sinceSeconds * 1000).toISOString(), rereads: ["replace-app.orders-1"], checkedAt },
        ];
        const snapshots = (inProgress?: string[]) => ({ signals: [{ id: "replace-app.orders-1", tables: ["app.orders"] }], chunksRead: 3, ...(inProgress ? { inProgress } : {}) });
        const problems = (sinceSeconds: number, inProgress?: string[]) =>
            evaluatePipelineHealth({ ...healthy(), waitingFences: waiting(sinceSeconds), incrementalSnapshots: snapshots(inProgress) }).filter((p) => p.startsWith("RE-READ"));
        // Still reading, or just over (its end may be on its way), or Debezium's offsets unreadable: no problem.
        assert.deepEqual(problems(3600, ["app.orders"]), []);
        assert.deepEqual(problems(60, []), []);
        assert.deepEqual(problems(3600, undefined), []);
        const [problem] = problems(3600, []);
        assert.match(problem, /^RE-READ WITHOUT END: ADX holds a fence for app\.orders \(committed 2026-12-05T11:00:00\.000Z, re-read replace-app\.orders-1\)/);
        assert.match(problem, /The fence hides nothing meanwhile.*Repair: pg-adx-cdc snapshot --table app\.orders --replace/);
        const report = { ...healthy(), waitingFences: waiting(60), incrementalSnapshots: snapshots(["app.orders"]) };
        assert.match(
            renderHealthReport(report, []),
            /fence {6}app\.orders: a fence committed 2026-12-05T11:59:00\.000Z waits for its re-read \(replace-app\.orders-1\) to end; until then it hides nothing/,
        );
    });

    it("rows that arrived with values replaced by markers are reported per table, without making the pipeline unhealthy", () => {
        const report = { ...healthy(), oversized: [{ table: "app.documents", rows: 2, examples: ["body:1572864"] }] };
        assert.deepEqual(evaluatePipelineHealth(report), []);
        assert.match(
            renderHealthReport(report, []),
            /oversized {2}app\.documents: 2 row\(s\) arrived with values replaced by markers \(body:1572864\); the values are in PostgreSQL/,
        );
    });

    it("queued ingestions ADX failed after accepting them are a problem that says what was lost and what to do", () => {
        const report = { ...healthy(), ingestionFailures: { queued: 2, streaming: 0, examples: ["retail_orders_info_changes: Mapping reference 'm' could not be found."] } };
        const [problem] = evaluatePipelineHealth(report);
        assert.match(problem, /^2 queued ingestion\(s\) failed inside ADX in the last hour \(retail_orders_info_changes: Mapping reference/);
        assert.match(problem, /their rows are not in ADX; fix the cause .* replay them from Kafka/);
        assert.match(renderHealthReport(report, [problem]), /adx {8}ingestion failures in the last hour: 2 queued, 0 streaming/);
        const refused = { ...healthy(), ingestionFailures: { queued: 0, streaming: 3, examples: ["t: BadRequest_MappingReferenceWasNotFound (streaming, 3×)"] } };
        assert.deepEqual(evaluatePipelineHealth(refused), [
            "ADX refused 3 streaming ingestion(s) in the last hour (t: BadRequest_MappingReferenceWasNotFound (streaming, 3×)): the sink retries them and commits nothing past them; fix the cause (pulumi up restores a dropped table or mapping), then restart-sink if its task failed",
        ]);
    });

    it("the watchdog's restarts are shown; one it gave up on is a problem that names the cause and the fix", () => {
        const restart = { worker: "10.0.0.4:8083", connector: "cdc-adx-sink", task: 1, attempts: 3, maxRestarts: 10, lastRestart: "2026-12-03T03:10:00Z", gaveUp: false };
        const retrying = { ...healthy(), watchdog: [{ ...restart, nextAttempt: "2026-12-03T03:12:00Z" }] };
        assert.deepEqual(evaluatePipelineHealth(retrying), []);
        assert.match(
            renderHealthReport(retrying, []),
            /watchdog {3}cdc-adx-sink task 1 on 10\.0\.0\.4:8083: restarted 3 of at most 10 time\(s\), last at 2026-12-03T03:10:00Z, next restart if still failed at 2026-12-03T03:12:00Z/,
        );
        const gaveUp = { ...healthy(), watchdog: [{ ...restart, attempts: 10, gaveUp: true, lastTrace: "org.apache.kafka.connect.errors.ConnectException: mapping not found" }] };
        assert.deepEqual(evaluatePipelineHealth(gaveUp), [
            "the watchdog restarted connector cdc-adx-sink task 1 10 times on 10.0.0.4:8083 and gave up: a restart does not fix its cause (org.apache.kafka.connect.errors.ConnectException: mapping not found); " +
                "fix it, then pg-adx-cdc restart-sink (or POST /connectors/cdc-adx-sink/restart?includeTasks=true&onlyFailed=true)",
        ]);
        assert.match(renderHealthReport(gaveUp, []), /restarted 10 of at most 10 time\(s\), last at 2026-12-03T03:10:00Z, gave up/);
    });

    it("a missing slot is a problem; sizes read as people read them", () => {
        assert.deepEqual(evaluatePipelineHealth({ ...healthy(), slot: { name: "debezium_cdc", exists: false } }), [
            "replication slot debezium_cdc does not exist (the source connector creates it; is it running?)",
        ]);
        assert.deepEqual([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 2)], ["512 B", "1.5 KiB", "5.0 MiB"]);
    });
});

describe("stack outputs", () => {
    const outputs = {
        connectRestUrl: "http://127.0.0.1:8083",
        connectors: { source: "cdc-postgres-source", sink: "cdc-adx-sink" },
        kafkaBootstrapServers: "127.0.0.1:9092",
        topics: ["cdc.retail.orders_info"],
        deadLetterTopic: "cdc.adx-sink.dlq",
        postgres: { host: "127.0.0.1", port: 5432, database: "retail", user: "cdcadmin", sslMode: "disable", slotName: "debezium_cdc" },
        adx: {
            queryUri: "https://kvc-x.kusto.windows.net",
            database: "cdc",
            tables: [
                {
                    sourceTable: "retail.orders_info",
                    rawTable: "retail_orders_info_changes",
                    functionName: "retail_orders_info_current",
                    view: "retail_orders_info_latest",
                    keys: ["orderid"],
                },
            ],
            heartbeat: {
                sourceTable: "cdc_meta.heartbeat_cdc",
                rawTable: "cdc_meta_heartbeat_cdc_changes",
                functionName: "cdc_meta_heartbeat_cdc_current",
                view: "cdc_meta_heartbeat_cdc_latest",
                keys: ["id"],
                freshnessFunction: "cdc_meta_heartbeat_cdc_freshness",
            },
        },
    };

    it("reads the operations output from `pulumi stack output --json` saved to a file", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ops-")), "outputs.json");
        fs.writeFileSync(file, JSON.stringify({ operations: outputs, adxQueryUri: "x" }));
        // Outputs of a stack deployed before recordColumn and the position columns existed read with their defaults.
        const read = readOperationsOutputs({ outputsFile: file });
        const defaults = {
            recordColumn: "record",
            partitionColumn: "kafka_partition",
            offsetColumn: "kafka_offset",
            stampColumn: "emission_stamp",
            sourceTsColumn: "source_ts",
            opColumn: "op",
            lsnColumn: "lsn",
            changeOrderColumn: "change_order",
        };
        assert.deepEqual(read, {
            ...outputs,
            adx: {
                ...outputs.adx,
                tables: outputs.adx.tables.map((t) => ({ ...t, ...defaults })),
                heartbeat: { ...outputs.adx.heartbeat, ...defaults, sourceTsColumn: "source_ts" },
            },
        });
    });

    it("a stack deployed before the operations output existed fails with the missing field named", () => {
        assert.throws(
            () => parseOperationsOutputs({ adxQueryUri: "https://x" }, "stack dev"),
            /^Error: stack dev has no "operations" output; it was deployed by an older version of the stack: run pulumi up with this one first$/,
        );
        const { postgres, ...rest } = outputs;
        assert.throws(() => parseOperationsOutputs({ ...rest, postgres: { ...postgres, slotName: undefined } }, "f"), /operations\.postgres\.slotName/);
    });

    it("the verify query reads one key of the current-state function and refuses anything but an integer key", () => {
        assert.equal(buildCurrentRowQuery({ functionName: "OrdersInfoCurrentState", key: "orderid" }, "42"), "OrdersInfoCurrentState() | where ['orderid'] == 42 | take 1");
        assert.throws(() => buildCurrentRowQuery({ functionName: "OrdersInfoCurrentState", key: "orderid" }, "42 | drop"), /not an integer/);
    });
    it("an Event Hubs stack's operations output carries the SASL settings, never the secret", () => {
        const parsed = parseOperationsOutputs({ operations: { ...outputs, kafkaAuthentication: eventHubsOperatorAuthentication() } }, "t");
        assert.deepEqual(parsed.kafkaAuthentication, {
            protocol: "SASL_SSL",
            mechanism: "PLAIN",
            username: "$ConnectionString",
            passwordEnvVar: "CDC_EVENTHUBS_CONNECTION_STRING",
            passwordOutput: "eventHubsConnectionString",
        });
    });
});

describe("verify", () => {
    it("writes its marker into the heartbeat table only; when it never shows up, it fails naming the phase, and deletes the marker", async () => {
        const statements: string[] = [];
        const sql = {
            async query(text: string) {
                statements.push(text.split(" (")[0].split(" WHERE")[0]);
                return { rows: [] };
            },
        };
        const probe = { description: "cdc_meta_heartbeat_cdc_current() in a test", findRow: async () => undefined };
        await assert.rejects(
            verifyPipeline(sql, probe, "cdc_meta.heartbeat_cdc", { timeoutMs: 300, pollIntervalMs: 50 }),
            /^Error: insert: heartbeat marker \d{7,10} not as expected in cdc_meta_heartbeat_cdc_current\(\) in a test after 0 s \(\d+ queries\); check npm run status$/,
        );
        assert.deepEqual(statements, ["INSERT INTO cdc_meta.heartbeat_cdc", "DELETE FROM cdc_meta.heartbeat_cdc"], "nothing is left behind, and no user table is touched");
        await assert.rejects(verifyPipeline(sql, probe, "x; drop table y", {}), /is not a "schema.table" name/);
    });
});

describe("Kafka access for operator commands", () => {
    it("with --stack and no password in the environment, reads it from the stack's secret output (as for PostgreSQL); a set variable wins; an Entra login needs none", () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        const calls = path.join(bin, "calls");
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$@" >> ${calls}\necho broker-password-from-state\n`, { mode: 0o755 });
        const saved = { PATH: process.env.PATH, CDC_KAFKA_PASSWORD: process.env.CDC_KAFKA_PASSWORD };
        process.env.PATH = `${bin}:${process.env.PATH}`;
        delete process.env.CDC_KAFKA_PASSWORD;
        try {
            const container = { kafkaAuthentication: brokerHostOperatorAuthentication() } as OperationsOutputs;
            resolveKafkaPassword({ outputsFile: "outputs.json" }, container);
            assert.equal(process.env.CDC_KAFKA_PASSWORD, undefined, "with --outputs only the variable counts");
            resolveKafkaPassword({ stack: "dev" }, container);
            assert.equal(process.env.CDC_KAFKA_PASSWORD, "broker-password-from-state");
            assert.equal(fs.readFileSync(calls, "utf8"), "stack output --show-secrets kafkaOperatorPassword --stack dev\n");
            process.env.CDC_KAFKA_PASSWORD = "exported";
            resolveKafkaPassword({ stack: "dev" }, container);
            resolveKafkaPassword({ stack: "prod" }, {
                kafkaAuthentication: eventHubsOperatorAuthentication("managedIdentity", "https://ns.servicebus.windows.net"),
            } as OperationsOutputs);
            assert.equal(process.env.CDC_KAFKA_PASSWORD, "exported");
            assert.equal(fs.readFileSync(calls, "utf8").split("\n").filter(Boolean).length, 1, "no further pulumi call");
        } finally {
            process.env.PATH = saved.PATH;
            if (saved.CDC_KAFKA_PASSWORD === undefined) delete process.env.CDC_KAFKA_PASSWORD;
            else process.env.CDC_KAFKA_PASSWORD = saved.CDC_KAFKA_PASSWORD;
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    const access = { bootstrapServers: "ns.servicebus.windows.net:9093", authentication: eventHubsOperatorAuthentication() };
    it("reaches the stack's broker's host listener with SASL PLAIN as its one user (loopback, no TLS), and Event Hubs with SASL PLAIN as $ConnectionString over TLS", () => {
        const broker = kafkaClientConfig({ bootstrapServers: "127.0.0.1:9092", authentication: brokerHostOperatorAuthentication() }, "t", { CDC_KAFKA_PASSWORD: "p4ssw0rd" });
        assert.deepEqual([broker.brokers, broker.sasl, broker.ssl], [["127.0.0.1:9092"], { mechanism: "plain", username: "operator", password: "p4ssw0rd" }, false]);
        assert.throws(
            () => kafkaClientConfig({ bootstrapServers: "127.0.0.1:9092", authentication: brokerHostOperatorAuthentication() }, "t", {}),
            /needs SASL credentials: set CDC_KAFKA_PASSWORD, e\.g\. export CDC_KAFKA_PASSWORD="\$\(pulumi stack output --show-secrets kafkaOperatorPassword\)"/,
        );
        const config = kafkaClientConfig(access, "t", { CDC_EVENTHUBS_CONNECTION_STRING: "Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=s" });
        assert.deepEqual(config.sasl, { mechanism: "plain", username: "$ConnectionString", password: "Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=s" });
        assert.ok(config.ssl);
    });
    it("without the connection string in the environment, names the variable and how to set it", () =>
        assert.throws(
            () => kafkaClientConfig(access, "t", {}),
            /needs SASL credentials: set CDC_EVENTHUBS_CONNECTION_STRING, e\.g\. export CDC_EVENTHUBS_CONNECTION_STRING="\$\(pulumi stack output --show-secrets eventHubsConnectionString\)"/,
        ));
});

describe("snapshot --table's sink move, interrupted", () => {
    /** A node process that holds the handlers as the command does while the sink is stopped, and waits. */
    const holder = (releaseFirst: boolean) => {
        const { spawn } = require("child_process") as typeof import("child_process");
        const modulePath = path.join(__dirname, "../../operations/sinkOffsetRepair.js");
        const script =
            `const { resumeOnInterrupt } = require(${JSON.stringify(modulePath)});` +
            `const release = resumeOnInterrupt(async () => { await new Promise((r) => setTimeout(r, 200)); console.log("RESUMED"); }, (m) => console.log(m));` +
            `${releaseFirst ? "release();" : ""} console.log("READY"); setInterval(() => {}, 1000);`;
        const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        const ready = new Promise<void>((resolve) =>
            child.stdout.on("data", (d: Buffer) => {
                out += d.toString();
                if (out.includes("READY")) resolve();
            }),
        );
        const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
        return { child, ready, exited, output: () => out };
    };

    it("Ctrl-C while the sink is stopped resumes it before the process exits (130)", async () => {
        const p = holder(false);
        await p.ready;
        p.child.kill("SIGINT");
        assert.deepEqual(await p.exited, { code: 130, signal: null });
        assert.match(p.output(), /SIGINT: resuming the sink before exiting[^\n]*\nRESUMED\n/);
    });

    it("once released (the sink resumed), a signal ends the process as usual, without a second resume", async () => {
        const p = holder(true);
        await p.ready;
        p.child.kill("SIGTERM");
        assert.deepEqual(await p.exited, { code: null, signal: "SIGTERM" });
        assert.doesNotMatch(p.output(), /RESUMED/);
    });
});
