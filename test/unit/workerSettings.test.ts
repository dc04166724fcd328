// What a worker lets a connector do beyond the stack's own connectors: client overrides only from
// the allow-list the config builders use, and secrets only as files of the worker's secrets directory.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    buildConnectWorkerSettings,
    CLIENT_OVERRIDE_POLICY_CLASS,
    CONNECTOR_CLIENT_OVERRIDES,
    eventHubsOperatorAuthentication,
    eventHubsTokenResource,
    MANAGED_IDENTITY_LOGIN_HANDLER_CLASS,
    OPERATOR_SECRET_ENV,
    SINK_ASSIGNOR_KEY,
    SINK_AUTO_CREATE_KEY,
    SINK_OFFSET_RESET_KEY,
    STACK_WORKER_SECRETS_DIR,
    WORKER_SECRET_FILES,
    workerSecretFiles,
    workerSecretReference,
} from "../../connectors/workerSettings";
import { buildDebeziumSourceConfig, KAFKA_COMPRESSION_TYPES } from "../../connectors/debeziumSource";
import { buildKustoSinkConfig } from "../../connectors/kustoSink";

const worker = (endpoint?: Parameters<typeof buildConnectWorkerSettings>[0]["endpoint"]) =>
    buildConnectWorkerSettings({
        bootstrapServers: "kafka:9092",
        groupId: "g",
        replicationFactor: 1,
        restListener: "http://0.0.0.0:8083",
        advertisedHost: "connect",
        secretsDir: STACK_WORKER_SECRETS_DIR,
        endpoint,
    });
const secret = (name: keyof typeof WORKER_SECRET_FILES) => workerSecretReference(STACK_WORKER_SECRETS_DIR, name);
const EVENT_HUBS = { mode: "eventhubs" as const, authentication: { kind: "sharedAccessKey" as const, passwordReference: secret("eventHubsConnectionString") } };
const WORKERS_IDENTITY = "6f1c2e0a-4b7d-4c39-9e0b-5a8d2f3c1e77";
const EVENT_HUBS_ENTRA = {
    mode: "eventhubs" as const,
    authentication: { kind: "managedIdentity" as const, resource: eventHubsTokenResource("ns-abc123.servicebus.windows.net:9093"), clientId: WORKERS_IDENTITY },
};

const sources = (["tuned", "quickstart"] as const).flatMap((profile) =>
    KAFKA_COMPRESSION_TYPES.map((compression) =>
        buildDebeziumSourceConfig({
            connectorName: "cdc-postgres-source",
            database: { host: "pg", port: 5432, name: "app", user: "cdc_replicator", passwordReference: secret("postgresReplicationPassword"), sslMode: "require" },
            tables: ["retail.orders_info"],
            topicPrefix: "cdc",
            slotName: "debezium_cdc",
            publicationName: "dbz_cdc",
            heartbeatTable: "cdc_meta.heartbeat_cdc",
            signalTable: "cdc_meta.signal_cdc",
            profile,
            compression,
        }),
    ),
);
const sinks = [
    buildKustoSinkConfig({
        connectorName: "cdc-adx-sink",
        ingestionUrl: "https://ingest-c.westeurope.kusto.windows.net",
        queryUrl: "https://c.westeurope.kusto.windows.net",
        auth: { strategy: "application", tenantId: "t", appId: "a", appKeyReference: secret("kustoSinkAppKey") },
        targets: [{ topic: "cdc.retail.orders_info", database: "cdc", table: "retail_orders_info_changes", mapping: "retail_orders_info_changes_json", streaming: true }],
        deadLetterTopic: "cdc.adx-sink.dlq",
        deadLetterReplicationFactor: 1,
    }),
];

