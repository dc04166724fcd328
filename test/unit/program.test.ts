// The whole program under Pulumi mocks with Pulumi.dev.yaml's config: the expected resources,
// and the properties that matter for correctness and security.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockedResource, readStackFile, resolveOutput, settle, STACK } from "../support/pulumiMocks";

let resources: MockedResource[];
let program: any;
const byType = (type: string) => resources.filter((r) => r.type === type);
const one = (type: string) => {
    const found = byType(type);
    assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
    return found[0];
};
const dynamic = (kind: string) => byType(`pulumi-nodejs:dynamic/pg-adx-cdc:${kind}`);
const allDynamic = () => resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));

before(async () => {
    process.env.PG_ADX_CDC_DEPLOYER_IP = "198.51.100.23";
    const config = readStackFile(STACK);
    (config as any)["pg-adx-cdc:kafka"] = { ...(config as any)["pg-adx-cdc:kafka"], kustoSinkSha256: "a".repeat(64) };
    resources = installMocks({ ...config, "pg-adx-cdc:postgresAdminPassword": "Mock-Admin-Passw0rd!" }, ["pg-adx-cdc:postgresAdminPassword"]);
    const started = Date.now();
    program = require("../../index");
    await settle(1500);
    assert.ok(Date.now() - started < 10_000, "the program should run under mocks in seconds");
});

