// The Kafka protocol surface of Event Hubs, on the local broker: a SASL_SSL listener (a certificate
// the harness made), the PLAIN mechanism with the one user Event Hubs knows, `$ConnectionString`,
// and a connection-string-shaped password; topic auto-creation off; the pipeline's topics created up
// front from the stack's own topic list (connectors/kafkaTopics.ts), compaction on Connect's three.
// The broker keeps its PLAINTEXT listener for itself (controller, inter-broker); clients only get
// the SASL_SSL one.
import { KafkaAccess, kafkaClient } from "../runtime/kafkaClient";
import { KafkaTopicSpec } from "../connectors/kafkaTopics";
import { EVENT_HUBS_SASL_USERNAME } from "../connectors/workerSettings";

const LISTENER = "EVENTHUBS";

/** Broker settings that add the Event-Hubs-like client listener to a single-node broker's settings. */
export function eventHubsLikeListener(input: {
    settings: Record<string, string>;
    port: number;
    keyStore: { file: string; password: string };
    /** The connection string clients present as their PLAIN password. */
    password: string;
}): Record<string, string> {
    const prefix = `listener.name.${LISTENER.toLowerCase()}`;
    // The broker's PLAIN login module reads its users from `user_<name>="<password>"` options.
    const serverJaas = `org.apache.kafka.common.security.plain.PlainLoginModule required user_${EVENT_HUBS_SASL_USERNAME}="${input.password}";`;
    return {
        listeners: `${input.settings.listeners},${LISTENER}://127.0.0.1:${input.port}`,
        "advertised.listeners": `${input.settings["advertised.listeners"]},${LISTENER}://localhost:${input.port}`,
        "listener.security.protocol.map": `${input.settings["listener.security.protocol.map"]},${LISTENER}:SASL_SSL`,
        [`${prefix}.sasl.enabled.mechanisms`]: "PLAIN",
        [`${prefix}.plain.sasl.jaas.config`]: serverJaas,
        [`${prefix}.ssl.keystore.location`]: input.keyStore.file,
        [`${prefix}.ssl.keystore.password`]: input.keyStore.password,
        [`${prefix}.ssl.keystore.type`]: "PKCS12",
        "auto.create.topics.enable": "false",
    };
}

/** Creates the topics as the stack creates event hubs: partitions as listed, Connect's three compacted. */
export async function createTopics(access: KafkaAccess, topics: KafkaTopicSpec[]): Promise<void> {
    if (topics.length === 0) throw new Error("createTopics: the Event-Hubs-like broker has no auto-creation; pass the stack's topic list");
    const admin = kafkaClient(access, "pg-adx-cdc-e2e-topics", { retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2000 } }).admin();
    await admin.connect();
    try {
        await admin.createTopics({
            waitForLeaders: true,
            topics: topics.map((t) => ({
                topic: t.name,
                numPartitions: t.partitions,
                replicationFactor: 1,
                configEntries: [
                    { name: "cleanup.policy", value: t.cleanupPolicy },
                    ...(t.retentionHours ? [{ name: "retention.ms", value: String(t.retentionHours * 3_600_000) }] : []),
                ],
            })),
        });
    } finally {
        await admin.disconnect();
    }
}
