// What a worker lets a connector do beyond the stack's own connectors: client overrides only from
// the allow-list the config builders use, and the env provider only for the stack's secrets.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { buildConnectWorkerSettings, CLIENT_OVERRIDE_POLICY_CLASS, CONNECTOR_CLIENT_OVERRIDES, SINK_OFFSET_RESET_KEY, WORKER_SECRET_ENV } from "../../connectors/workerSettings";
import { buildDebeziumSourceConfig, KAFKA_COMPRESSION_TYPES } from "../../connectors/debeziumSource";
import { buildKustoSinkConfig } from "../../connectors/kustoSink";

const worker = (endpoint?: Parameters<typeof buildConnectWorkerSettings>[0]["endpoint"]) =>
    buildConnectWorkerSettings({ bootstrapServers: "kafka:9092", groupId: "g", replicationFactor: 1, restListener: "http://0.0.0.0:8083", advertisedHost: "connect", endpoint });

const sources = (["tuned", "quickstart"] as const).flatMap((profile) =>
    KAFKA_COMPRESSION_TYPES.map((compression) =>
        buildDebeziumSourceConfig({
            connectorName: "cdc-postgres-source",
            database: { host: "pg", port: 5432, name: "app", user: "cdc_replicator", passwordEnvVar: WORKER_SECRET_ENV.postgresReplicationPassword, sslMode: "require" },
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
        auth: { strategy: "application", tenantId: "t", appId: "a", appKeyEnvVar: WORKER_SECRET_ENV.kustoSinkAppKey },
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

    it("resolves ${env:...} only for the stack's own secrets", () => {
        for (const endpoint of [undefined, { mode: "eventhubs" as const, passwordEnvVar: WORKER_SECRET_ENV.eventHubsConnectionString }]) {
            const settings = worker(endpoint);
            const allow = new RegExp(settings["config.providers.env.param.allowlist.pattern"]);
            for (const name of Object.values(WORKER_SECRET_ENV)) assert.ok(allow.test(name), name);
            for (const name of ["PATH", "HOME", "AZURE_CLIENT_SECRET", "IDENTITY_HEADER", `${WORKER_SECRET_ENV.kustoSinkAppKey}_X`, `X${WORKER_SECRET_ENV.kustoSinkAppKey}`])
                assert.ok(!allow.test(name), name);
            const referenced = [...JSON.stringify([settings, ...sources, ...sinks]).matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
            assert.ok(referenced.length >= 2);
            for (const name of referenced) assert.ok(allow.test(name), `${name} is referenced but the provider would not resolve it`);
        }
    });

    it("sinks never reset their offsets by themselves, and no connector may override that", () => {
        for (const endpoint of [undefined, { mode: "eventhubs" as const, passwordEnvVar: WORKER_SECRET_ENV.eventHubsConnectionString }]) {
            assert.equal(worker(endpoint)[SINK_OFFSET_RESET_KEY], "none");
            assert.ok(
                !worker(endpoint)
                    ["pgadxcdc.client.overrides.allowed"].split(",")
                    .some((k) => k.endsWith("auto.offset.reset")),
            );
        }
        for (const sink of sinks) assert.ok(!Object.keys(sink).some((k) => k.endsWith("auto.offset.reset")), "the sink's own config leaves the worker's policy in force");
    });
});