describe("the program with Pulumi.dev.yaml", () => {
    it("declares the expected set of resources", () => {
        const counts: Record<string, number> = {};
        for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
        const expected: Record<string, number> = {
            "azure-native:resources:ResourceGroup": 1,
            "azure-native:kusto:Cluster": 1,
            "azure-native:kusto:ReadWriteDatabase": 1,
            "azure-native:kusto:DatabasePrincipalAssignment": 2,
            "azuread:index/application:Application": 1,
            "azuread:index/servicePrincipal:ServicePrincipal": 1,
            "azuread:index/applicationPassword:ApplicationPassword": 1,
            "azure-native:dbforpostgresql:Server": 1,
            "azure-native:dbforpostgresql:Configuration": 5,
            "azure-native:dbforpostgresql:FirewallRule": 2,
            "azure-native:dbforpostgresql:Database": 1,
            "random:index/randomString:RandomString": 1,
            "random:index/randomPassword:RandomPassword": 1,
            "random:index/randomBytes:RandomBytes": 1,
            "docker:index/network:Network": 1,
            "docker:index/remoteImage:RemoteImage": 1,
            "docker:index/volume:Volume": 1,
            "docker:index/image:Image": 1,
            "docker:index/container:Container": 2,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector": 2,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresServerRestart": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap": 1,
            "pg-adx-cdc:index:AdxCluster": 1,
            "pg-adx-cdc:index:SinkIdentity": 1,
            "pg-adx-cdc:index:PostgresSource": 1,
            "pg-adx-cdc:index:KafkaPlatform": 1,
        };
        assert.deepEqual(counts, expected);
        for (const r of allDynamic()) assert.match(String(r.inputs.__provider), /exports\.handler/, `${r.name} carries its serialized provider`);
    });

    it("turns on streaming ingestion and uses the Dev SKU", () => {
        const cluster = one("azure-native:kusto:Cluster").inputs;
        assert.equal(cluster.enableStreamingIngest, true);
        assert.deepEqual(cluster.sku, { name: "Dev(No SLA)_Standard_E2a_v4", tier: "Basic", capacity: 1 });
    });

    it("grants the sink Ingestor, not Admin, and makes the deployer admin", () => {
        const assignments = byType("azure-native:kusto:DatabasePrincipalAssignment").map((r) => r.inputs);
        const sink = assignments.find((a) => a.principalType === "App");
        assert.equal(sink?.role, "Ingestor");
        assert.equal(assignments.filter((a) => a.role === "Admin").length, 1);
        assert.equal(assignments.find((a) => a.role === "Admin")?.principalType, "User");
    });

    it("sets wal_level=logical and restarts after the static parameters change", () => {
        const params = byType("azure-native:dbforpostgresql:Configuration").map((r) => r.inputs);
        assert.equal(params.find((p) => p.configurationName === "wal_level")?.value, "logical");
        assert.ok(Number(params.find((p) => p.configurationName === "max_worker_processes")?.value) >= 16);
        assert.equal(params.find((p) => p.configurationName === "require_secure_transport")?.value, "ON");
        const restart = dynamic("PostgresServerRestart")[0];
        assert.deepEqual(Object.keys(restart.inputs.staticParameters).sort(), ["max_replication_slots", "max_wal_senders", "max_worker_processes", "wal_level"]);
    });

    it("opens the firewall only to the configured address and the deployer, never the internet", () => {
        const rules = byType("azure-native:dbforpostgresql:FirewallRule").map((r) => r.inputs);
        assert.deepEqual(rules.map((r) => [r.startIpAddress, r.endIpAddress]).sort(), [["198.51.100.23", "198.51.100.23"], ["203.0.113.10", "203.0.113.10"]]);
        for (const r of rules) assert.notEqual(r.startIpAddress, "0.0.0.0");
    });

    it("binds every published container port to 127.0.0.1 and starts Connect after Kafka", () => {
        const containers = byType("docker:index/container:Container");
        for (const c of containers) for (const p of c.inputs.ports ?? []) assert.equal(p.ip, "127.0.0.1", `${c.name} publishes ${p.external} on ${p.ip}`);
        const connect = containers.find((c) => c.name === "kafka-connect")!;
        assert.ok(connect, "a Connect container");
        assert.equal(connect.inputs.wait, true);
    });

    it("carries the stack name in Azure and Docker resource names", () => {
        assert.match(one("azure-native:resources:ResourceGroup").inputs.resourceGroupName, /-dev$/);
        assert.match(one("azure-native:kusto:Cluster").inputs.clusterName, /^adxcdcdev/);
        assert.match(one("azure-native:dbforpostgresql:Server").inputs.serverName, /^pg-adx-cdc-dev-/);
        for (const c of byType("docker:index/container:Container")) assert.match(c.inputs.name, /-dev$/);
    });

    it("keeps secrets secret and out of every dynamic resource's inputs", async () => {
        const serialized = JSON.stringify(allDynamic().map((r) => ({ ...r.inputs, __provider: undefined })));
        assert.ok(allDynamic().length === 5 && serialized.includes("SCRAM-SHA-256$"), "the bootstrap gets a verifier, not the password");
        for (const secret of ["mock-client-secret-value", "mock-replication-password-0123456789", "Mock-Admin-Passw0rd!"]) {
            assert.ok(!serialized.includes(secret), `a dynamic resource input contains ${secret}`);
        }
        const connect = byType("docker:index/container:Container").find((c) => c.name === "kafka-connect")!;
        assert.ok(JSON.stringify(connect.inputs.envs).includes("CDC_KUSTO_SINK_APP_KEY=mock-client-secret-value"), "the worker gets the sink secret in its environment");
        const connectors = dynamic("KafkaConnector");
        for (const c of connectors) for (const [k, v] of Object.entries<string>(c.inputs.config)) if (/password|appkey/.test(k)) assert.match(v, /^\$\{env:[A-Z_]+\}$/);
    });

    it("exports what an operator needs", async () => {
        const uri = await resolveOutput(program.adxQueryUri as pulumi.Output<string>);
        assert.match(uri.value, /^https:\/\/adxcdcdev.*\.kusto\.windows\.net$/);
        assert.deepEqual(program.topics, ["cdc.retail.orders_info"]);
        const links = await resolveOutput(program.analyticsLinks as pulumi.Output<Record<string, string>>);
        assert.ok(links.value.TotalSalesPerCity.startsWith("https://dataexplorer.azure.com/clusters/"));
        assert.equal((await resolveOutput(program.connectRestUrl as pulumi.Output<string>)).value ?? program.connectRestUrl, "http://127.0.0.1:8083");
    });
});

after(() => undefined);
