// Components on their own under Pulumi mocks: secrets stay secret, and the parts depend on each
// other in the order the pipeline needs.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks, MOCK_CONNECT_REST_PASSWORD, MockedResource, resolveOutput, SECRET_SIGNATURE, secretFilesOf, settle, unsecret } from "../support/pulumiMocks";
import { CONNECT_IMAGE_USER, STACK_WORKER_SECRETS_DIR } from "../../connectors/workerSettings";
import { SinkIdentity, SINK_DATABASE_ROLE } from "../../components/sinkIdentity";
import { PostgresSource } from "../../components/postgres";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { ReplicationCredentials } from "../../components/replicationCredentials";
import { KafkaPlatform } from "../../components/kafkaPlatform";
import { parseStackConfig } from "../../config/stackConfig";
import { buildAzureServerParameters } from "../../postgres/serverParameters";
import { localJvmFlags } from "../../connectors/jvmSettings";

const ONCALL_ACTION_GROUP = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/actionGroups/oncall";
let resources: MockedResource[];
let sink: SinkIdentity;
let postgres: PostgresSource;
let credentials: ReplicationCredentials;
let kafka: KafkaPlatform;
let managed: SinkIdentity;

before(async () => {
    resources = installMocks({});
    const config = parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] } }, "dev");
    sink = new SinkIdentity("sink", {
        displayName: "sink-dev",
        identity: { kind: "clientSecret", rotationTrigger: "2026-11" },
        tenantId: "t",
        databaseAccess: { kind: "arm", resourceGroupName: "rg", clusterName: "c", databaseName: "cdc" },
    });
    managed = new SinkIdentity("managed-sink", {
        displayName: "sink-managed-dev",
        identity: { kind: "managedIdentity", home: { resourceGroupName: "rg", location: "westeurope" } },
        tenantId: "t",
        databaseAccess: { kind: "kql", clusterUri: "https://free.kusto.windows.net", databaseName: "cdc" },
    });
    credentials = new ReplicationCredentials("replication");
    postgres = new PostgresSource("pg", {
        server: {
            mode: "azure",
            resourceGroupName: "rg",
            location: "westeurope",
            serverName: "pg-dev",
            version: config.postgres.version,
            skuName: config.postgres.skuName,
            skuTier: config.postgres.skuTier,
            storageSizeGb: config.postgres.storageSizeGb,
            highAvailability: config.postgres.highAvailability,
            backupRetentionDays: config.postgres.backupRetentionDays,
            actionGroupId: ONCALL_ACTION_GROUP,
            geoRedundantBackup: config.postgres.geoRedundantBackup,
            parameters: buildAzureServerParameters(config.postgres),
            allowedClientCidrs: config.postgres.allowedClientCidrs,
        },
        databaseName: config.postgres.databaseName,
        administratorLogin: config.postgres.administratorLogin,
        replicationUser: config.postgres.replicationUser,
        tables: config.capture.tables,
        objects: sourceObjectNames("cdc"),
        administratorPassword: "Admin-Passw0rd!",
        replicationPasswordVerifier: credentials.scramVerifier,
    });
    kafka = new KafkaPlatform("kafka", {
        broker: { mode: "container", hostPort: 9092 },
        connectWorkers: 1,
        connectPort: 8083,
        networkName: "n-dev",
        kafkaContainerName: "k-dev",
        connectContainerName: "c-dev",
        connectImageName: "img:dev",
        postgresReplicationPassword: credentials.password,
        kustoSinkAppKey: sink.clientSecret!,
    });
    await settle(800);
});

