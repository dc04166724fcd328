// The whole program under Pulumi mocks with Pulumi.free.yaml: an existing (free) ADX cluster and
// PostgreSQL as a container. Nothing in it is billed by Azure: no ARM resource at all.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { CLIENT_CONFIG, resolveOutput, SECRET_SIGNATURE, secretFilesOf, unsecret } from "../support/pulumiMocks";
import { countByType, displayedInputs, MOCK_SECRETS, ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";
import { parseOperationsOutputs } from "../../contract/stackOutputs";
import { assertUrnsKept } from "../support/stackUrns";

const FREE_CLUSTER = "https://kvc-test0123456789.northeurope.kusto.windows.net";
let run: ProgramRun;

before(async () => {
    run = await runProgramWithStackFile("free", { "pg-adx-cdc:adx": { clusterUri: FREE_CLUSTER } });
});

describe("the program with Pulumi.free.yaml (existing free cluster, PostgreSQL container)", () => {
    it("creates no Azure Resource Manager resource: nothing is billed", () => {
        const arm = run.resources.filter((r) => r.type.startsWith("azure-native:"));
        assert.deepEqual(
            arm.map((r) => r.type),
            [],
        );
        assert.deepEqual(countByType(run.resources), {
            "azuread:index/application:Application": 1,
            "azuread:index/servicePrincipal:ServicePrincipal": 1,
            "azuread:index/applicationPassword:ApplicationPassword": 1,
            "random:index/randomPassword:RandomPassword": 5,
            "random:index/randomBytes:RandomBytes": 3,
            "docker:index/network:Network": 1,
            "docker:index/remoteImage:RemoteImage": 2,
            "docker:index/volume:Volume": 2,
            "docker:index/image:Image": 2,
            "docker:index/container:Container": 4,
            "pulumi-nodejs:dynamic/pg-adx-cdc:IncrementalSnapshot": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector": 2,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema": 4,
            "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:SourceCatalog": 1,
            "pg-adx-cdc:index:CdcPipeline": 1,
            "pg-adx-cdc:index:SinkIdentity": 1,
            "pg-adx-cdc:index:ReplicationCredentials": 3,
            "pg-adx-cdc:index:PostgresSource": 1,
            "pg-adx-cdc:index:PostgresContainer": 1,
            "pg-adx-cdc:index:KafkaPlatform": 1,
            "pg-adx-cdc:index:OrdersGenerator": 1,
        });
    });

    it("grants the sink Ingestor on the existing database with KQL", () => {
        const grant = run.dynamic("KqlSchema").find((k) => k.name === "cdc-sink-identity-ingestor-kql")!;
        assert.equal(grant.inputs.clusterUri, FREE_CLUSTER);
        assert.equal(grant.inputs.database, "cdc");
        assert.equal(grant.inputs.retainData, false);
        assert.match(
            grant.inputs.scripts[0].text,
            /^\.add database \['cdc'\] ingestors \('aadapp=11111111-2222-3333-4444-555555555555;00000000-0000-0000-0000-00000000te4a'\) 'pg-adx-cdc Kusto sink'$/m,
        );
        assert.equal(CLIENT_CONFIG.tenantId, "00000000-0000-0000-0000-00000000te4a");
    });

    it("ingests queued: the sink does not stream and the table gets no streaming policy, but keeps its batching policy", () => {
        const sink = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-adx-sink")!;
        assert.match(sink.inputs.config["kusto.tables.topics.mapping"], /'streaming': 'false'/);
        assert.equal(sink.inputs.config["kusto.ingestion.url"], "https://ingest-kvc-test0123456789.northeurope.kusto.windows.net");
        assert.equal(sink.inputs.config["kusto.query.url"], FREE_CLUSTER);
        const schema = JSON.stringify(run.dynamic("KqlSchema").find((k) => k.name === "cdc-kql-retail.orders_info")!.inputs.scripts);
        assert.doesNotMatch(schema, /streamingingestion/);
        assert.match(schema, /policy ingestionbatching/);
        assert.match(schema, /create-merge table retail_orders_info_changes/);
    });

    it("runs PostgreSQL as a container with logical replication on its command line, SCRAM for every TCP login in pg_hba, and its port on 127.0.0.1", () => {
        const pg = run.byType("docker:index/container:Container").find((c) => c.inputs.name === "pg-adx-cdc-postgres-free")!;
        const command: string[] = pg.inputs.command;
        assert.deepEqual(command.slice(0, 3), ["postgres", "-c", "wal_level=logical"]);
        assert.ok(command.includes("max_replication_slots=10") && command.includes("hba_file=/etc/postgresql/pg_hba.conf"));
        assert.match(pg.inputs.uploads[0].content, /^host all cdc_replicator all scram-sha-256$/m);
        assert.doesNotMatch(pg.inputs.uploads[0].content, /^host .* trust$|^host replication/m, "SCRAM for every TCP login; no physical replication");
        assert.deepEqual(pg.inputs.ports, [{ internal: 5432, external: 5432, ip: "127.0.0.1" }]);
        assert.ok(String(unsecret(pg.inputs.envs)).includes("POSTGRES_DB=retail"));
    });

    it("bootstraps over the published port and points Debezium and the generator at the container on the Docker network", () => {
        const bootstrap = run.dynamic("PostgresSourceBootstrap")[0];
        assert.deepEqual(bootstrap.inputs.connection, { host: "127.0.0.1", port: 5432, database: "retail", user: "cdcadmin", sslMode: "disable" });
        const source = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-postgres-source")!;
        assert.equal(source.inputs.config["database.hostname"], "pg-adx-cdc-postgres-free");
        assert.equal(source.inputs.config["database.sslmode"], "disable");
        const generator = run.byType("docker:index/container:Container").find((c) => c.inputs.name === "pg-adx-cdc-generator-free")!;
        const env: string[] = unsecret(generator.inputs.envs);
        assert.ok(env.includes("PGHOST=pg-adx-cdc-postgres-free") && env.includes("PGSSLMODE=disable"));
        // Its own role, not the admin; its password as an owner-only file, in no environment variable.
        assert.ok(env.includes("PGUSER=cdc_generator"));
        assert.ok(env.includes("PGPASSWORD_FILE=/run/secrets/pg-adx-cdc/generator-password") && !env.some((e) => e.startsWith("PGPASSWORD=")));
        assert.deepEqual(Object.keys(secretFilesOf(generator, 1000)), ["/run/secrets/pg-adx-cdc/generator-password"]);
        for (const secret of MOCK_SECRETS) assert.ok(!JSON.stringify(generator.inputs.envs).includes(secret));
        assert.ok(SECRET_SIGNATURE in bootstrap.inputs.bootstrap, "the generator's verifier reaches the bootstrap inside a secret");
        const generatorRole = unsecret(bootstrap.inputs.bootstrap).generator;
        assert.equal(generatorRole.user, "cdc_generator");
        assert.match(generatorRole.passwordVerifier, /^SCRAM-SHA-256\$4096:/);
    });

    it("shows no secret in anything a preview diff prints", () => {
        const shown = JSON.stringify(run.resources.map((r) => displayedInputs(r.inputs)));
        for (const secret of MOCK_SECRETS) assert.ok(!shown.includes(secret), `a preview diff could show ${secret}`);
    });

    it("exports the operator contract and web UI links for the free cluster", async () => {
        const operations = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "mocked free stack");
        assert.equal(operations.adx.queryUri, FREE_CLUSTER);
        assert.deepEqual(operations.postgres, {
            host: "127.0.0.1",
            port: 5432,
            database: "retail",
            user: "cdc_operator",
            sslMode: "disable",
            slotName: "debezium_cdc",
            signalTable: "cdc_meta.signal_cdc",
            publicationName: "debezium_cdc_pub",
            walGuardLogTable: "cdc_meta.wal_guard_log_cdc",
        });
        const links = await resolveOutput(run.program.analyticsLinks as pulumi.Output<Record<string, string>>);
        assert.equal(links.value.OrdersPerCity, `${FREE_CLUSTER}/cdc?query=OrdersPerCity()&web=1`);
    });

    it("keeps every URN a deployed free stack has (a moved resource carries an alias), so pulumi up replaces nothing", () => {
        assertUrnsKept("free");
    });
});
