// Kafka Connect worker settings: the stack's Connect container and the e2e harness's worker are
// both configured from this one builder, so the settings the tests run are the settings deployed.

/** Environment variables through which the worker receives secrets (resolved by EnvVarConfigProvider). */
export const WORKER_SECRET_ENV = {
    postgresReplicationPassword: "CDC_PG_REPLICATION_PASSWORD",
    kustoSinkAppKey: "CDC_KUSTO_SINK_APP_KEY",
    /** A bearer token for ADX, for the sink's az_dev_token strategy (the e2e run against the ADX test double). */
    kustoAccessToken: "CDC_KUSTO_ACCESS_TOKEN",
} as const;

/** How a connector config refers to a secret held in the worker's environment. */
export function envSecretReference(variable: string): string {
    return "${env:" + variable + "}";
}

export interface ConnectWorkerSettingsInput {
    /** Kafka bootstrap servers as the worker reaches them. */
    bootstrapServers: string;
    /** Connect cluster id; also prefixes the three internal topics. */
    groupId: string;
    /** Replication factor of the internal topics (1 for a single broker). */
    replicationFactor: number;
    /** REST listener, e.g. "http://0.0.0.0:8083". */
    restListener: string;
    /** Host name the worker advertises to its peers. */
    advertisedHost: string;
    /** Where connector plugins live, when the worker is not a prebuilt image that sets it. */
    pluginPath?: string;
}

/**
 * The worker's properties. Choices that differ from Kafka's defaults, and why:
 * - `config.providers=env`: connector secrets stay `${env:NAME}` references, never inline values.
 * - `offset.flush.interval.ms=5000` (default 60000): Debezium confirms the slot's LSN to PostgreSQL
 *   only after offsets are flushed, so a shorter interval releases WAL sooner and replays less after
 *   a crash.
 * - `connector.client.config.override.policy=All`: lets the source tune its own producer
 *   (`producer.override.*`) without changing every connector on the worker.
 * - JSON converters without schemas: each record value is exactly the JSON line ADX ingests.
 */
export function buildConnectWorkerSettings(input: ConnectWorkerSettingsInput): Record<string, string> {
    if (!input.bootstrapServers) throw new Error("buildConnectWorkerSettings: bootstrapServers is required");
    if (!Number.isInteger(input.replicationFactor) || input.replicationFactor < 1) {
        throw new Error(`buildConnectWorkerSettings: replicationFactor must be a positive integer (got ${input.replicationFactor})`);
    }
    const settings: Record<string, string> = {
        "bootstrap.servers": input.bootstrapServers,
        "group.id": input.groupId,
        "config.storage.topic": `${input.groupId}-configs`,
        "offset.storage.topic": `${input.groupId}-offsets`,
        "status.storage.topic": `${input.groupId}-status`,
        "config.storage.replication.factor": String(input.replicationFactor),
        "offset.storage.replication.factor": String(input.replicationFactor),
        "status.storage.replication.factor": String(input.replicationFactor),
        "offset.flush.interval.ms": "5000",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter.schemas.enable": "false",
        listeners: input.restListener,
        "rest.advertised.host.name": input.advertisedHost,
        "config.providers": "env",
        "config.providers.env.class": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "connector.client.config.override.policy": "All",
    };
    if (input.pluginPath) settings["plugin.path"] = input.pluginPath;
    return settings;
}

/** Renders worker settings as a Java properties file. */
export function renderProperties(settings: Record<string, string>): string {
    const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    return (
        Object.entries(settings)
            .map(([k, v]) => `${k}=${escape(v)}`)
            .join("\n") + "\n"
    );
}

/**
 * The Debezium Connect image reads worker settings from the environment: a few named variables
 * and `CONNECT_<KEY>` for the rest (upper-case, dots as underscores). Keys containing "_" cannot
 * be expressed that way, so they are rejected rather than silently dropped.
 */
export function toDebeziumImageEnvironment(settings: Record<string, string>): Record<string, string> {
    const named: Record<string, string> = {
        "bootstrap.servers": "BOOTSTRAP_SERVERS",
        "group.id": "GROUP_ID",
        "config.storage.topic": "CONFIG_STORAGE_TOPIC",
        "offset.storage.topic": "OFFSET_STORAGE_TOPIC",
        "status.storage.topic": "STATUS_STORAGE_TOPIC",
    };
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(settings)) {
        if (named[key]) {
            env[named[key]] = value;
            continue;
        }
        if (key.includes("_")) throw new Error(`worker setting "${key}" cannot be passed as a CONNECT_ variable (it contains "_")`);
        env[`CONNECT_${key.toUpperCase().replace(/\./g, "_")}`] = value;
    }
    return env;
}
