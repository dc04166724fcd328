// The whole program under Pulumi mocks with Pulumi.prod.yaml: production SKUs, high availability
// with failover slots, long retention, data kept on destroy.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { CLIENT_CONFIG, MOCK_EVENT_HUBS_KEY, mockServicePrincipalObjectId, REGISTERED_URNS, resolveOutput, secretFilesOf } from "../support/pulumiMocks";
import { CONNECT_IMAGE_USER, MANAGED_IDENTITY_LOGIN_HANDLER_CLASS, OPERATOR_SECRET_ENV } from "../../connectors/workerSettings";
import { EVENT_HUBS_DATA_ROLES } from "../../components/eventHubsKafka";
import { parseOperationsOutputs } from "../../contract/stackOutputs";
import { connectWorkerEnvironments, displayedInputs, MOCK_SECRETS, ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";
import { assertUrnsKept, oldResourcesTakenOver } from "../support/stackUrns";

let run: ProgramRun;

before(async () => {
    // Production with someone on call: every alert e-mails them.
    run = await runProgramWithStackFile("prod", { "pg-adx-cdc:alerts": { emails: ["oncall@example.com"] } });
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
        // Debezium verifies Azure's certificate and host name against the JVM's trust store (the image adds Azure's roots).
        assert.equal(source.inputs.config["database.sslmode"], "verify-full");
        assert.equal(source.inputs.config["database.sslfactory"], "org.postgresql.ssl.DefaultJavaSSLFactory");
    });

    it("opens the firewall to the Connect host only, and makes the CI identity the ADX deployer", () => {
        const rules = run.byType("azure-native:dbforpostgresql:FirewallRule").map((r) => [r.inputs.startIpAddress, r.inputs.endIpAddress]);
        assert.deepEqual(rules, [["203.0.113.20", "203.0.113.20"]]);
        const admin = run.byType("azure-native:kusto:DatabasePrincipalAssignment").find((a) => a.inputs.role === "Admin")!;
        assert.equal(admin.inputs.principalType, "App");
        assert.equal(admin.inputs.principalId, CLIENT_CONFIG.clientId);
    });

    it("runs Kafka on Event Hubs Premium: a zone-redundant namespace, an event hub per topic (Connect's three compacted), no broker container", () => {
        const namespace = run.one("azure-native:eventhub:Namespace").inputs;
        assert.deepEqual(namespace.sku, { name: "Premium", tier: "Premium", capacity: 1 });
        assert.equal(namespace.zoneRedundant, true);
        assert.equal(namespace.minimumTlsVersion, "1.2");
        const hubs = Object.fromEntries(run.byType("azure-native:eventhub:EventHub").map((h) => [h.inputs.eventHubName, h.inputs]));
        assert.deepEqual(Object.keys(hubs).sort(), [
            "cdc.adx-sink.dlq",
            "cdc.cdc_meta.heartbeat_cdc",
            "cdc.retail.orders_info",
            "pg-adx-cdc-connect-configs",
            "pg-adx-cdc-connect-health",
            "pg-adx-cdc-connect-offsets",
            "pg-adx-cdc-connect-status",
        ]);
        // The workers' health records (the failed-task alert's input): a data hub of one partition.
        assert.deepEqual([hubs["pg-adx-cdc-connect-health"].partitionCount, hubs["pg-adx-cdc-connect-health"].retentionDescription.cleanupPolicy], [1, "Delete"]);
        for (const name of ["pg-adx-cdc-connect-configs", "pg-adx-cdc-connect-offsets", "pg-adx-cdc-connect-status"]) {
            assert.equal(hubs[name].retentionDescription.cleanupPolicy, "Compact", `${name} is compacted`);
        }
        assert.equal(hubs["pg-adx-cdc-connect-configs"].partitionCount, 1, "Connect requires one partition for its config topic");
        assert.deepEqual(hubs["cdc.retail.orders_info"].retentionDescription, { cleanupPolicy: "Delete", retentionTimeInHours: 168 });
        assert.equal(hubs["cdc.retail.orders_info"].partitionCount, 4);
        // The data topics' partition counts are held by the guard, whose check refuses a change at preview.
        assert.deepEqual(run.one("pulumi-nodejs:dynamic/pg-adx-cdc:TopicPartitionsGuard").inputs.topics, [{ name: "cdc.retail.orders_info", partitions: 4 }]);
        // The namespace admits the Connect host only (postgres.allowedClientCidrs names it in Pulumi.prod.yaml).
        const network = run.one("azure-native:eventhub:NamespaceNetworkRuleSet").inputs;
        assert.equal(network.defaultAction, "Deny");
        assert.equal(network.trustedServiceAccessEnabled, false);
        assert.deepEqual(network.ipRules, [{ ipMask: "203.0.113.20/32", action: "Allow" }]);
    });

    it("replaces containers as Docker allows (delete first: fixed names and ports) and the workers one after the other, so a rotation never stops the whole group", () => {
        const containers = REGISTERED_URNS.filter((r) => r.type === "docker:index/container:Container");
        assert.ok(containers.length >= 2);
        for (const c of containers) assert.equal(c.deleteBeforeReplace, true, `${c.name} is deleted before it is replaced`);
        const [first, second] = containers.filter((c) => /-connect(-\d+)?$/.test(c.name));
        assert.ok(second.dependencies.includes(first.urn), "the second worker waits for the first (healthy) before its own replacement");
        assert.ok(!first.dependencies.includes(second.urn));
    });

    it("Event Hubs through Entra ID: local (SAS) auth off, no rule and no key; the workers' identity may send and receive, the deployer receive, on this namespace only", () => {
        const namespace = run.one("azure-native:eventhub:Namespace");
        assert.equal(namespace.inputs.disableLocalAuth, true, "no SAS key is accepted, not even one made outside the stack");
        assert.deepEqual(run.byType("azure-native:eventhub:NamespaceAuthorizationRule"), [], "no SAS rule exists");
        assert.deepEqual(run.dynamic("EventHubsKeyRotation"), [], "no key to rotate");
        const role = (id: string) => `/subscriptions/${CLIENT_CONFIG.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
        const workers = mockServicePrincipalObjectId("4a3b2c1d-8e7f-4a6b-9c5d-0e1f2a3b4c5d");
        const grants = run
            .byType("azure-native:authorization:RoleAssignment")
            .filter((g) => g.inputs.scope === `${namespace.name}-id`)
            .map((g) => [g.inputs.principalId, g.inputs.principalType, g.inputs.roleDefinitionId]);
        assert.deepEqual(grants, [
            [workers, "ServicePrincipal", role(EVENT_HUBS_DATA_ROLES.sender.id)],
            [workers, "ServicePrincipal", role(EVENT_HUBS_DATA_ROLES.receiver.id)],
            // The deployer (prod deploys from CI as an application) runs status: it reads, it cannot write.
            [CLIENT_CONFIG.objectId, "ServicePrincipal", role(EVENT_HUBS_DATA_ROLES.receiver.id)],
        ]);
    });

    it("operators reach Event Hubs with their own Entra login (the namespace's token audience), and no connection string is handed out", async () => {
        assert.equal(run.program.eventHubsConnectionString, undefined, "no connection string output");
        const outputs = parseOperationsOutputs((await resolveOutput(run.program.operations)).value, "prod stack");
        assert.match(outputs.kafkaBootstrapServers, /^pg-adx-cdc-prod-.*\.servicebus\.windows\.net:9093$/);
        assert.deepEqual(outputs.kafkaAuthentication, {
            protocol: "SASL_SSL",
            mechanism: "OAUTHBEARER",
            resource: `https://${outputs.kafkaBootstrapServers.replace(/:9093$/, "")}`,
            tokenEnvVar: OPERATOR_SECRET_ENV.eventHubsAccessToken,
        });
        const containers = run.byType("docker:index/container:Container").map((c) => c.inputs.name);
        assert.ok(!containers.some((n: string) => n.includes("kafka")), `no broker container (${containers.join(", ")})`);
    });

    it("runs two Connect workers in one group against Event Hubs over SASL_SSL as the host's managed identity (OAUTHBEARER): no Event Hubs secret in any file, variable or input", () => {
        const workers = connectWorkerEnvironments(run);
        assert.deepEqual(
            workers.map((w) => w.worker.inputs.ports[0].external),
            [8083, 8084],
            "two workers",
        );
        for (const { worker, env } of workers) {
            assert.equal(env.GROUP_ID, "pg-adx-cdc-connect");
            assert.match(env.BOOTSTRAP_SERVERS, /^pg-adx-cdc-prod-.*\.servicebus\.windows\.net:9093$/);
            const resource = `https://${env.BOOTSTRAP_SERVERS.replace(/:9093$/, "")}`;
            for (const prefix of ["CONNECT_", "CONNECT_PRODUCER_", "CONNECT_CONSUMER_", "CONNECT_ADMIN_"]) {
                assert.equal(env[`${prefix}SECURITY_PROTOCOL`], "SASL_SSL");
                assert.equal(env[`${prefix}SASL_MECHANISM`], "OAUTHBEARER");
                assert.equal(env[`${prefix}SASL_LOGIN_CALLBACK_HANDLER_CLASS`], MANAGED_IDENTITY_LOGIN_HANDLER_CLASS);
                assert.equal(
                    env[`${prefix}SASL_JAAS_CONFIG`],
                    `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required resource="${resource}" clientId="4a3b2c1d-8e7f-4a6b-9c5d-0e1f2a3b4c5d";`,
                );
            }
            assert.equal(env.CONNECT_PRODUCER_MAX_REQUEST_SIZE, "1000000");
            assert.equal(env.CONNECT_METADATA_MAX_AGE_MS, "180000");
            assert.equal(env.CONNECT_CONNECTIONS_MAX_IDLE_MS, "180000");
            assert.equal(env.CONNECT_REQUEST_TIMEOUT_MS, "60000");
            assert.equal(env.CONNECT_TOPIC_CREATION_ENABLE, "false");
            assert.ok(!("/run/secrets/pg-adx-cdc/eventhubs-connection-string" in secretFilesOf(worker, CONNECT_IMAGE_USER.uid)), "no Event Hubs secret file");
            assert.ok(!JSON.stringify(env).includes(MOCK_EVENT_HUBS_KEY) && !/SharedAccessKey/.test(JSON.stringify(env)));
        }
        // The workers start only once their identity holds its roles on the namespace.
        const urnOf = (name: string) => REGISTERED_URNS.find((u) => u.name === name)!;
        const grants = run.byType("azure-native:authorization:RoleAssignment").filter((g) => g.name.startsWith("cdc-event-hubs-workers-"));
        assert.equal(grants.length, 2);
        for (const grant of grants) assert.ok(urnOf("cdc-kafka-connect").dependencies.includes(urnOf(grant.name).urn), `the first worker waits for ${grant.name}`);
        const source = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-postgres-source")!;
        assert.equal(source.inputs.config["producer.override.compression.type"], "gzip", "Event Hubs rejects lz4");
        assert.deepEqual(
            Object.keys(source.inputs.config).filter((k) => k.startsWith("topic.creation.")),
            [],
            "every event hub exists beforehand: the source asks Connect to create none",
        );
        const sink = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-adx-sink")!;
        assert.equal(sink.inputs.config["tasks.max"], "6", "one task per partition read: the table's 4, the heartbeat's and the workers' health");
        for (const connector of run.dynamic("KafkaConnector")) {
            assert.equal(connector.inputs.connectUrl, "http://127.0.0.1:8083");
            assert.deepEqual(connector.inputs.standbyConnectUrls, ["http://127.0.0.1:8084"], "the second worker serves pulumi when the first is down");
        }
    });

    it("the Kusto sink runs as the Connect host's managed identity: no application, no secret anywhere, Ingestor granted to that identity", () => {
        const clientId = "4a3b2c1d-8e7f-4a6b-9c5d-0e1f2a3b4c5d";
        const sink = run.dynamic("KafkaConnector").find((c) => c.inputs.connectorName === "cdc-adx-sink")!;
        assert.equal(sink.inputs.config["aad.auth.strategy"], "managed_identity");
        assert.equal(sink.inputs.config["aad.auth.appid"], clientId);
        assert.equal(sink.inputs.config["aad.auth.appkey"], undefined);
        assert.deepEqual(run.byType("azuread:index/application:Application"), []);
        assert.deepEqual(run.byType("azuread:index/applicationPassword:ApplicationPassword"), []);
        assert.deepEqual(
            run.byType("azure-native:managedidentity:UserAssignedIdentity").filter((r) => r.name.startsWith("cdc-sink")),
            [],
            "an existing identity is used, none created",
        );
        const grant = run.byType("azure-native:kusto:DatabasePrincipalAssignment").find((r) => r.name === "cdc-sink-identity-ingestor")!;
        assert.equal(grant.inputs.principalId, clientId);
        assert.equal(grant.inputs.role, "Ingestor");
        for (const worker of run.byType("docker:index/container:Container").filter((c) => c.inputs.name.startsWith("pg-adx-cdc-connect-")))
            assert.ok(!("/run/secrets/pg-adx-cdc/kusto-sink-app-key" in secretFilesOf(worker, CONNECT_IMAGE_USER.uid)), "no sink secret file in the workers");
    });

    it("shows no secret in anything a preview diff prints", () => {
        const shown = JSON.stringify(run.resources.map((r) => displayedInputs(r.inputs)));
        for (const secret of MOCK_SECRETS) assert.ok(!shown.includes(secret), `a preview diff could show ${secret}`);
    });

    it("tells the on-call address through one action group: the server's storage and slot alerts and the pipeline-stalled alert", () => {
        const group = run.one("azure-native:monitor:ActionGroup");
        assert.deepEqual(
            group.inputs.emailReceivers.map((r: any) => r.emailAddress),
            ["oncall@example.com"],
        );
        const groupId = group.id;
        for (const a of run.byType("azure-native:monitor:MetricAlert")) assert.deepEqual(a.inputs.actions, [{ actionGroupId: groupId }], a.name);
        const rules = run.byType("azure-native:monitor:ScheduledQueryRule");
        assert.equal(rules.length, 2, "pipeline stalled, and a task failed");
        for (const rule of rules) assert.deepEqual(rule.inputs.actions.actionGroups, [groupId], rule.name);
    });

    it("the action group keeps its place in stacks that had it under the Azure server (postgres.alertEmails), as a child and from before the component", () => {
        const under = (chain: string, name: string) =>
            `urn:pulumi:prod::pg-adx-cdc::${chain}pg-adx-cdc:index:PostgresSource$pg-adx-cdc:index:AzurePostgresServer$azure-native:monitor:ActionGroup::${name}`;
        for (const old of [under("pg-adx-cdc:index:CdcPipeline$", "cdc-postgres-azure-alerts"), under("", "postgres-azure-alerts")]) {
            const takenOver = oldResourcesTakenOver(REGISTERED_URNS, new Set([old]));
            assert.match(takenOver.get(old) ?? "", /monitor:ActionGroup::cdc-alert-actions$/, old);
        }
    });

    it("keeps every URN a deployed prod stack has (a moved resource carries an alias), so pulumi up replaces nothing", () => {
        assertUrnsKept("prod");
    });
});
