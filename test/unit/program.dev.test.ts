// The whole program under Pulumi mocks with Pulumi.dev.yaml's config: the expected resources,
// and the properties that matter for correctness and security.
import { DEFAULT_THRESHOLDS } from "../../contract/healthThresholds";
import { planPipeline } from "../../plan/pipelinePlan";
import { adxTableReference, heartbeatStalledQuery } from "../../kql/adxModel";
import { FAILED_TASK_ALERT, failedTasksQuery, initialSnapshotRunning, WORKER_HEALTH_ADX } from "../../kql/workerHealthModel";
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { CLIENT_CONFIG, MOCK_CONNECT_REST_PASSWORD, MOCK_KAFKA_OPERATOR_PASSWORD, resolveOutput, SECRET_SIGNATURE, secretFilesOf, unsecret } from "../support/pulumiMocks";
import { CONNECT_IMAGE_USER, OPERATOR_SECRET_ENV } from "../../connectors/workerSettings";
import { BROKER_HOST_PASSWORD_OUTPUT, brokerHostOperatorAuthentication } from "../../components/kafkaBrokerSettings";
import { countByType, displayedInputs, MOCK_SECRETS, ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";
import { parseOperationsOutputs } from "../../contract/stackOutputs";
import { assertUrnsKept } from "../support/stackUrns";

let run: ProgramRun;
const allDynamic = () => run.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));

before(async () => {
    run = await runProgramWithStackFile("dev");
});

