// The one way this project's Node code opens a Kafka client (operator commands, the e2e harness):
// plain to the stack's broker, or SASL_SSL + PLAIN to Event Hubs with the namespace connection
// string read from the environment variable the workers use, never from a file or an argument.
import * as https from "https";
import { Kafka, KafkaConfig, logLevel } from "kafkajs";

export interface KafkaAccess {
    bootstrapServers: string;
    /** Absent for the stack's broker container (PLAINTEXT on 127.0.0.1). */
    authentication?: { protocol: "SASL_SSL"; mechanism: "PLAIN"; username: string; passwordEnvVar: string };
}

export function kafkaClientConfig(access: KafkaAccess, clientId: string, env: NodeJS.ProcessEnv = process.env): KafkaConfig {
    const config: KafkaConfig = { clientId, brokers: access.bootstrapServers.split(","), logLevel: logLevel.NOTHING };
    const auth = access.authentication;
    if (!auth) return config;
    const password = env[auth.passwordEnvVar];
    if (!password) {
        throw new Error(
            `Kafka at ${access.bootstrapServers} needs SASL credentials: set ${auth.passwordEnvVar} to the Event Hubs connection string, ` +
                `e.g. export ${auth.passwordEnvVar}="$(pulumi stack output --show-secrets eventHubsConnectionString)"`,
        );
    }
    // TLS trusts what this process's HTTPS clients trust (the system roots, plus a test's own CA where one is installed).
    const ca = https.globalAgent.options.ca;
    return { ...config, ssl: ca ? { ca } : true, sasl: { mechanism: "plain", username: auth.username, password } };
}

export function kafkaClient(access: KafkaAccess, clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ ...kafkaClientConfig(access, clientId), ...overrides });
}
