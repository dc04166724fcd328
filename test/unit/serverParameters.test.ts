// PostgreSQL server settings for every way the server runs, and the failover-slot choice per version.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { defaultPostgresSettings } from "../../config/postgresSettings";
import { parseStackConfig } from "../../config/stackConfig";
import {
    buildAzureServerParameters,
    buildPreloadAndFailoverParameters,
    buildHbaRules,
    raisedParameterValue,
    buildLogicalReplicationParameters,
    needsFailoverSlot,
    toPostgresConfLines,
} from "../../postgres/serverParameters";
import { buildPostgresContainerCommand, postgresContainerImage } from "../../components/postgresContainer";
import { buildDebeziumSourceConfig } from "../../connectors/debeziumSource";
import { exampleSourceInput } from "../support/connectorFixtures";

const azure = (postgres: Record<string, unknown>) =>
    parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"], skuTier: "GeneralPurpose", skuName: "Standard_D2ds_v5", ...postgres } }, "prod").postgres;

describe("server parameters", () => {
    it("without a standby: logical replication only, no failover slots", () => {
        assert.deepEqual(buildPreloadAndFailoverParameters(azure({})), []);
        assert.deepEqual(
            buildLogicalReplicationParameters(azure({})).map((p) => p.name),
            ["wal_level", "max_replication_slots", "max_wal_senders", "max_worker_processes"],
        );
    });

    it("PostgreSQL 16 with a standby: pg_failover_slots preloaded (a restart) next to the libraries kept, and hot_standby_feedback", () => {
        const settings = azure({ highAvailability: true, version: "16", preloadLibraries: ["pg_stat_statements"] });
        assert.deepEqual(buildPreloadAndFailoverParameters(settings), [
            { name: "shared_preload_libraries", value: "pg_stat_statements,pg_failover_slots", static: true },
            { name: "hot_standby_feedback", value: "on", static: false },
        ]);
        assert.equal(needsFailoverSlot(settings), false, "Debezium's slot.failover needs PostgreSQL 17");
        assert.deepEqual(buildAzureServerParameters(settings).slice(-1), [{ name: "require_secure_transport", value: "ON", static: false }]);
    });

    it("PostgreSQL 17 with a standby: native slot synchronization, and Debezium creates the slot with failover=true", () => {
        const settings = azure({ highAvailability: true, version: "17" });
        assert.deepEqual(
            buildPreloadAndFailoverParameters(settings).map((p) => `${p.name}=${p.value}`),
            ["hot_standby_feedback=on", "sync_replication_slots=on"],
        );
        assert.equal(needsFailoverSlot(settings), true);
        const config = buildDebeziumSourceConfig(exampleSourceInput({ slotFailover: needsFailoverSlot(settings) }));
        assert.equal(config["slot.failover"], "true");
    });

    it("the container gets the same settings on its command line, and the official image of the version", () => {
        const settings = defaultPostgresSettings();
        const command = buildPostgresContainerCommand(buildLogicalReplicationParameters(settings));
        assert.equal(command[0], "postgres");
        for (const p of buildLogicalReplicationParameters(settings)) assert.ok(command.includes(`${p.name}=${p.value}`), p.name);
        assert.equal(postgresContainerImage(settings), "postgres:16");
        assert.deepEqual(toPostgresConfLines([{ name: "wal_level", value: "logical", static: true }]), ["wal_level = 'logical'"]);
    });

    it("pg_hba makes the replication user use SCRAM even where others are trusted, and allows no physical replication", () => {
        assert.ok(
            buildHbaRules({ replicationUser: "cdc_replicator", clientAddress: "127.0.0.1/32", otherUsersAuth: "trust" }).includes(
                "host all cdc_replicator 127.0.0.1/32 scram-sha-256",
            ),
        );
        const rules = buildHbaRules({ replicationUser: "cdc_replicator", clientAddress: "all", otherUsersAuth: "scram-sha-256" });
        assert.ok(!rules.some((r) => r.startsWith("host replication")));
        assert.ok(!rules.some((r) => /^host .* trust$/.test(r)), "no passwordless TCP access in the container");
    });
});

it("on a server the user runs, parameters are only ever raised", () => {
    assert.equal(raisedParameterValue("max_replication_slots", "10", "40"), "40");
    assert.equal(raisedParameterValue("max_worker_processes", "16", "8"), "16");
    assert.equal(raisedParameterValue("shared_preload_libraries", "pg_failover_slots,pg_cron", "pg_stat_statements,pg_cron"), "pg_stat_statements,pg_cron,pg_failover_slots");
    assert.equal(raisedParameterValue("wal_level", "logical", "replica"), "logical");
    assert.equal(raisedParameterValue("max_wal_senders", "10", undefined), "10");
});
