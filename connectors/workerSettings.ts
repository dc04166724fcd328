// Kafka Connect worker settings: the stack's Connect container and the e2e harness's worker are
// both configured from this one builder, so the settings the tests run are the settings deployed.
import type { OperationsOutputs } from "../contract/stackOutputs";
import { BASIC_AUTH_EXTENSION_CLASS, connectRestAuthWorkerSettings } from "./connectRestAuth";
import { GUID_PATTERN } from "../contract/guid";

/**
 * The worker's secrets, one file each in its secrets directory, named here. Connector configs and the
 * worker's own settings refer to them as `${dir:<directory>:<file>}` (Kafka's DirectoryConfigProvider),
 * so no secret is in a container's environment (`docker inspect`), a connector config or a Pulumi input.
 */
export const WORKER_SECRET_FILES = {
    postgresReplicationPassword: "postgres-replication-password",
    kustoSinkAppKey: "kusto-sink-app-key",
    /** A bearer token for ADX, for the sink's az_dev_token strategy (the e2e run against the ADX test double). */
    kustoAccessToken: "kusto-access-token",
    /** The Event Hubs namespace connection string: the SASL PLAIN password of every Kafka client (kafka.mode eventhubs). */
    eventHubsConnectionString: "eventhubs-connection-string",
} as const;
export type WorkerSecret = keyof typeof WORKER_SECRET_FILES;

/** Where the stack's Connect containers hold their secret files (the e2e workers use a directory of their own). */
export const STACK_WORKER_SECRETS_DIR = "/run/secrets/pg-adx-cdc";

/** The user the Connect image runs as: its secret files belong to it alone (the image build checks the id). */
export const CONNECT_IMAGE_USER = { name: "kafka", uid: 1001 } as const;

/** How a connector config (or a worker setting) refers to one of the worker's secret files. */
export function workerSecretReference(secretsDir: string, secret: WorkerSecret): string {
    if (!secretsDir.startsWith("/") || /[:}]/.test(secretsDir))
        throw new Error(`worker secrets directory must be an absolute path without ":" or "}" (got ${JSON.stringify(secretsDir)})`);
    return "${dir:" + secretsDir + ":" + WORKER_SECRET_FILES[secret] + "}";
}

/** The files a worker's secrets become: exactly one per secret given, content exactly the value (no newline: the provider reads bytes). */
export function workerSecretFiles(secretsDir: string, secrets: Partial<Record<WorkerSecret, string>>): { path: string; content: string }[] {
    workerSecretReference(secretsDir, "postgresReplicationPassword"); // validates the directory
    return Object.entries(secrets)
        .filter(([, value]) => value !== undefined && value !== "")
        .map(([secret, value]) => ({ path: `${secretsDir}/${WORKER_SECRET_FILES[secret as WorkerSecret]}`, content: value! }));
}

/** Config keys that hold secrets: their values must be references to worker secret files (and are redacted in messages). */
export const SECRET_SETTING_KEY = /(password|secret|appkey|token|credential|sasl\.jaas\.config)/i;

/** A reference to a worker secret file, the only form a secret takes in a config (the workers' one config provider). */
export const WORKER_SECRET_REFERENCE = /^\$\{dir:\/[^:}]*:[a-z0-9-]+\}$/;

/** Refuses anything but a reference to a worker secret file, so no builder can put a secret itself into a config. */
export function assertSecretReference(value: string, setting: string): string {
    if (!WORKER_SECRET_REFERENCE.test(value)) throw new Error(`${setting} must be a reference to a worker secret file (workerSecretReference), not a value`);
    return value;
}

