// The one way this project's Node code opens a Kafka client (operator commands, the e2e harness):
// plain to the stack's broker, or SASL_SSL to Event Hubs: PLAIN with the operators' connection string
// read from an environment variable (never from a file or an argument), or OAUTHBEARER with the
// operator's own Entra token where the namespace has local auth off.
import * as https from "https";
import { Kafka, KafkaConfig, logLevel } from "kafkajs";
import { getAzureAccessToken } from "./azureAccessToken";

/** How a client proves who it is to Event Hubs: a SAS password from `passwordEnvVar`, or an Entra token for `resource` (local auth off). */
export type KafkaAuthentication =
    | { protocol: "SASL_SSL"; mechanism: "PLAIN"; username: string; passwordEnvVar: string }
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
    const ssl = ca ? { ca } : true;
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
            `Kafka at ${access.bootstrapServers} needs SASL credentials: set ${auth.passwordEnvVar} to the Event Hubs connection string, ` +
                `e.g. export ${auth.passwordEnvVar}="$(pulumi stack output --show-secrets eventHubsConnectionString)"`,
        );
    }
    return { ...config, ssl, sasl: { mechanism: "plain", username: auth.username, password } };
}

export function kafkaClient(access: KafkaAccess, clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ ...kafkaClientConfig(access, clientId), ...overrides });
}
