// examples/existing-servers: another Pulumi program importing CdcPipeline for an existing
// PostgreSQL server and an existing ADX cluster, under mocks as `pulumi preview` would run it.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks, MockedResource, resolveOutput, settle } from "../support/pulumiMocks";
import { parseOperationsOutputs } from "../../contract/stackOutputs";
import { CdcPipeline } from "../../components/cdcPipeline";

const PASSWORD = "Example-Admin-Passw0rd!";
let resources: MockedResource[];
let program: any;

before(async () => {
    process.env.PG_ADX_CDC_DEPLOYER_IP = "198.51.100.23";
    resources = installMocks({ "orders-cdc:postgresAdminPassword": PASSWORD }, ["orders-cdc:postgresAdminPassword"], "prod", "orders-cdc");
    program = require("../../examples/existing-servers/index");
    await settle(1500);
});

describe("examples/existing-servers: CdcPipeline in a program of its own", () => {
    it("creates no PostgreSQL server and no ADX cluster: it uses the existing ones", () => {
        const types = new Set(resources.map((r) => r.type));
        for (const type of ["azure-native:dbforpostgresql:Server", "azure-native:kusto:Cluster", "azure-native:kusto:ReadWriteDatabase"]) assert.ok(!types.has(type), type);
        // The existing server's parameters are raised where needed, and its firewall opened to the listed client only.
        assert.ok(resources.some((r) => r.type === "azure-native:dbforpostgresql:Configuration" && r.inputs.serverName === "shop-orders-pg"));
        assert.deepEqual(
            resources.filter((r) => r.type === "azure-native:dbforpostgresql:FirewallRule").map((r) => r.inputs.startIpAddress),
            ["198.51.100.40"],
        );
    });

    it("names every part after the component, and its Azure and Docker names after its environment", () => {
        const component = resources.filter((r) => r.type === "pg-adx-cdc:index:CdcPipeline");
        assert.deepEqual(
            component.map((r) => r.name),
            ["orders-cdc"],
        );
        for (const r of resources.filter((r) => r.type !== "pg-adx-cdc:index:CdcPipeline")) assert.ok(r.name.startsWith("orders-cdc-"), r.name);
        const containers = resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.inputs.name);
        assert.ok(containers.includes("pg-adx-cdc-connect-shop"), containers.join(", "));
    });

    it("captures both tables into the existing database, the sink granted Ingestor there with KQL", async () => {
        const schemas = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema");
        assert.ok(schemas.every((s) => s.inputs.database === "orders" && s.inputs.clusterUri === "https://shopanalytics.westeurope.kusto.windows.net"));
        const grant = schemas.find((k) => k.name === "orders-cdc-sink-identity-ingestor-kql")!;
        assert.match(grant.inputs.scripts[0].text, /^\.add database \['orders'\] ingestors \('aadapp=[0-9a-f-]+;[0-9a-z-]+'\) 'pg-adx-cdc Kusto sink'$/m);
        const operations = parseOperationsOutputs((await resolveOutput(program.operations)).value, "example stack");
        assert.deepEqual(
            operations.adx.tables.map((t) => t.sourceTable),
            ["retail.orders_info", "inventory.products"],
        );
        assert.equal(operations.postgres.database, "orders");
    });

    it("is told when changes stop reaching ADX: the stalled alert's identity reads the existing database as a Viewer, granted with KQL", () => {
        const schemas = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema");
        const viewer = schemas.find((k) => k.name === "orders-cdc-stalled-alert-viewer-kql")!;
        assert.match(viewer.inputs.scripts[0].text, /^\.add database \['orders'\] viewers \('aadapp=[0-9a-f-]+;[0-9a-z-]+'\) 'pg-adx-cdc pipeline-stalled alert'$/m);
        const rule = resources.find((r) => r.type === "azure-native:monitor:ScheduledQueryRule" && !r.name.endsWith("-failed-tasks-rule"))!;
        assert.match(rule.inputs.criteria.allOf[0].query, /^adx\("https:\/\/shopanalytics\.westeurope\.kusto\.windows\.net\/orders"\)\./m);
        assert.equal(resources.filter((r) => r.type === "azure-native:monitor:MetricAlert").length, 2, "the existing server's storage and slot alerts");
    });

    it("bad settings are refused by the stack's own validation, naming each key and the fix, before anything is registered", async () => {
        const before = resources.length;
        assert.throws(
            () =>
                new CdcPipeline("bad-cdc", {
                    environment: "shop",
                    settings: { postgres: { mode: "cloud" as any, allowedClientCidrs: ["0.0.0.0/0"] }, capture: { tables: ["Orders"] } },
                    postgresAdminPassword: PASSWORD,
                }),
            (error: Error) => /pg-adx-cdc:postgres\.mode/.test(error.message) && /0\.0\.0\.0\/0/.test(error.message) && /pg-adx-cdc:capture\.tables/.test(error.message),
        );
        await settle(500);
        assert.equal(resources.length, before, "nothing registered");
    });

    it("keeps the admin password out of every resource's inputs", () => {
        for (const r of resources) assert.ok(!JSON.stringify(r.inputs).includes(PASSWORD), `${r.type} ${r.name}`);
    });
});
