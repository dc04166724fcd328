// The Kafka protocol surface of Event Hubs, on the local broker: a SASL_SSL listener (a certificate
// the harness made) with one of Event Hubs' two ways in: Entra ID (OAUTHBEARER: a JWT signed by the
// identity double's keys, for the namespace's audience, from its issuer; with local auth off, as the stack
// deploys it with a managed identity, PLAIN is not offered at all), or SAS (PLAIN with the one user Event
// Hubs knows, `$ConnectionString`, and a connection-string-shaped password). Topic auto-creation off; the
// pipeline's topics created up front from the stack's own topic list (connectors/kafkaTopics.ts),
// compaction on Connect's three. The broker keeps its PLAINTEXT listener for itself (controller,
// inter-broker); clients only get the SASL_SSL one.
import { KafkaAccess, kafkaClient } from "../runtime/kafkaClient";
import { KafkaTopicSpec, pipelineTopics } from "../connectors/kafkaTopics";
import { planPipeline } from "../plan/pipelinePlan";
import { EVENT_HUBS_SASL_USERNAME } from "../connectors/workerSettings";

const LISTENER = "EVENTHUBS";

/** How the listener authenticates clients: Entra tokens only (local auth off), or the SAS connection string only. */
export type EventHubsLikeAuthentication =
    | { kind: "entra"; jwksUrl: string; audience: string; issuer: string }
    /** The connection string clients present as their PLAIN password. */
    | { kind: "sharedAccessKey"; password: string };

/** Broker settings that add the Event-Hubs-like client listener to a single-node broker's settings. */
export function eventHubsLikeListener(input: {
    settings: Record<string, string>;
    port: number;
    keyStore: { file: string; password: string };
    authentication: EventHubsLikeAuthentication;
}): Record<string, string> {
    const prefix = `listener.name.${LISTENER.toLowerCase()}`;
    const auth = input.authentication;
    const mechanism: Record<string, string> =
        auth.kind === "entra"
            ? {
                  [`${prefix}.sasl.enabled.mechanisms`]: "OAUTHBEARER",
                  [`${prefix}.oauthbearer.sasl.jaas.config`]: "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
                  [`${prefix}.oauthbearer.sasl.server.callback.handler.class`]: "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
                  // The broker JVM must also allow this URL (eventHubsLikeBrokerJvmFlags).
                  "sasl.oauthbearer.jwks.endpoint.url": auth.jwksUrl,
                  "sasl.oauthbearer.expected.audience": auth.audience,
                  "sasl.oauthbearer.expected.issuer": auth.issuer,
              }
            : {
                  [`${prefix}.sasl.enabled.mechanisms`]: "PLAIN",
                  // The broker's PLAIN login module reads its users from `user_<name>="<password>"` options.
                  [`${prefix}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${EVENT_HUBS_SASL_USERNAME}="${auth.password}";`,
              };
    return {
        listeners: `${input.settings.listeners},${LISTENER}://127.0.0.1:${input.port}`,
        "advertised.listeners": `${input.settings["advertised.listeners"]},${LISTENER}://localhost:${input.port}`,
        "listener.security.protocol.map": `${input.settings["listener.security.protocol.map"]},${LISTENER}:SASL_SSL`,
        ...mechanism,
        [`${prefix}.ssl.keystore.location`]: input.keyStore.file,
        [`${prefix}.ssl.keystore.password`]: input.keyStore.password,
        [`${prefix}.ssl.keystore.type`]: "PKCS12",
        "auto.create.topics.enable": "false",
    };
}

/** JVM flags the broker needs for the listener: Kafka 4 fetches a JWKS only from URLs the JVM allows. */
export function eventHubsLikeBrokerJvmFlags(authentication: EventHubsLikeAuthentication): string[] {
    return authentication.kind === "entra" ? [`-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${authentication.jwksUrl}`] : [];
}

/**
 * The pipeline's topics for a prefix and its tables, as the stack lists its event hubs (kafkaTopics.ts), for
 * the Event-Hubs-like broker to hold from the start; the Connect group is the harness's.
 */
export function eventHubsLikeTopics(input: { topicPrefix: string; tables: string[]; connectGroupId: string; tablePartitions: number }): KafkaTopicSpec[] {
    const plan = planPipeline({ topicPrefix: input.topicPrefix, tables: input.tables });
    return pipelineTopics({
        tables: plan.tables,
        heartbeat: plan.heartbeat,
        connectGroupId: input.connectGroupId,
        deadLetterTopic: plan.deadLetterTopic,
        tablePartitions: input.tablePartitions,
        retentionHours: 24,
    });
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