/** Environment variables the operator commands (status, snapshot, verify) read secrets from. */
export const OPERATOR_SECRET_ENV = {
    /** The Event Hubs connection string, for operator commands that read topics (kafka.mode eventhubs). */
    eventHubsConnectionString: "CDC_EVENTHUBS_CONNECTION_STRING",
    /** The stack's broker's host-listener password (kafka.mode container), for operator commands on the Docker host. */
    kafkaPassword: "CDC_KAFKA_PASSWORD",
    /** An Entra access token for Event Hubs (local auth off), e.g. `az account get-access-token --resource https://<namespace>.servicebus.windows.net`; unset, the Azure credential chain. */
    eventHubsAccessToken: "CDC_EVENTHUBS_ACCESS_TOKEN",
} as const;

/** The stack's Connect group id (also the prefix of its three internal topics). */
export const STACK_CONNECT_GROUP_ID = "pg-adx-cdc-connect";

/**
 * How the workers authenticate to Event Hubs' Kafka endpoint.
 * - "managedIdentity" (a Connect host in Azure with the workers' user-assigned identity): SASL OAUTHBEARER
 *   with Entra ID tokens the host's identity endpoint issues for the namespace (`resource`), through
 *   pg-adx-cdc's login handler (docker/connect/transforms, pgadxcdc.auth); no key exists, and the
 *   namespace's local (SAS) authentication is off.
 * - "sharedAccessKey" (a host outside Azure): SASL PLAIN with the user `$ConnectionString` and the namespace
 *   connection string as password, read from the worker's secret file (never written into a worker setting,
 *   a connector config or a Pulumi input).
 */
export type EventHubsAuthentication = { kind: "managedIdentity"; resource: string; clientId: string } | { kind: "sharedAccessKey"; passwordReference: string };

/**
 * How the worker's Kafka clients reach the brokers, by the stack's `kafka.mode`. "container": the
 * stack's own broker on the private Docker network (PLAINTEXT; a local process in the e2e run).
 * "eventhubs": Event Hubs' Kafka endpoint, SASL_SSL, authenticated as `authentication` says.
 */
export type KafkaEndpoint = { mode: "container" } | { mode: "eventhubs"; authentication: EventHubsAuthentication };

/** The login callback handler of the workers' Kafka clients with a managed identity; on the worker's class path (WORKER_CLASSPATH_JAR). */
export const MANAGED_IDENTITY_LOGIN_HANDLER_CLASS = "pgadxcdc.auth.ManagedIdentityLoginCallbackHandler";

/** The Entra resource (token audience) of an Event Hubs namespace, from its Kafka endpoint `<namespace>.servicebus.windows.net:9093`. */
export function eventHubsTokenResource(bootstrapServers: string): string {
    const host = bootstrapServers.split(",")[0].trim().replace(/:\d+$/, "");
    if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new Error(`eventHubsTokenResource: "${bootstrapServers}" is not a host:port list`);
    return `https://${host}`;
}

/** The JAAS line of an OAUTHBEARER login as a managed identity (no secret: a resource and a client id). */
export function managedIdentityJaasConfig(resource: string, clientId: string): string {
    if (!/^https:\/\/[A-Za-z0-9.-]+\/?$/.test(resource)) throw new Error(`the Event Hubs token resource must be https://<host> (got ${JSON.stringify(resource)})`);
    if (!GUID_PATTERN.test(clientId)) throw new Error(`the workers' managed identity client id must be a GUID (got ${JSON.stringify(clientId)})`);
    return `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required resource="${resource}" clientId="${clientId}";`;
}

/** The SASL PLAIN user name Event Hubs expects with a connection string as the password. */
export const EVENT_HUBS_SASL_USERNAME = "$ConnectionString";

/** The JAAS line of a PLAIN login whose password is a reference to a worker secret. */
export function plainJaasConfig(username: string, passwordReference: string): string {
    return `org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${passwordReference}";`;
}

