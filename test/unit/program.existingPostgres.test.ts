// The dev stack pointed at the user's own Azure flexible server (postgres.mode: existing): the stack
// creates no server and no database, sets the logical-replication parameters and firewall rules on
// the named server, does not restart it unless allowed, and checks readiness before the bootstrap.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { unsecret } from "../support/pulumiMocks";
import { ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";
import { restartHintFor } from "../../components/existingPostgresServer";
import { assertUrnsKept } from "../support/stackUrns";

let run: ProgramRun;

before(async () => {
    run = await runProgramWithStackFile(
        "dev",
        {
            "pg-adx-cdc:postgres": {
                mode: "existing",
                existingServer: { resourceGroupName: "app-rg", serverName: "orders-db" },
                databaseName: "shop",
                administratorLogin: "appadmin",
                allowedClientCidrs: ["203.0.113.10/32"],
                allowDeployerIp: false,
            },
            "pg-adx-cdc:capture": { tables: ["inventory.products"] },
        },
        ["pg-adx-cdc:postgres"],
    );
});

describe("the dev stack on an existing Azure flexible server", () => {
    it("creates no PostgreSQL server and no database", () => {
        assert.deepEqual(run.byType("azure-native:dbforpostgresql:Server"), []);
        assert.deepEqual(run.byType("azure-native:dbforpostgresql:Database"), []);
    });

    it("watches the user's server as its own: the storage and slot-lag alerts on it, and the pipeline-stalled alert", () => {
        const alerts = run.byType("azure-native:monitor:MetricAlert");
        assert.deepEqual(alerts.map((a) => a.inputs.criteria.allOf[0].metricName).sort(), ["logical_replication_delay_in_bytes", "storage_percent"]);
        for (const a of alerts) {
            assert.deepEqual(a.inputs.scopes, [
                "/subscriptions/00000000-0000-0000-0000-0000000005b5/resourceGroups/app-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/orders-db",
            ]);
            assert.equal(a.inputs.resourceGroupName, "app-rg");
        }
        assert.equal(run.byType("azure-native:monitor:ScheduledQueryRule").length, 2, "pipeline stalled, and a task failed");
    });

    it("sets the logical-replication parameters on the named server and opens it to the Connect host only", () => {
        const params = run.byType("azure-native:dbforpostgresql:Configuration");
        assert.ok(params.length > 0 && params.every((p) => p.inputs.serverName === "orders-db" && p.inputs.resourceGroupName === "app-rg"));
        assert.equal(params.find((p) => p.inputs.configurationName === "wal_level")?.inputs.value, "logical");
        // Never lower than the server has it: its 40 slots stay 40 (the stack asks for 10); its 4 WAL senders rise to 10.
        assert.equal(params.find((p) => p.inputs.configurationName === "max_replication_slots")?.inputs.value, "40");
        assert.equal(params.find((p) => p.inputs.configurationName === "max_wal_senders")?.inputs.value, "10");
        const rules = run.byType("azure-native:dbforpostgresql:FirewallRule");
        assert.deepEqual(
            rules.map((r) => [r.inputs.firewallRuleName, r.inputs.startIpAddress, r.inputs.endIpAddress]),
            [["pg-adx-cdc-allow-203-0-113-10-32", "203.0.113.10", "203.0.113.10"]],
        );
    });

    it("does not restart the user's server unless allowed, and says how to restart it", () => {
        assert.deepEqual(run.dynamic("PostgresServerRestart"), []);
        const readiness = run.one("pulumi-nodejs:dynamic/pg-adx-cdc:PostgresReadiness");
        assert.match(
            readiness.inputs.restartHint,
            /az postgres flexible-server restart --resource-group app-rg --name orders-db.*pulumi config set --path pg-adx-cdc:postgres\.allowRestart true/,
        );
        assert.deepEqual(readiness.inputs.connection, { host: "orders-db.postgres.database.azure.com", port: 5432, database: "shop", user: "appadmin", sslMode: "require" });
        // The roles the bootstrap alters, as it names them: the readiness check finds one another login created.
        const bootstrap = unsecret(run.one("pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap").inputs.bootstrap);
        assert.deepEqual(readiness.inputs.roles, [bootstrap.replicationUser, bootstrap.operator.user]);
        assert.equal(readiness.inputs.stackSchema, bootstrap.heartbeatTable.split(".")[0], "the schema the bootstrap creates for its own tables");
        assert.match(restartHintFor({ kind: "azure", resourceGroupName: "r", serverName: "s", allowRestart: true, parameters: [], allowedClientCidrs: [] }), /restarts s itself/);
    });

    it("bootstraps only its own objects on the user's database, after the readiness check, and creates no demo table", () => {
        const bootstrap = run.one("pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap");
        const inputs = unsecret(bootstrap.inputs.bootstrap);
        assert.deepEqual(inputs.tables, ["inventory.products"]);
        assert.equal(inputs.createDemoTables, false);
        assert.equal(bootstrap.inputs.connection.host, "orders-db.postgres.database.azure.com");
        assert.equal(bootstrap.inputs.connection.database, "shop");
    });

    it("keeps every URN a deployed dev-existing-postgres stack has (a moved resource carries an alias), so pulumi up replaces nothing", () => {
        assertUrnsKept("dev-existing-postgres");
    });
});