describe("components", () => {
    it("the sink's client secret and the replication password are Pulumi secrets", async () => {
        assert.equal((await resolveOutput(sink.clientSecret!)).secret, true);
        assert.equal((await resolveOutput(credentials.password)).secret, true);
        assert.equal((await resolveOutput(credentials.scramVerifier)).secret, true);
    });

    it("the sink identity is Ingestor on its database and its secret rotates with the trigger", () => {
        const assignment = resources.find((r) => r.type === "azure-native:kusto:DatabasePrincipalAssignment")!;
        assert.equal(assignment.inputs.role, SINK_DATABASE_ROLE);
        assert.equal(SINK_DATABASE_ROLE, "Ingestor");
        const password = resources.find((r) => r.type === "azuread:index/applicationPassword:ApplicationPassword")!;
        assert.deepEqual(password.inputs.rotateWhenChanged, { rotation: "2026-11" });
    });

    it("a managed sink identity the stack creates: a user-assigned identity, granted Ingestor by its client id, no application and no secret", async () => {
        const identity = resources.find((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity")!;
        assert.deepEqual([identity.inputs.resourceName, identity.inputs.resourceGroupName, identity.inputs.location], ["sink-managed-dev", "rg", "westeurope"]);
        assert.equal((await resolveOutput(managed.appId)).value, "99999999-8888-7777-6666-555555555555");
        assert.equal(managed.clientSecret, undefined);
        assert.ok(managed.managedIdentityResourceId, "its resource id is an output, to attach to the Docker host");
        const grant = resources.find((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema" && r.name === "managed-sink-ingestor-kql")!;
        assert.match(JSON.stringify(grant.inputs.scripts), /aadapp=99999999-8888-7777-6666-555555555555;t/);
        assert.equal(resources.filter((r) => r.type === "azuread:index/application:Application" && r.name.startsWith("managed-sink")).length, 0);
    });

    it("the client secret's expiry is an output (status warns before it)", async () => {
        assert.equal((await resolveOutput(sink.clientSecretExpiresAt!)).value, "2027-11-30T10:00:00Z");
    });

    it("both alerts (storage, the slot's lag) notify the action group they are given", () => {
        const alerts = resources.filter((r) => r.type === "azure-native:monitor:MetricAlert" && r.name.startsWith("pg-"));
        assert.deepEqual(alerts.map((a) => a.name).sort(), ["pg-azure-slot-lag-alert", "pg-azure-storage-alert"]);
        for (const a of alerts) assert.deepEqual(a.inputs.actions, [{ actionGroupId: ONCALL_ACTION_GROUP }], `${a.name} notifies the action group`);
    });

    it("the server requires TLS and the bootstrap waits for the restart and the firewall", () => {
        const server = resources.find((r) => r.type === "azure-native:dbforpostgresql:Server")!;
        assert.equal(server.inputs.version, "16");
        assert.deepEqual(server.inputs.sku, { name: "Standard_B1ms", tier: "Burstable" });
        const tls = resources.find((r) => r.type === "azure-native:dbforpostgresql:Configuration" && r.inputs.configurationName === "require_secure_transport")!;
        assert.equal(tls.inputs.value, "ON");
        const bootstrap = resources.find((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap")!;
        assert.equal(bootstrap.inputs.connection.sslMode, "require");
        assert.match(unsecret(bootstrap.inputs.bootstrap).replicationPasswordVerifier, /^SCRAM-SHA-256\$4096:/);
    });

    it("Connect gets its worker settings from the environment and its secrets as owner-only files, never in its environment or image", () => {
        const connect = resources.find((r) => r.type === "docker:index/container:Container" && r.inputs.name === "c-dev")!;
        const env: string[] = unsecret(connect.inputs.envs);
        assert.ok(env.includes("CONNECT_CONFIG_PROVIDERS=dir"));
        assert.ok(env.includes("CONNECT_CONFIG_PROVIDERS_DIR_CLASS=org.apache.kafka.common.config.provider.DirectoryConfigProvider"));
        assert.ok(env.includes(`CONNECT_CONFIG_PROVIDERS_DIR_PARAM_ALLOWED_PATHS=${STACK_WORKER_SECRETS_DIR}`));
        assert.deepEqual(secretFilesOf(connect, CONNECT_IMAGE_USER.uid), {
            [`${STACK_WORKER_SECRETS_DIR}/postgres-replication-password`]: "mock-replication-password-0123456789",
            [`${STACK_WORKER_SECRETS_DIR}/kusto-sink-app-key`]: "mock-client-secret-value",
            // The REST API's basic auth: the users file and the JAAS login that names it (loaded by KAFKA_OPTS).
            [`${STACK_WORKER_SECRETS_DIR}/connect-rest-users`]: `pg-adx-cdc: ${MOCK_CONNECT_REST_PASSWORD}\n`,
            [`${STACK_WORKER_SECRETS_DIR}/connect-rest-jaas.conf`]:
                'KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="/run/secrets/pg-adx-cdc/connect-rest-users";\n};\n',
        });
        assert.ok(env.includes(`KAFKA_OPTS=-Djava.security.auth.login.config=${STACK_WORKER_SECRETS_DIR}/connect-rest-jaas.conf`));
        assert.ok(
            env.includes("CONNECT_REST_EXTENSION_CLASSES=pgadxcdc.watchdog.FailedTaskWatchdog,org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"),
        );
        // The health check authenticates with the password from the file: no secret in the command `docker inspect` shows.
        assert.match(
            connect.inputs.healthcheck.tests[1],
            /^curl -fs -u "pg-adx-cdc:\$\(sed -n .* \/run\/secrets\/pg-adx-cdc\/connect-rest-users\)" http:\/\/localhost:8083\/connectors/,
        );
        for (const secret of ["mock-replication-password-0123456789", "mock-client-secret-value"])
            assert.ok(!JSON.stringify(connect.inputs.envs).includes(secret), "no secret in the environment `docker inspect` shows");
        assert.ok(env.includes("BOOTSTRAP_SERVERS=k-dev:19092"));
        // The worker's JVM as the bench runs it (connectors/jvmSettings.ts), not the image's default.
        const flags = (prefix: string) =>
            env
                .find((e) => e.startsWith(prefix))!
                .slice(prefix.length)
                .split(" ");
        assert.deepEqual([...flags("KAFKA_HEAP_OPTS="), ...flags("KAFKA_JVM_PERFORMANCE_OPTS=")], localJvmFlags("connect", "deployed"));
        const broker = resources.find((r) => r.type === "docker:index/container:Container" && r.inputs.name === "k-dev")!;
        const brokerEnv: string[] = broker.inputs.envs;
        assert.deepEqual(
            ["KAFKA_HEAP_OPTS=", "KAFKA_JVM_PERFORMANCE_OPTS="].flatMap((p) =>
                brokerEnv
                    .find((e) => e.startsWith(p))!
                    .slice(p.length)
                    .split(" "),
            ),
            localJvmFlags("broker", "deployed"),
        );
        assert.ok(localJvmFlags("connect", "fast-start").includes("-XX:TieredStopAtLevel=1") && !localJvmFlags("connect", "deployed").includes("-XX:TieredStopAtLevel=1"));
        // The failed-task watchdog runs in the deployed worker with the timing the e2e drills exercise.
        for (const [key, value] of [
            ["INTERVAL_MS", "2000"],
            ["INITIAL_BACKOFF_MS", "30000"],
            ["MAX_BACKOFF_MS", "900000"],
            ["MAX_RESTARTS", "10"],
            ["STABLE_MS", "600000"],
            // Its health record a minute, to the group's health topic the sink routes to ADX (the failed-task alert).
            ["HEALTH_TOPIC", "pg-adx-cdc-connect-health"],
            ["HEALTH_INTERVAL_MS", "60000"],
            // A sink a seeding left STOPPED (its worker ended between the stop and the resume) is resumed after this.
            ["SEEDING_STALE_MS", "200000"],
        ])
            assert.ok(env.includes(`CONNECT_PGADXCDC_WATCHDOG_${key}=${value}`), key);
        assert.ok(env.includes("CONNECT_CONSUMER_AUTO_OFFSET_RESET=none"), "the deployed sink never skips a gap by itself");
        const image = resources.find((r) => r.type === "docker:index/image:Image")!;
        // The build args are versions and the image's user (test/unit/versionManifest.test.ts): no secret is baked into the image.
        for (const secret of ["mock-replication-password-0123456789", "mock-client-secret-value"]) assert.ok(!JSON.stringify(image.inputs).includes(secret));
    });
});
