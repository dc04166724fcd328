// What a worker lets a connector do beyond the stack's own connectors: client overrides only from
// the allow-list the config builders use, and secrets only as files of the worker's secrets directory.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import {
    buildConnectWorkerSettings,
    CLIENT_OVERRIDE_POLICY_CLASS,
    CONNECTOR_CLIENT_OVERRIDES,
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
const EVENT_HUBS = { mode: "eventhubs" as const, passwordReference: secret("eventHubsConnectionString") };

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
        for (const endpoint of [undefined, EVENT_HUBS]) {
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
        assert.throws(() => worker({ mode: "eventhubs", passwordReference: "Endpoint=sb://x/;SharedAccessKey=k" }), /Event Hubs password must be a reference/);
    });

    it("sinks never reset their offsets by themselves, and no connector may override that", () => {
        for (const endpoint of [undefined, EVENT_HUBS]) {
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