/**
 * Client settings Event Hubs needs (learn.microsoft.com/azure/event-hubs/apache-kafka-configurations),
 * for every client the worker makes: its own (group membership, internal topics) and, prefixed, the
 * connectors' producers, consumers and admin clients.
 * - `metadata.max.age.ms` / `connections.max.idle.ms` 180000: Event Hubs closes idle TCP after 240 s;
 *   a client that keeps a dead connection sees expired batches.
 * - `request.timeout.ms` 60000: the service's own minimum is 20 s; lower values time out under load.
 * - `max.request.size` 1000000 (producers): requests over 1,046,528 bytes close the connection.
 * - `session.timeout.ms` 30000 (consumers, and the workers' own group): the recommended minimum;
 *   shorter ones rebalance needlessly. A dead worker is noticed after it, and its tasks move after
 *   `scheduled.rebalance.max.delay.ms` more.
 */
export const EVENT_HUBS_CLIENT_SETTINGS = {
    common: { "metadata.max.age.ms": "180000", "connections.max.idle.ms": "180000", "request.timeout.ms": "60000" },
    producer: { "max.request.size": "1000000" },
    consumer: { "session.timeout.ms": "30000" },
    worker: { "session.timeout.ms": "30000" },
} as const;

function eventHubsClientSettings(authentication: EventHubsAuthentication): Record<string, string> {
    const security: Record<string, string> =
        authentication.kind === "managedIdentity"
            ? {
                  "security.protocol": "SASL_SSL",
                  "sasl.mechanism": "OAUTHBEARER",
                  "sasl.jaas.config": managedIdentityJaasConfig(authentication.resource, authentication.clientId),
                  "sasl.login.callback.handler.class": MANAGED_IDENTITY_LOGIN_HANDLER_CLASS,
              }
            : {
                  "security.protocol": "SASL_SSL",
                  "sasl.mechanism": "PLAIN",
                  "sasl.jaas.config": plainJaasConfig(EVENT_HUBS_SASL_USERNAME, assertSecretReference(authentication.passwordReference, "the Event Hubs password")),
              };
    const client = { ...security, ...EVENT_HUBS_CLIENT_SETTINGS.common };
    const prefixed = (prefix: string, settings: Record<string, string>) => Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${prefix}.${k}`, v]));
    return {
        ...client,
        ...EVENT_HUBS_CLIENT_SETTINGS.worker,
        ...prefixed("producer", { ...client, ...EVENT_HUBS_CLIENT_SETTINGS.producer }),
        ...prefixed("consumer", { ...client, ...EVENT_HUBS_CLIENT_SETTINGS.consumer }),
        ...prefixed("admin", client),
        // Event hubs exist before Connect starts (connectors/kafkaTopics.ts); nothing may try to create one.
        "topic.creation.enable": "false",
    };
}

/** Connect's three internal topics for a group id, with the partition counts the worker is told to use. */
export function connectInternalTopics(groupId: string): { key: "config" | "offset" | "status"; name: string; partitions: number; purpose: string }[] {
    return [
        // Connect requires exactly one partition for its config topic.
        { key: "config", name: `${groupId}-configs`, partitions: 1, purpose: "Kafka Connect's connector configs" },
        // A handful of connectors: 5 partitions instead of Connect's 25 keeps Event Hubs' per-namespace partition budget.
        { key: "offset", name: `${groupId}-offsets`, partitions: 5, purpose: "Kafka Connect's source offsets (Debezium's LSN)" },
        { key: "status", name: `${groupId}-status`, partitions: 1, purpose: "Kafka Connect's connector and task states" },
    ];
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
    /** The directory of the worker's secret files (WORKER_SECRET_FILES); the only one its config provider reads. */
    secretsDir: string;
    /** Where connector plugins live, when the worker is not a prebuilt image that sets it. */
    pluginPath?: string;
    /** The stack's broker (default) or Event Hubs. */
    endpoint?: KafkaEndpoint;
    /** The failed-task watchdog's timing; the stack deploys WATCHDOG_DEFAULTS, a fault drill may shorten the first backoff. */
    watchdog?: Partial<WatchdogSettings>;
}

/**
 * The client settings the stack's connectors override (connectors/debeziumSource.ts, kustoSink.ts set
 * them through these keys), and the only ones a worker lets any connector override: the worker's
 * policy (docker/connect/transforms, pgadxcdc.policy.AllowListClientConfigOverridePolicy) refuses the
 * rest, so a connector registered by whoever reaches the REST API cannot point its clients elsewhere.
 */
export const CONNECTOR_CLIENT_OVERRIDES = {
    sourceCompression: "producer.override.compression.type",
    sourceLingerMs: "producer.override.linger.ms",
    sourceBatchSize: "producer.override.batch.size",
    sinkMaxPollIntervalMs: "consumer.override.max.poll.interval.ms",
} as const;

export const CLIENT_OVERRIDE_POLICY_CLASS = "pgadxcdc.policy.AllowListClientConfigOverridePolicy";

/** The sink consumers' reset policy: none, so no gap is ever skipped silently (see buildConnectWorkerSettings). */
export const SINK_OFFSET_RESET_KEY = "consumer.auto.offset.reset";

/** The sink consumers' partition assignor: every partition of every topic dealt round the tasks (see buildConnectWorkerSettings). */
export const SINK_ASSIGNOR_KEY = "consumer.partition.assignment.strategy";
export const SINK_ASSIGNOR = "org.apache.kafka.clients.consumer.RoundRobinAssignor";

/** The sink consumers never create a topic by subscribing to it (see buildConnectWorkerSettings). */
export const SINK_AUTO_CREATE_KEY = "consumer.allow.auto.create.topics";

/** The watchdog (docker/connect/transforms, pgadxcdc.watchdog.FailedTaskWatchdog): a Connect REST extension in every worker. */
export const WATCHDOG_EXTENSION_CLASS = "pgadxcdc.watchdog.FailedTaskWatchdog";

export interface WatchdogSettings {
    /** How often each worker looks for connectors and tasks FAILED on it. */
    intervalMs: number;
    /** Wait before the first restart (a failure seen on a check is restarted at the first check after this). */
    initialBackoffMs: number;
    /** The wait doubles after each restart up to this. */
    maxBackoffMs: number;
    /** Restarts without a stable run after which the watchdog gives up and `status` says a person is needed. */
    maxRestarts: number;
    /** A run this long after a restart counts as recovered: the next failure starts from the first backoff again. */
    stableMs: number;
    /** How often each worker publishes its health record to the group's health topic (workerHealthTopic). */
    healthIntervalMs: number;
    /**
     * A sink the watchdog stopped to give new partitions their first offsets, still STOPPED this long after, was left
     * so by a worker that ended mid-way: any watchdog resumes it (SeedingStopMarker). Longer than a seeding can take
     * (its 120 s deadline, then the resume's 60 s); the worker that set the marker resumes it at once after a restart.
     */
    seedingStaleMs: number;
}

/**
 * 30 s, 1, 2, 4, 8, 15, 15, ... minutes: an ADX or DNS outage of an hour is ridden out by ten restarts
 * (on top of the sink's own 5-minute retry window) without hammering a service that is down, and a
 * cause that no restart fixes (a dropped ADX table) reaches a person in about 2 hours.
 */
// The check reads the worker's in-memory status only, so it runs every 2 s: a new topic's first
// records wait at most that long (plus one stop and resume) for their first offset.
// A health record a minute per worker: a few hundred small rows a day in ADX, and the failed-task alert
// (evaluated every 5 minutes) always has a recent one.
export const WATCHDOG_DEFAULTS: WatchdogSettings = {
    intervalMs: 2_000,
    initialBackoffMs: 30_000,
    maxBackoffMs: 900_000,
    maxRestarts: 10,
    stableMs: 600_000,
    healthIntervalMs: 60_000,
    seedingStaleMs: 200_000,
};

/**
 * The worker group's health topic: each worker's watchdog publishes its failed tasks there every
 * `healthIntervalMs` (docker/connect/transforms, WorkerHealthReporter), the sink routes it to ADX
 * (kql/workerHealthModel.ts) and the failed-task alert reads it.
 */
export function workerHealthTopic(groupId: string): string {
    return `${groupId}-health`;
}

function watchdogWorkerSettings(groupId: string, overrides: Partial<WatchdogSettings> = {}): Record<string, string> {
    const w = { ...WATCHDOG_DEFAULTS, ...overrides };
    return {
        "rest.extension.classes": `${WATCHDOG_EXTENSION_CLASS},${BASIC_AUTH_EXTENSION_CLASS}`,
        "pgadxcdc.watchdog.interval.ms": String(w.intervalMs),
        "pgadxcdc.watchdog.initial.backoff.ms": String(w.initialBackoffMs),
        "pgadxcdc.watchdog.max.backoff.ms": String(w.maxBackoffMs),
        "pgadxcdc.watchdog.max.restarts": String(w.maxRestarts),
        "pgadxcdc.watchdog.stable.ms": String(w.stableMs),
        "pgadxcdc.watchdog.health.topic": workerHealthTopic(groupId),
        "pgadxcdc.watchdog.health.interval.ms": String(w.healthIntervalMs),
        "pgadxcdc.watchdog.seeding.stale.ms": String(w.seedingStaleMs),
    };
}

/**
 * The worker's properties. Choices that differ from Kafka's defaults, and why:
 * - `config.providers=dir`: secrets stay `${dir:<secretsDir>:<file>}` references, never inline values,
 *   and reach the worker as files, not environment variables (which `docker inspect` shows).
 * - `offset.flush.interval.ms=5000` (default 60000): Debezium confirms the slot's LSN to PostgreSQL
 *   only after offsets are flushed, so a shorter interval releases WAL sooner and replays less after
 *   a crash.
 * - `config.providers.dir.param.allowed.paths`: the provider reads the secrets directory only, not
 *   any other file the worker can read; no env provider, so no connector can read the worker's environment.
 * - `connector.client.config.override.policy`: pg-adx-cdc's allow-list policy with exactly
 *   CONNECTOR_CLIENT_OVERRIDES (the source tunes its producer, the sink its poll interval); Kafka's
 *   `All` would also let any connector override `bootstrap.servers` or `sasl.jaas.config`.
 * - JSON converters without schemas: each record value is exactly the JSON line ADX ingests.
 * - `scheduled.rebalance.max.delay.ms=30000` (default 300000): when a worker dies, its tasks move to
 *   the others after this delay; five minutes of no capture is five minutes of WAL held and of lag,
 *   while 30 s still lets a restarting worker (a container restart) take its own tasks back.
 * - `rest.extension.classes`: pg-adx-cdc's watchdog, which restarts failed connectors and tasks with
 *   backoff (Connect never does), reports at `/pg-adx-cdc/watchdog` and publishes each worker's failed
 *   tasks to the group's health topic (workerHealthTopic) a minute; and Kafka's basic-auth extension:
 *   every REST request needs the stack's credentials (connectors/connectRestAuth.ts), so whoever reaches
 *   the port cannot register a connector or read configs.
 * - `consumer.auto.offset.reset=none` (Connect's default for sinks is `earliest`): a sink whose committed
 *   offset retention has deleted, or whose topic was re-created, would jump to the earliest record and
 *   skip the rest without a word. With `none` its task fails instead and `status` names the gap and the
 *   repair. A partition the sink never committed (a new table's topic) gets offset 0, its first record,
 *   from the watchdog (stop, Connect's offsets API, resume), never a later one.
 * - `consumer.partition.assignment.strategy` = RoundRobinAssignor: the consumer's default, RangeAssignor,
 *   deals each topic's partitions out on its own, starting with the first task every time, so every
 *   single-partition topic (the heartbeat's, a table's with kafka.partitions 1) lands on task 0 and a task
 *   past a topic's partition count gets nothing: the sink's `tasks.max` would be idle tasks. Round robin
 *   deals all partitions of all topics in turn, so each task holds a share (eager, as the default).
 * - `consumer.allow.auto.create.topics=false`: a sink subscribed to a table's topic before the source's
 *   first record would have the broker create it with the broker's one partition, and the source's topic
 *   creation (kafka.partitions) would then find it existing; the source creates every table topic.
 */
export function buildConnectWorkerSettings(input: ConnectWorkerSettingsInput): Record<string, string> {
    if (!input.bootstrapServers) throw new Error("buildConnectWorkerSettings: bootstrapServers is required");
    workerSecretReference(input.secretsDir, "postgresReplicationPassword"); // validates the directory
    if (!Number.isInteger(input.replicationFactor) || input.replicationFactor < 1) {
        throw new Error(`buildConnectWorkerSettings: replicationFactor must be a positive integer (got ${input.replicationFactor})`);
    }
    const internal = Object.fromEntries(connectInternalTopics(input.groupId).map((t) => [t.key, t]));
    const settings: Record<string, string> = {
        "bootstrap.servers": input.bootstrapServers,
        "group.id": input.groupId,
        "config.storage.topic": internal.config.name,
        "offset.storage.topic": internal.offset.name,
        "status.storage.topic": internal.status.name,
        "offset.storage.partitions": String(internal.offset.partitions),
        "status.storage.partitions": String(internal.status.partitions),
        "config.storage.replication.factor": String(input.replicationFactor),
        "offset.storage.replication.factor": String(input.replicationFactor),
        "status.storage.replication.factor": String(input.replicationFactor),
        "scheduled.rebalance.max.delay.ms": "30000",
        "offset.flush.interval.ms": "5000",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter.schemas.enable": "false",
        [SINK_OFFSET_RESET_KEY]: "none",
        [SINK_ASSIGNOR_KEY]: SINK_ASSIGNOR,
        [SINK_AUTO_CREATE_KEY]: "false",
        listeners: input.restListener,
        "rest.advertised.host.name": input.advertisedHost,
        "config.providers": "dir",
        "config.providers.dir.class": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "config.providers.dir.param.allowed.paths": input.secretsDir,
        "connector.client.config.override.policy": CLIENT_OVERRIDE_POLICY_CLASS,
        "pgadxcdc.client.overrides.allowed": Object.values(CONNECTOR_CLIENT_OVERRIDES).join(","),
        ...watchdogWorkerSettings(input.groupId, input.watchdog),
        ...connectRestAuthWorkerSettings(input.secretsDir),
    };
    if (input.pluginPath) settings["plugin.path"] = input.pluginPath;
    if (input.endpoint?.mode === "eventhubs") Object.assign(settings, eventHubsClientSettings(input.endpoint.authentication));
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

/**
 * How operator commands (status, snapshot, reconcile) reach Event Hubs: with a Listen-only SAS connection
 * string from their environment, or, where the namespace has local auth off, with their own Entra token
 * (`az login`, or one held in CDC_EVENTHUBS_ACCESS_TOKEN) and the namespace's Data Receiver role.
 */
export function eventHubsOperatorAuthentication(
    workers: EventHubsAuthentication["kind"] = "sharedAccessKey",
    resource?: string,
): NonNullable<OperationsOutputs["kafkaAuthentication"]> {
    if (workers === "managedIdentity") {
        if (!resource) throw new Error("eventHubsOperatorAuthentication: an Entra login needs the namespace's token resource");
        return { protocol: "SASL_SSL", mechanism: "OAUTHBEARER", resource, tokenEnvVar: OPERATOR_SECRET_ENV.eventHubsAccessToken };
    }
    return {
        protocol: "SASL_SSL",
        mechanism: "PLAIN",
        username: EVENT_HUBS_SASL_USERNAME,
        passwordEnvVar: OPERATOR_SECRET_ENV.eventHubsConnectionString,
        passwordOutput: "eventHubsConnectionString",
    };
}