describe("Connect worker: what any connector may do", () => {
    it("runs pg-adx-cdc's allow-list override policy with exactly the overrides the stack's connectors set", () => {
        const settings = worker();
        assert.equal(settings["connector.client.config.override.policy"], CLIENT_OVERRIDE_POLICY_CLASS);
        assert.deepEqual(settings["pgadxcdc.client.overrides.allowed"].split(",").sort(), Object.values(CONNECTOR_CLIENT_OVERRIDES).sort());
        const used = new Set([...sources, ...sinks].flatMap((config) => Object.keys(config).filter((k) => /^(producer|consumer|admin)\.override\./.test(k))));
        assert.deepEqual([...used].sort(), Object.values(CONNECTOR_CLIENT_OVERRIDES).sort(), "every override a builder sets is allowed, and every allowed one is used");
    });

    it("reads secrets only as files of the secrets directory; no provider reads the worker's environment", () => {
        for (const endpoint of [undefined, EVENT_HUBS, EVENT_HUBS_ENTRA]) {
            const settings = worker(endpoint);
            assert.equal(settings["config.providers"], "dir", "one provider: the directory one");
            assert.equal(settings["config.providers.dir.class"], "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
            assert.equal(settings["config.providers.dir.param.allowed.paths"], STACK_WORKER_SECRETS_DIR, "it reads no other directory");
            assert.ok(!JSON.stringify(settings).includes("EnvVarConfigProvider") && !JSON.stringify(settings).includes("${env:"));
            const referenced = [...JSON.stringify([settings, ...sources, ...sinks]).matchAll(/\$\{([a-z]+):([^:}]*):([^}]*)\}/g)];
            assert.ok(referenced.length >= 2);
            for (const [, provider, dir, file] of referenced) {
                assert.equal(provider, "dir");
                assert.equal(dir, STACK_WORKER_SECRETS_DIR);
                assert.ok((Object.values(WORKER_SECRET_FILES) as string[]).includes(file), `${file} is one of the worker's secret files`);
            }
        }
    });

    it("writes each secret to its own file, exactly its value, and refuses a secret where a reference belongs", () => {
        assert.deepEqual(workerSecretFiles("/s", { postgresReplicationPassword: "p w\n", kustoSinkAppKey: "", eventHubsConnectionString: undefined }), [
            { path: "/s/postgres-replication-password", content: "p w\n" },
        ]);
        assert.throws(() => workerSecretReference("relative/dir", "kustoSinkAppKey"), /absolute path/);
        assert.throws(
            () =>
                buildKustoSinkConfig({
                    connectorName: "s",
                    ingestionUrl: "https://ingest-c.westeurope.kusto.windows.net",
                    queryUrl: "https://c.westeurope.kusto.windows.net",
                    auth: { strategy: "application", tenantId: "t", appId: "a", appKeyReference: "the-secret-itself" },
                    targets: [{ topic: "t", database: "d", table: "t_changes", mapping: "t_json", streaming: true }],
                    deadLetterTopic: "d",
                    deadLetterReplicationFactor: 1,
                }),
            /aad\.auth\.appkey must be a reference to a worker secret file/,
        );
        assert.throws(
            () => worker({ mode: "eventhubs", authentication: { kind: "sharedAccessKey", passwordReference: "Endpoint=sb://x/;SharedAccessKey=k" } }),
            /Event Hubs password must be a reference/,
        );
    });

    it("sinks never reset their offsets by themselves, and no connector may override that", () => {
        for (const endpoint of [undefined, EVENT_HUBS, EVENT_HUBS_ENTRA]) {
            assert.equal(worker(endpoint)[SINK_OFFSET_RESET_KEY], "none");
            assert.equal(worker(endpoint)[SINK_ASSIGNOR_KEY], "org.apache.kafka.clients.consumer.RoundRobinAssignor", "every task holds a share of the partitions");
            assert.equal(worker(endpoint)[SINK_AUTO_CREATE_KEY], "false", "the sink never creates a topic with the broker's one partition by subscribing first");
            assert.ok(
                !worker(endpoint)
                    ["pgadxcdc.client.overrides.allowed"].split(",")
                    .some((k) => k.endsWith("auto.offset.reset")),
            );
        }
        for (const sink of sinks) assert.ok(!Object.keys(sink).some((k) => k.endsWith("auto.offset.reset")), "the sink's own config leaves the worker's policy in force");
    });
});

describe("Connect worker on Event Hubs with Entra ID (the workers' managed identity)", () => {
    const settings = worker(EVENT_HUBS_ENTRA);
    const clients = ["", "producer.", "consumer.", "admin."];

    it("every client (the worker's own, and the connectors' producers, consumers and admin clients) logs in with OAUTHBEARER as the identity, for the namespace", () => {
        assert.equal(
            EVENT_HUBS_ENTRA.authentication.resource,
            "https://ns-abc123.servicebus.windows.net",
            "the token's audience is the namespace, as Event Hubs' Kafka endpoint requires",
        );
        for (const prefix of clients) {
            assert.equal(settings[`${prefix}security.protocol`], "SASL_SSL");
            assert.equal(settings[`${prefix}sasl.mechanism`], "OAUTHBEARER");
            assert.equal(settings[`${prefix}sasl.login.callback.handler.class`], MANAGED_IDENTITY_LOGIN_HANDLER_CLASS);
            assert.equal(
                settings[`${prefix}sasl.jaas.config`],
                `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required resource="https://ns-abc123.servicebus.windows.net" clientId="${WORKERS_IDENTITY}";`,
            );
        }
    });

    it("holds no key and no reference to one: no PLAIN login, no connection string", () => {
        const text = JSON.stringify(settings);
        assert.ok(!text.includes("PlainLoginModule") && !text.includes(WORKER_SECRET_FILES.eventHubsConnectionString) && !/SharedAccessKey/i.test(text));
        assert.equal(settings["topic.creation.enable"], "false", "the stack creates every event hub");
    });

    it("refuses a resource that is not a host, and a client id that is not a GUID", () => {
        assert.throws(
            () => worker({ mode: "eventhubs", authentication: { kind: "managedIdentity", resource: 'https://x" evil="1', clientId: WORKERS_IDENTITY } }),
            /token resource must be https/,
        );
        assert.throws(
            () => worker({ mode: "eventhubs", authentication: { kind: "managedIdentity", resource: "https://x.servicebus.windows.net", clientId: "name" } }),
            /must be a GUID/,
        );
        assert.throws(() => eventHubsTokenResource("not a host"), /host:port/);
    });

    it("operators get their own Entra login for the namespace, not the workers' identity nor a key", () => {
        assert.deepEqual(eventHubsOperatorAuthentication("managedIdentity", EVENT_HUBS_ENTRA.authentication.resource), {
            protocol: "SASL_SSL",
            mechanism: "OAUTHBEARER",
            resource: "https://ns-abc123.servicebus.windows.net",
            tokenEnvVar: OPERATOR_SECRET_ENV.eventHubsAccessToken,
        });
        assert.throws(() => eventHubsOperatorAuthentication("managedIdentity"), /token resource/);
    });
});
