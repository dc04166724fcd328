// The one way this project's Node code opens a Kafka client (operator commands, the e2e harness):
// plain to the stack's broker, or SASL_SSL to Event Hubs: PLAIN with the operators' connection string
// read from an environment variable (never from a file or an argument), or OAUTHBEARER with the
// operator's own Entra token where the namespace has local auth off.
import * as https from "https";
import { Kafka, KafkaConfig, logLevel } from "kafkajs";
import { getAzureAccessToken } from "./azureAccessToken";

/**
 * How an operator's client proves who it is: a password from `passwordEnvVar` (Event Hubs' SAS connection
 * string over TLS, or the stack's broker's host-listener password on the Docker host's loopback), or an
 * Entra token for `resource` (Event Hubs with local auth off). `passwordOutput` is the stack output that holds the password.
 */
export type KafkaAuthentication =
    | { protocol: "SASL_SSL" | "SASL_PLAINTEXT"; mechanism: "PLAIN"; username: string; passwordEnvVar: string; passwordOutput: string }
    | { protocol: "SASL_SSL"; mechanism: "OAUTHBEARER"; resource: string; tokenEnvVar: string };

export interface KafkaAccess {
    bootstrapServers: string;
    /** Absent for the stack's broker container (PLAINTEXT on 127.0.0.1). */
    authentication?: KafkaAuthentication;
}

export function kafkaClientConfig(access: KafkaAccess, clientId: string, env: NodeJS.ProcessEnv = process.env): KafkaConfig {
    const config: KafkaConfig = { clientId, brokers: access.bootstrapServers.split(","), logLevel: logLevel.NOTHING };
    const auth = access.authentication;
    if (!auth) return config;
    // TLS trusts what this process's HTTPS clients trust (the system roots, plus a test's own CA where one is installed).
    const ca = https.globalAgent.options.ca;
    const ssl = auth.protocol === "SASL_PLAINTEXT" ? false : ca ? { ca } : true;
    if (auth.mechanism === "OAUTHBEARER") {
        // Asked at each new connection: a held token, else the Azure credential chain (which caches and renews).
        const oauthBearerProvider = async () => ({
            value: await getAzureAccessToken(auth.resource, auth.tokenEnvVar, `for Event Hubs (${auth.resource}; the namespace's Data Receiver role)`),
        });
        return { ...config, ssl, sasl: { mechanism: "oauthbearer", oauthBearerProvider } };
    }
    const password = env[auth.passwordEnvVar];
    if (!password) {
        throw new Error(
            `Kafka at ${access.bootstrapServers} needs SASL credentials: set ${auth.passwordEnvVar}, e.g. export ${auth.passwordEnvVar}="$(pulumi stack output --show-secrets ${auth.passwordOutput})"`,
        );
    }
    return { ...config, ssl, sasl: { mechanism: "plain", username: auth.username, password } };
}

export function kafkaClient(access: KafkaAccess, clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ ...kafkaClientConfig(access, clientId), ...overrides });
}
