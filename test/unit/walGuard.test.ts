// The WAL guard (pg-adx-cdc:postgres.walGuard): config validation, the server parameters it needs
// (pg_cron preloaded, on Azure allow-listed), its SQL builders, the bootstrap provider's check, and
// what status says after a drop. Its behaviour on a real server: test/e2e/walGuard.test.ts.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig, StackConfigError } from "../../config/stackConfig";
import { buildAzureServerParameters, buildLogicalReplicationParameters, raisedParameterValue } from "../../postgres/serverParameters";
import { buildLastWalGuardDropSql, buildWalGuardRemovalStatements, buildWalGuardSchedule, buildWalGuardSourceStatements, walGuardLimitBytes } from "../../postgres/walGuard";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { bootstrapInputsFor } from "../support/bootstrapInputs";
import { evaluatePipelineHealth, renderHealthReport } from "../../operations/pipelineHealth";

const azure = (postgres: Record<string, unknown>) => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"], ...postgres } }, "dev").postgres;
const rejects = (postgres: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
        () => parseStackConfig({ postgres }, "dev"),
        (e: Error) => e instanceof StackConfigError && pattern.test(e.message),
    );

describe("WAL guard", () => {
    it("is off by default and needs no extension then", () => {
        const pg = azure({});
        assert.equal(pg.walGuard, undefined);
        assert.ok(!buildAzureServerParameters(pg).some((p) => p.name === "shared_preload_libraries" || p.name === "azure.extensions"));
    });

    it("set, pg_cron is preloaded next to the user's libraries (a restart) and allow-listed on Azure", () => {
        const pg = azure({ walGuard: { maxRetainedWalGb: 8 }, preloadLibraries: ["pg_stat_statements"] });
        assert.deepEqual(
            buildAzureServerParameters(pg).filter((p) => p.name === "shared_preload_libraries" || p.name === "azure.extensions"),
            [
                { name: "shared_preload_libraries", value: "pg_stat_statements,pg_cron", static: true },
                { name: "azure.extensions", value: "pg_cron", static: false },
            ],
        );
        // The local pipeline and the container read the same builder.
        assert.ok(buildLogicalReplicationParameters(pg).some((p) => p.name === "shared_preload_libraries" && p.value.split(",").includes("pg_cron")));
        // On a server the user runs, their allow-list is kept and pg_cron added.
        assert.equal(raisedParameterValue("azure.extensions", "pg_cron", "vector,hstore"), "vector,hstore,pg_cron");
        assert.equal(raisedParameterValue("azure.extensions", "pg_cron", "pg_cron,vector"), "pg_cron,vector");
        assert.equal(raisedParameterValue("azure.extensions", "pg_cron", "PG_CRON,VECTOR"), "PG_CRON,VECTOR", "the portal's upper case is the same extension");
    });

    it("with a standby as well, one shared_preload_libraries carries both libraries", () => {
        const pg = azure({ walGuard: { maxRetainedWalGb: 8 }, highAvailability: true, skuTier: "GeneralPurpose", skuName: "Standard_D2ds_v5", version: "16" });
        const preload = buildAzureServerParameters(pg).filter((p) => p.name === "shared_preload_libraries");
        assert.equal(preload.length, 1);
        assert.deepEqual(preload[0].value.split(",").sort(), ["pg_cron", "pg_failover_slots", "pg_stat_statements"]);
    });

    it("refuses a limit the server's storage cannot hold before it turns read-only, and the container image without pg_cron", () => {
        rejects({ allowedClientCidrs: ["203.0.113.10/32"], walGuard: { maxRetainedWalGb: 30 } }, /walGuard\.maxRetainedWalGb.*below 80% of storageSizeGb \(32 GB\)/);
        rejects({ allowedClientCidrs: ["203.0.113.10/32"], walGuard: { maxRetainedWalGb: 0 } }, /walGuard\.maxRetainedWalGb/);
        rejects({ allowedClientCidrs: ["203.0.113.10/32"], walGuard: { maxRetainedWalGb: 8, maxRetainedWalMb: 1 } }, /walGuard/);
        rejects({ mode: "container", walGuard: { maxRetainedWalGb: 1 } }, /walGuard.*needs pg_cron.*containerImage/);
        assert.equal(azure({ storageSizeGb: 128, walGuard: { maxRetainedWalGb: "2.5" } }).walGuard?.maxRetainedWalGb, 2.5, "decimal text, as pulumi config set --path stores it");
        assert.equal(walGuardLimitBytes(2.5), 2_500_000_000);
    });

    it("builds its function with the limit, its log, and a schedule in pg_cron's database for the source database", () => {
        const names = sourceObjectNames("cdc").walGuard;
        const statements = buildWalGuardSourceStatements({ ...names, slotName: "debezium_cdc", replicationUser: "cdc_replicator", maxRetainedWalBytes: 8_000_000_000 });
        assert.match(
            statements[0],
            /GRANT cdc_replicator TO CURRENT_USER WITH INHERIT TRUE.*ELSE EXECUTE 'GRANT cdc_replicator TO CURRENT_USER'/,
            "the admin may end the replication user's session",
        );
        const fn = statements.find((s) => s.startsWith("CREATE OR REPLACE FUNCTION"))!;
        assert.match(fn, /^CREATE OR REPLACE FUNCTION cdc_meta\.wal_guard_cdc\(\)/);
        assert.match(fn, /slot_name = 'debezium_cdc'/);
        assert.match(fn, /s\.retained <= 8000000000/);
        // A slot PostgreSQL invalidated has no restart_lsn (retained NULL): dropped too, whatever it retains.
        assert.match(fn, /WHEN s\.j->>'wal_status' = 'lost' THEN 'wal_removed'/);
        assert.match(fn, /IF invalidated IS NULL THEN\n    IF s\.retained IS NULL THEN RETURN 'no slot'; END IF;\n    IF s\.retained <= 8000000000/);
        assert.ok(statements.includes("ALTER TABLE cdc_meta.wal_guard_log_cdc ADD COLUMN IF NOT EXISTS invalidated text"), "a log table of an earlier version gains the column");
        assert.match(fn, /pg_terminate_backend\(s\.active_pid\)/, "an attached consumer is ended first: an active slot cannot be dropped");
        assert.match(fn, /INSERT INTO cdc_meta\.wal_guard_log_cdc/);
        assert.ok(statements.includes("REVOKE ALL ON FUNCTION cdc_meta.wal_guard_cdc() FROM PUBLIC"));
        assert.deepEqual(buildWalGuardSchedule({ ...names, slotName: "debezium_cdc", replicationUser: "cdc_replicator", maxRetainedWalBytes: 1 }, "retail"), {
            text: "SELECT cron.schedule_in_database($1, $2, $3, $4) AS job",
            values: ["pg_adx_cdc_wal_guard_cdc", "* * * * *", "SELECT cdc_meta.wal_guard_cdc()", "retail"],
        });
        assert.deepEqual(buildWalGuardRemovalStatements(names, true), ["DROP FUNCTION IF EXISTS cdc_meta.wal_guard_cdc()"]);
        assert.deepEqual(buildWalGuardRemovalStatements(names, false), ["DROP FUNCTION IF EXISTS cdc_meta.wal_guard_cdc()", "DROP TABLE IF EXISTS cdc_meta.wal_guard_log_cdc"]);
        assert.match(buildLastWalGuardDropSql(names.logTable), /FROM cdc_meta\.wal_guard_log_cdc WHERE outcome = 'dropped' ORDER BY dropped_at DESC LIMIT 1/);
        assert.match(
            fn,
            /EXCEPTION WHEN OTHERS THEN\n  INSERT INTO cdc_meta\.wal_guard_log_cdc \(outcome, slot_name, retained_bytes, limit_bytes, error, invalidated\) VALUES \('failed'/,
            "a failed run is logged, not lost",
        );
    });

    it("the bootstrap provider's check refuses a guard it could not build, before anything runs", async () => {
        const names = sourceObjectNames("cdc");
        const inputs = bootstrapInputsFor("cdc", { host: "h", port: 5432, database: "retail", user: "a", sslMode: "require" }, "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy");
        assert.deepEqual(await sourceBootstrapProvider.check!({}, { ...inputs, walGuard: { ...names.walGuard, maxRetainedWalBytes: 1000 } }), {
            inputs: { ...inputs, walGuard: { ...names.walGuard, maxRetainedWalBytes: 1000 } },
        });
        const bad: any = await sourceBootstrapProvider.check!({}, { ...inputs, walGuard: { ...names.walGuard, maxRetainedWalBytes: -1 } });
        assert.match(bad.failures[0].reason, /WAL guard limit must be a positive byte count/);
        const badName: any = await sourceBootstrapProvider.check!({}, { ...inputs, walGuard: { ...names.walGuard, functionName: "x; DROP TABLE y" } });
        assert.match(badName.failures[0].reason, /not a lower-case schema\.name/);
    });

    it("status names a drop: the slot is gone because the guard protected the source, and what happens next", () => {
        const slot = { name: "debezium_cdc", exists: false, guardDrop: { at: new Date("2026-12-03T02:53:00Z"), retainedBytes: 9e9, limitBytes: 8e9, drops: 1 } };
        const problems = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot });
        assert.equal(problems.length, 1);
        assert.match(
            problems[0],
            /replication slot debezium_cdc was dropped by the WAL guard at 2026-12-03T02:53:00.000Z \(it retained 8.4 GiB of WAL, limit 7.5 GiB\).*re-reads every captured table/,
        );
        assert.match(
            renderHealthReport({ connectors: [], topics: [], unreachable: [], slot }, problems),
            /walGuard   dropped the slot 1 time\(s\); last at 2026-12-03T02:53:00.000Z/,
        );
        // A failed run is a problem until a later drop succeeds.
        const failure = { at: new Date("2026-12-03T03:00:00Z"), error: "permission denied" };
        const failed = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: { name: "debezium_cdc", exists: true, guardFailure: failure } });
        assert.match(failed[0], /^the WAL guard failed at 2026-12-03T03:00:00.000Z \(permission denied\): it cannot protect the source/);
        const earlier = { at: new Date("2026-12-03T02:50:00Z"), error: "permission denied" };
        assert.deepEqual(evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: { ...slot, exists: true, guardFailure: earlier } }), [], "a drop after it");
        // A slot PostgreSQL invalidated, dropped by the guard: named as such.
        const invalidated = { ...slot, guardDrop: { ...slot.guardDrop, retainedBytes: 0, invalidated: "wal_removed" } };
        const [why] = evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: invalidated });
        assert.match(
            why,
            /dropped by the WAL guard at 2026-12-03T02:53:00.000Z \(PostgreSQL had invalidated it: wal_removed, so Debezium could not stream from it\): the source connector re-reads every captured table/,
        );
        assert.match(
            renderHealthReport({ connectors: [], topics: [], unreachable: [], slot: invalidated }, []),
            /walGuard {3}dropped the slot 1 time\(s\); last at \S+ \(invalidated by PostgreSQL: wal_removed\)/,
        );
        // Without a drop logged, a missing slot is the connector's business.
        assert.match(
            evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: { name: "debezium_cdc", exists: false } })[0],
            /does not exist \(the source connector creates it/,
        );
    });
});
