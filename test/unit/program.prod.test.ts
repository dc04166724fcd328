// The whole program under Pulumi mocks with Pulumi.prod.yaml: production SKUs, high availability
// with failover slots, long retention, data kept on destroy.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { CLIENT_CONFIG } from "../support/pulumiMocks";
import { displayedInputs, MOCK_SECRETS, ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";

let run: ProgramRun;

before(async () => {
    run = await runProgramWithStackFile("prod");
});

describe("the program with Pulumi.prod.yaml", () => {
    it("runs ADX on a production SKU with an SLA, no auto-stop and a year of data", () => {
        const cluster = run.one("azure-native:kusto:Cluster").inputs;
        assert.deepEqual(cluster.sku, { name: "Standard_E2ads_v5", tier: "Standard", capacity: 2 });
        assert.equal(cluster.enableAutoStop, false);
        const database = run.one("azure-native:kusto:ReadWriteDatabase").inputs;
        assert.equal(database.softDeletePeriod, "P365D");
        assert.equal(database.hotCachePeriod, "P31D");
        assert.equal(run.dynamic("KqlSchema")[0].inputs.retainData, true, "prod keeps ADX tables on destroy");
    });

    it("runs PostgreSQL zone-redundant on General Purpose with 35 days of geo-redundant backups", () => {
        const server = run.one("azure-native:dbforpostgresql:Server").inputs;
        assert.equal(server.highAvailability.mode, "ZoneRedundant");
        assert.deepEqual(server.sku, { name: "Standard_D2ds_v5", tier: "GeneralPurpose" });
        assert.deepEqual(server.backup, { backupRetentionDays: 35, geoRedundantBackup: "Enabled" });
    });

    it("preloads pg_failover_slots with hot_standby_feedback, and restarts for it, so the slot survives a failover", () => {
        const params = Object.fromEntries(run.byType("azure-native:dbforpostgresql:Configuration").map((r) => [r.inputs.configurationName, r.inputs.value]));
        assert.equal(params.shared_preload_libraries, "pg_cron,pg_stat_statements,pg_failover_slots");
        assert.equal(params.hot_standby_feedback, "on");
        assert.equal(params.wal_level, "logical");
        const restart = run.dynamic("PostgresServerRestart")[0];
        assert.equal(restart.inputs.staticParameters.shared_preload_libraries, "pg_cron,pg_stat_statements,pg_failover_slots");
        // PostgreSQL 16: the extension keeps the slot; Debezium's slot.failover applies from 17 only.
        const source = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-postgres-source")!;
        assert.equal(source.inputs.config["slot.failover"], undefined);
        assert.equal(source.inputs.config["database.sslmode"], "require");
    });

    it("opens the firewall to the Connect host only, and makes the CI identity the ADX deployer", () => {
        const rules = run.byType("azure-native:dbforpostgresql:FirewallRule").map((r) => [r.inputs.startIpAddress, r.inputs.endIpAddress]);
        assert.deepEqual(rules, [["203.0.113.20", "203.0.113.20"]]);
        const admin = run.byType("azure-native:kusto:DatabasePrincipalAssignment").find((a) => a.inputs.role === "Admin")!;
        assert.equal(admin.inputs.principalType, "App");
        assert.equal(admin.inputs.principalId, CLIENT_CONFIG.clientId);
    });

    it("shows no secret in anything a preview diff prints", () => {
        const shown = JSON.stringify(run.resources.map((r) => displayedInputs(r.inputs)));
        for (const secret of MOCK_SECRETS) assert.ok(!shown.includes(secret), `a preview diff could show ${secret}`);
    });
});