describe("the program with Pulumi.dev.yaml", () => {
    it("declares the expected set of resources", () => {
        assert.deepEqual(countByType(run.resources), {
            "azure-native:resources:ResourceGroup": 1,
            "azure-native:kusto:Cluster": 1,
            "azure-native:kusto:ReadWriteDatabase": 1,
            "azure-native:kusto:DatabasePrincipalAssignment": 3,
            "azure-native:operationalinsights:Workspace": 1,
            "azure-native:managedidentity:UserAssignedIdentity": 1,
            "azure-native:monitor:ScheduledQueryRule": 2,
            "azuread:index/application:Application": 1,
            "azuread:index/servicePrincipal:ServicePrincipal": 1,
            "azuread:index/applicationPassword:ApplicationPassword": 1,
            "azure-native:dbforpostgresql:Server": 1,
            "azure-native:dbforpostgresql:Configuration": 5,
            "azure-native:dbforpostgresql:FirewallRule": 2,
            "azure-native:dbforpostgresql:Database": 1,
            "azure-native:monitor:MetricAlert": 2,
            "random:index/randomString:RandomString": 1,
            "random:index/randomPassword:RandomPassword": 4,
            "random:index/randomBytes:RandomBytes": 2,
            "docker:index/network:Network": 1,
            "docker:index/remoteImage:RemoteImage": 1,
            "docker:index/volume:Volume": 1,
            "docker:index/image:Image": 1,
            "docker:index/container:Container": 2,
            "pulumi-nodejs:dynamic/pg-adx-cdc:IncrementalSnapshot": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector": 2,
            "pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema": 3,
            "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresServerRestart": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresSourceBootstrap": 1,
            "pulumi-nodejs:dynamic/pg-adx-cdc:SourceCatalog": 1,
            "pg-adx-cdc:index:CdcPipeline": 1,
            "pg-adx-cdc:index:AdxCluster": 1,
            "pg-adx-cdc:index:SinkIdentity": 1,
            "pg-adx-cdc:index:ReplicationCredentials": 2,
            "pg-adx-cdc:index:PostgresSource": 1,
            "pg-adx-cdc:index:AzurePostgresServer": 1,
            "pg-adx-cdc:index:KafkaPlatform": 1,
            "pg-adx-cdc:index:PipelineStalledAlert": 1,
        });
        for (const r of allDynamic()) assert.match(String(r.inputs.__provider), /exports\.handler/, `${r.name} carries its serialized provider`);
    });

    it("turns on streaming ingestion and uses the Dev SKU", () => {
        const cluster = run.one("azure-native:kusto:Cluster").inputs;
        assert.equal(cluster.enableStreamingIngest, true);
        assert.deepEqual(cluster.sku, { name: "Dev(No SLA)_Standard_E2a_v4", tier: "Basic", capacity: 1 });
        const sink = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-adx-sink")!;
        assert.match(sink.inputs.config["kusto.tables.topics.mapping"], /'streaming': 'true'/);
        assert.equal(sink.inputs.config["errors.deadletterqueue.topic.replication.factor"], "1", "the single broker can host the dead-letter topic");
        assert.match(JSON.stringify(run.dynamic("KqlSchema")[0].inputs.scripts), /policy streamingingestion enable/);
    });

    it("grants the sink Ingestor, not Admin, and makes the deployer admin", () => {
        const assignments = run.byType("azure-native:kusto:DatabasePrincipalAssignment").map((r) => r.inputs);
        const sink = assignments.find((a) => a.role !== "Admin");
        assert.equal(sink?.role, "Ingestor");
        assert.equal(sink?.principalType, "App");
        assert.equal(assignments.filter((a) => a.role === "Admin").length, 1);
        // dev is deployed by the delivery workflow's OIDC app (deployer.principalType App in Pulumi.dev.yaml).
        const admin = assignments.find((a) => a.role === "Admin");
        assert.equal(admin?.principalType, "App");
        assert.equal(admin?.principalId, CLIENT_CONFIG.clientId);
    });

    it("sets wal_level=logical and restarts after the static parameters change; no failover slots without a standby", () => {
        const params = run.byType("azure-native:dbforpostgresql:Configuration").map((r) => r.inputs);
        assert.equal(params.find((p) => p.configurationName === "wal_level")?.value, "logical");
        assert.ok(Number(params.find((p) => p.configurationName === "max_worker_processes")?.value) >= 16);
        assert.equal(params.find((p) => p.configurationName === "require_secure_transport")?.value, "ON");
        assert.equal(
            params.find((p) => p.configurationName === "shared_preload_libraries"),
            undefined,
        );
        const restart = run.dynamic("PostgresServerRestart")[0];
        assert.deepEqual(Object.keys(restart.inputs.staticParameters).sort(), ["max_replication_slots", "max_wal_senders", "max_worker_processes", "wal_level"]);
        assert.equal(run.one("azure-native:dbforpostgresql:Server").inputs.highAvailability.mode, "Disabled");
    });

    it("guards the source's storage: auto-grow on, an alert at 80% (Azure turns the server read-only at 95%), and one when the slot holds WAL past status's limit", () => {
        const server = run.one("azure-native:dbforpostgresql:Server").inputs;
        assert.equal(server.storage.autoGrow, "Enabled");
        const alerts = run.byType("azure-native:monitor:MetricAlert").map((r) => r.inputs);
        const byMetric = Object.fromEntries(alerts.map((a) => [a.criteria.allOf[0].metricName, a.criteria.allOf[0]]));
        assert.deepEqual(Object.keys(byMetric).sort(), ["logical_replication_delay_in_bytes", "storage_percent"]);
        assert.equal(byMetric.storage_percent.threshold, 80);
        assert.equal(byMetric.logical_replication_delay_in_bytes.threshold, DEFAULT_THRESHOLDS.maxSlotLagBytes, "the lag status calls unhealthy");
        assert.equal(byMetric.logical_replication_delay_in_bytes.timeAggregation, "Maximum");
        for (const a of alerts) assert.deepEqual(a.actions, [], "no e-mail configured: the alerts show in Azure only");
    });

    it("tells someone when changes stop reaching ADX: a log search alert on the newest heartbeat in ADX, the age status calls unhealthy, read as a Viewer", async () => {
        const rule = run.byType("azure-native:monitor:ScheduledQueryRule").find((r) => !r.name.endsWith("-failed-tasks-rule"))!;
        const outputs = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "dev stack");
        const condition = rule.inputs.criteria.allOf[0];
        assert.equal(
            condition.query,
            heartbeatStalledQuery(
                adxTableReference(outputs.adx.queryUri, "cdc", outputs.adx.heartbeat.rawTable),
                outputs.adx.heartbeat.sourceTsColumn,
                DEFAULT_THRESHOLDS.maxHeartbeatAgeSeconds,
                initialSnapshotRunning(adxTableReference(outputs.adx.queryUri, "cdc", WORKER_HEALTH_ADX.table), "cdc"),
            ),
        );
        // Quiet during the stack's own initial snapshot, read from the workers' health records.
        assert.match(condition.query, /^let initial_snapshot = toscalar\(adx\("https:\/\/adxcdcdev[a-z0-9]*\.westeurope\.kusto\.windows\.net\/cdc"\)\.pgadxcdc_worker_health\n/);
        assert.match(condition.query, /\| where prefix == "cdc"\n/);
        assert.match(condition.query, /\nadx\("https:\/\/adxcdcdev[a-z0-9]*\.westeurope\.kusto\.windows\.net\/cdc"\)\.cdc_meta_heartbeat_cdc_changes\n/);
        assert.match(condition.query, /\| where heartbeats_in_window == 0 and not\(initial_snapshot\)$/);
        assert.deepEqual([condition.timeAggregation, condition.operator, condition.threshold], ["Count", "GreaterThan", 0], "a row means stalled");
        assert.equal(rule.inputs.kind, "LogAlert");
        assert.equal(rule.inputs.autoMitigate, true);
        assert.equal(rule.inputs.skipQueryValidation, true, "no query run at creation, before the Viewer grant has propagated");
        const workspace = run.one("azure-native:operationalinsights:Workspace");
        assert.equal(workspace.inputs.workspaceName, "pg-adx-cdc-alerts-dev", "named for what it is and the stack");
        assert.deepEqual(rule.inputs.scopes, [workspace.id]);
        const identity = run.one("azure-native:managedidentity:UserAssignedIdentity");
        assert.deepEqual(rule.inputs.identity, { type: "UserAssigned", userAssignedIdentities: [identity.id] });
        const viewer = run.byType("azure-native:kusto:DatabasePrincipalAssignment").find((a) => a.inputs.role === "Viewer")!;
        assert.equal(viewer.inputs.principalId, "99999999-8888-7777-6666-555555555555", "the rule's identity, by client id");
        assert.equal(viewer.inputs.principalType, "App");
        assert.deepEqual(rule.inputs.actions.actionGroups, [], "no alerts.emails: the alert shows in Azure only");
        assert.deepEqual(run.byType("azure-native:monitor:ActionGroup"), []);
    });

    it("tells someone when a task fails for one table while the heartbeat flows: the workers' health records reach ADX through the sink, and a second rule reads them", async () => {
        const rules = run.byType("azure-native:monitor:ScheduledQueryRule");
        const stalled = rules.find((r) => !r.name.endsWith("-failed-tasks-rule"))!;
        const failed = rules.find((r) => r.name.endsWith("-failed-tasks-rule"))!;
        const outputs = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "dev stack");
        assert.equal(
            failed.inputs.criteria.allOf[0].query,
            failedTasksQuery(adxTableReference(outputs.adx.queryUri, "cdc", WORKER_HEALTH_ADX.table), FAILED_TASK_ALERT.failingSeconds, FAILED_TASK_ALERT.silenceSeconds),
        );
        // The same workspace, identity (Viewer on the one database) and recipients as the stalled rule.
        for (const key of ["scopes", "identity", "actions", "evaluationFrequency", "autoMitigate", "skipQueryValidation"])
            assert.deepEqual(failed.inputs[key], stalled.inputs[key], key);
        assert.match(failed.inputs.description, /failing for 15 minutes/);
        // The health table's model, and the sink's route to it from the workers' health topic (one partition more to read).
        const health = run.byType("pulumi-nodejs:dynamic/pg-adx-cdc:KqlSchema").find((k) => k.name.endsWith("kql-worker-health"))!;
        assert.ok(health.inputs.scripts.some((script: any) => script.text.includes(`.create-merge table ${WORKER_HEALTH_ADX.table} (`)));
        const sink = run.byType("pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector").find((c) => c.inputs.config["connector.class"]?.includes("Kusto"))!;
        assert.ok(sink.inputs.config.topics.split(",").includes("pg-adx-cdc-connect-health"), sink.inputs.config.topics);
        assert.match(
            sink.inputs.config["kusto.tables.topics.mapping"],
            /'topic': 'pg-adx-cdc-connect-health', 'db': 'cdc', 'table': 'pgadxcdc_worker_health', 'format': 'json', 'mapping': 'pgadxcdc_worker_health_json'/,
        );
    });

    it("opens the firewall only to the configured address and the deployer, never the internet", () => {
        const rules = run.byType("azure-native:dbforpostgresql:FirewallRule").map((r) => r.inputs);
        assert.deepEqual(rules.map((r) => [r.startIpAddress, r.endIpAddress]).sort(), [
            ["198.51.100.23", "198.51.100.23"],
            ["203.0.113.10", "203.0.113.10"],
        ]);
        for (const r of rules) assert.notEqual(r.startIpAddress, "0.0.0.0");
    });

    it("binds every published container port to 127.0.0.1 and starts Connect after Kafka", () => {
        const containers = run.byType("docker:index/container:Container");
        for (const c of containers) for (const p of c.inputs.ports ?? []) assert.equal(p.ip, "127.0.0.1", `${c.name} publishes ${p.external} on ${p.ip}`);
        const connect = containers.find((c) => c.name === "cdc-kafka-connect")!;
        assert.ok(connect, "a Connect container");
        assert.equal(connect.inputs.wait, true);
        assert.equal(run.one("docker:index/image:Image").inputs.buildOnPreview, false, "PR previews need no Docker build");
    });

    it("the broker's host listener (published on 127.0.0.1 for the operator commands) asks for a password: SASL PLAIN, one user, the password only in a file of the broker container", async () => {
        const broker = run.byType("docker:index/container:Container").find((c) => c.name === "cdc-kafka-kafka")!;
        const env = Object.fromEntries((broker.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
        assert.match(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, /(^|,)HOST:SASL_PLAINTEXT(,|$)/);
        assert.match(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP, /(^|,)INTERNAL:PLAINTEXT(,|$)/, "the Docker network's listener (the workers') stays as it was");
        assert.equal(env.KAFKA_LISTENER_NAME_HOST_SASL_ENABLED_MECHANISMS, "PLAIN");
        assert.equal(broker.inputs.ports[0].external, Number(env.KAFKA_ADVERTISED_LISTENERS.match(/HOST:\/\/127\.0\.0\.1:(\d+)/)![1]), "the published port is the host listener");
        const jaasFile = env.KAFKA_OPTS.replace("-Djava.security.auth.login.config=", "");
        assert.ok(jaasFile.startsWith("/opt/kafka/config/pg-adx-cdc/"), env.KAFKA_OPTS);
        const uploads = unsecret(broker.inputs.uploads) as { file: string; content: string; permissions: string }[];
        assert.deepEqual(
            uploads.map((u) => [u.file, u.permissions]),
            [[jaasFile, "0444"]],
        );
        assert.ok(uploads[0].content.includes(`user_operator="${MOCK_KAFKA_OPERATOR_PASSWORD}"`) && uploads[0].content.startsWith("host.KafkaServer {"));
        assert.ok(!JSON.stringify(broker.inputs.envs).includes(MOCK_KAFKA_OPERATOR_PASSWORD), "the password is in no environment variable");
        // Operators: the password is a secret output, and the operations outputs say where they read it from.
        const output = await resolveOutput<string>(run.program[BROKER_HOST_PASSWORD_OUTPUT]);
        assert.deepEqual([output.value, output.secret], [MOCK_KAFKA_OPERATOR_PASSWORD, true]);
        const operations = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "mocked dev stack");
        assert.deepEqual(operations.kafkaAuthentication, brokerHostOperatorAuthentication());
        assert.equal(operations.kafkaAuthentication?.mechanism === "PLAIN" && operations.kafkaAuthentication.passwordEnvVar, OPERATOR_SECRET_ENV.kafkaPassword);
    });

    it("carries the stack name in Azure and Docker resource names", () => {
        assert.match(run.one("azure-native:resources:ResourceGroup").inputs.resourceGroupName, /-dev$/);
        assert.match(run.one("azure-native:kusto:Cluster").inputs.clusterName, /^adxcdcdev/);
        assert.match(run.one("azure-native:dbforpostgresql:Server").inputs.serverName, /^pg-adx-cdc-dev-/);
        for (const c of run.byType("docker:index/container:Container")) assert.match(c.inputs.name, /-dev$/);
    });

    it("keeps secrets secret and out of every dynamic resource's inputs (the Connect REST credentials only as a Pulumi secret)", async () => {
        // The providers that call Connect get its REST credentials as a secret input: encrypted in state, "[secret]" in diffs.
        const restCallers = allDynamic().filter((r) => r.inputs.connectCredentials !== undefined);
        assert.deepEqual(restCallers.map((r) => r.type.split(":").pop()).sort(), ["IncrementalSnapshot", "KafkaConnector", "KafkaConnector"]);
        // What the snapshot resource compares to re-read a table by itself: the stack passes every shape the catalog gives, and the topic prefix for a replaced table's fence.
        const snapshot = restCallers.find((r) => r.type.endsWith("IncrementalSnapshot"))!;
        for (const shape of ["tableColumns", "tableColumnTypes", "tableRelations", "tableEnumLabels", "tablePartitions", "adxTableGenerations"])
            assert.ok(snapshot.inputs[shape] && typeof snapshot.inputs[shape] === "object", `the snapshot resource gets ${shape}`);
        assert.equal(
            snapshot.inputs.topicPrefix,
            run.byType("pulumi-nodejs:dynamic/pg-adx-cdc:KafkaConnector").find((c) => c.inputs.config?.["topic.prefix"])!.inputs.config["topic.prefix"],
        );
        for (const r of restCallers) {
            assert.ok(SECRET_SIGNATURE in r.inputs.connectCredentials, `${r.name}: the credentials are a Pulumi secret`);
            assert.deepEqual(r.inputs.connectCredentials.value, { username: "pg-adx-cdc", password: MOCK_CONNECT_REST_PASSWORD });
        }
        const serialized = JSON.stringify(allDynamic().map((r) => ({ ...r.inputs, __provider: undefined, connectCredentials: undefined })));
        assert.ok(allDynamic().length === 9 && serialized.includes("SCRAM-SHA-256$"), "the bootstrap gets a verifier, not the password");
        for (const secret of MOCK_SECRETS) assert.ok(!serialized.includes(secret), `a dynamic resource input contains ${secret}`);
        const connect = run.byType("docker:index/container:Container").find((c) => c.name === "cdc-kafka-connect")!;
        assert.equal(
            secretFilesOf(connect, CONNECT_IMAGE_USER.uid)["/run/secrets/pg-adx-cdc/kusto-sink-app-key"],
            "mock-client-secret-value",
            "the worker gets the sink secret as a file",
        );
        for (const secret of MOCK_SECRETS) assert.ok(!JSON.stringify(connect.inputs.envs).includes(secret), `the workers' environment holds no secret (${secret})`);
        for (const c of run.dynamic("KafkaConnector"))
            for (const [k, v] of Object.entries<string>(c.inputs.config)) if (/password|appkey/.test(k)) assert.match(v, /^\$\{dir:\/run\/secrets\/pg-adx-cdc:[a-z-]+\}$/);
        const shown = JSON.stringify(run.resources.map((r) => displayedInputs(r.inputs)));
        for (const secret of MOCK_SECRETS) assert.ok(!shown.includes(secret), `a preview diff could show ${secret}`);
    });

    it("exports what an operator needs", async () => {
        const uri = await resolveOutput(run.program.adxQueryUri as pulumi.Output<string>);
        assert.match(uri.value, /^https:\/\/adxcdcdev.*\.kusto\.windows\.net$/);
        assert.deepEqual(run.program.topics, ["cdc.retail.orders_info"]);
        const links = await resolveOutput(run.program.analyticsLinks as pulumi.Output<Record<string, string>>);
        assert.match(links.value.TotalSalesPerCity, /^https:\/\/adxcdcdev\w*\.westeurope\.kusto\.windows\.net\/cdc\?query=TotalSalesPerCity\(\)&web=1$/);
        // Every link opens a function the stack applies: the current state and the overlay's, nothing else.
        assert.deepEqual(Object.keys(links.value), ["retail_orders_info_current", "AverageSalesPerCity", "TotalSalesPerCity", "OrdersPerCity"]);
        assert.equal((await resolveOutput(run.program.connectRestUrl as pulumi.Output<string>)).value ?? run.program.connectRestUrl, "http://127.0.0.1:8083");
        const operations = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "mocked dev stack");
        assert.deepEqual(operations.postgres, {
            host: "pg-adx-cdc-dev-abc123.postgres.database.azure.com",
            port: 5432,
            database: "retail",
            user: "cdc_operator",
            sslMode: "require",
            slotName: "debezium_cdc",
            signalTable: "cdc_meta.signal_cdc",
            publicationName: "debezium_cdc_pub",
            walGuardLogTable: "cdc_meta.wal_guard_log_cdc",
        });
        assert.deepEqual(operations.adx.tables, [
            {
                sourceTable: "retail.orders_info",
                rawTable: "retail_orders_info_changes",
                functionName: "retail_orders_info_current",
                view: "retail_orders_info_latest",
                fences: "retail_orders_info_fences",
                keys: ["orderid"],
                recordColumn: "record",
                partitionColumn: "kafka_partition",
                offsetColumn: "kafka_offset",
                stampColumn: "emission_stamp",
                sourceTsColumn: "source_ts",
                opColumn: "op",
                lsnColumn: "lsn",
                changeOrderColumn: "change_order",
            },
        ]);
        assert.equal(operations.kafkaBootstrapServers, "127.0.0.1:9092");
        assert.equal(operations.deadLetterTopic, "cdc.adx-sink.dlq");
    });

    it("every name the stack gives its parts is the pipeline plan's (plan/pipelinePlan.ts), the plan the local pipeline, the demo and the e2e run take theirs from", () => {
        const plan = planPipeline({ topicPrefix: "cdc", tables: ["retail.orders_info"] });
        assert.deepEqual(
            run.dynamic("KafkaConnector").map((c) => c.inputs.connectorName),
            [plan.connectors.source, plan.connectors.sink],
        );
        const bootstrap = run.dynamic("PostgresSourceBootstrap")[0].inputs;
        assert.equal(bootstrap.slotName, plan.postgres.slotName);
        const objects = unsecret(bootstrap.bootstrap);
        assert.equal(objects.publicationName, plan.postgres.publicationName);
        assert.equal(objects.heartbeatTable, plan.postgres.heartbeatTable);
        assert.equal(objects.signalTable, plan.postgres.signalTable);
        const sink = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === plan.connectors.sink)!.inputs.config;
        for (const t of [...plan.tables, plan.heartbeat])
            assert.ok(sink["kusto.tables.topics.mapping"].includes(`'topic': '${t.topic}', 'db': 'cdc', 'table': '${t.adx.changes}'`), t.table);
        assert.equal(sink["errors.deadletterqueue.topic.name"], plan.deadLetterTopic);
        assert.deepEqual(
            run.program.topics,
            plan.tables.map((t) => t.topic),
        );
    });

    it("keeps every URN a deployed dev stack has (a moved resource carries an alias), so pulumi up replaces nothing", () => {
        assertUrnsKept("dev");
    });
});
