// The real local pipeline, no Docker, no cloud: a throwaway PostgreSQL cluster (wal_level=logical)
// from the distribution's binaries, a single-node KRaft Kafka broker and a distributed Kafka Connect
// worker (or a group of them) with Debezium and the Kusto sink, all plain processes; optionally a
// broker that speaks to clients as Event Hubs does (SASL_SSL, PLAIN, no topic auto-creation). Broker and worker settings come
// from the same builders the stack uses; only endpoints differ.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { brokerHostJaasFile, brokerHostOperatorAuthentication, brokerJaasJvmFlag, buildKafkaBrokerSettings } from "../components/kafkaBrokerSettings";
import {
    buildConnectWorkerSettings,
    EventHubsAuthentication,
    eventHubsTokenResource,
    KafkaEndpoint,
    OPERATOR_SECRET_ENV,
    renderProperties,
    WatchdogSettings,
    workerSecretFiles,
    workerSecretReference,
} from "../connectors/workerSettings";
import { defaultPostgresSettings } from "../config/postgresSettings";
import { buildHbaRules, buildLogicalReplicationParameters, toPostgresConfLines } from "../postgres/serverParameters";
import { ensurePrerequisites, Prerequisites } from "./prerequisites";
import { ensureAzureLikePostgresBinaries } from "./postgresBinaries";
import { AZURE_LIKE_ADMIN, prepareAzureLikeServer } from "./azureLikePostgres";
import { Client } from "pg";
import { freePort, killProcess, ManagedProcess, portOpen, startProcess, stopProcess, waitUntil } from "./processes";
import { createTopics, eventHubsLikeBrokerJvmFlags, EventHubsLikeAuthentication, eventHubsLikeListener } from "./eventHubsLikeBroker";
import { KafkaAccess } from "../runtime/kafkaClient";
import { eventHubsOperatorAuthentication } from "../connectors/workerSettings";
import {
    DebeziumSourceInput,
    DEFAULT_KAFKA_COMPRESSION,
    EMISSION_STAMP_TRANSFORM_CLASS,
    IRREGULAR_ARRAYS_TRANSFORM_CLASS,
    OVERSIZED_TRANSFORM_CLASS,
    TRUNCATE_TRANSFORM_CLASS,
} from "../connectors/debeziumSource";
import { DEFAULT_TABLE_PARTITIONS, KafkaTopicSpec } from "../connectors/kafkaTopics";
import { createLocalTls, LocalTls, LocalTlsOptions } from "./localTls";
import { JvmRole, localJvmFlags } from "../connectors/jvmSettings";
import { startAdxTestDouble, AdxTestDouble } from "./doubles/adxRestTestDouble";
import { startManagedIdentityTestDouble, ManagedIdentityTestDouble } from "./doubles/managedIdentityTestDouble";
import {
    CONNECT_REST_PASSWORD_ENV,
    CONNECT_REST_USER,
    ConnectCredentials,
    connectAuthorizationHeaders,
    connectRestAuthFiles,
    connectRestJaasJvmFlag,
} from "../connectors/connectRestAuth";

export interface LocalPipeline {
    workDir: string;
    /**
     * `adminUser` is the login the stack's providers use; `superuser` the cluster's bootstrap superuser: the same
     * role, except in the Azure-like runs (`azureLikePostgres`), where, as Azure keeps its superuser to itself,
     * tests use it only to play another party (the application's owner role).
     */
    postgres: { host: string; port: number; database: string; adminUser: string; superuser: string; version: string };
    /** How the stack's providers reach PostgreSQL as the admin (bootstrap, catalog, readiness). */
    adminConnection: { host: string; port: number; database: string; user: string; sslMode: "disable" };
    /** How Debezium reaches PostgreSQL as the replication user (its password from a worker secret file), over verified TLS. */
    debeziumDatabase: { host: string; port: number; name: string; user: string; passwordReference: string; sslMode: "require" };
    /** The replication user's password; reaches the workers only as a file in secretsDir. */
    replicationPassword: string;
    /** The operator commands' role's password (cdc_operator, created by the bootstrap as the stack does). */
    operatorPassword: string;
    /** The workers' secret files (0600, in a 0700 directory), as the stack's containers hold them in STACK_WORKER_SECRETS_DIR. */
    secretsDir: string;
    /** Where the workers reach Kafka (the broker's internal listener, or the Event-Hubs-like endpoint). */
    bootstrapServers: string;
    /** How operator commands (this process's clients) reach Kafka: the broker's host listener with its password, or Event Hubs' endpoint. */
    kafka: KafkaAccess;
    /** The Kafka endpoint the pipeline imitates: the stack's broker, or Event Hubs' SASL_SSL endpoint. */
    kafkaMode: "container" | "eventhubs";
    /** How the workers reach the Event-Hubs-like endpoint ("eventhubs" mode). */
    eventHubsEndpoint?: Extract<KafkaEndpoint, { mode: "eventhubs" }>;
    /** Partitions of each captured table's topic (the stack's default unless the run chose otherwise). */
    tablePartitions: number;
    /**
     * The source connector's deployment here, as the stack's would be with this Kafka mode: the database as
     * Debezium reaches it, the producer's compression, and topic creation (sourceTopicCreation's rule).
     */
    sourceDeployment: Pick<DebeziumSourceInput, "database" | "compression" | "topicCreation">;
    /** The first worker's REST URL. */
    connectUrl: string;
    /** The REST API's credentials (also in this process's CDC_CONNECT_REST_PASSWORD, as an operator exports it). */
    connectCredentials: ConnectCredentials;
    /** Every worker's REST URL (one group). */
    connectUrls: string[];
    /** The ADX REST and ingestion test double (HTTPS on localhost) the real Kusto sink delivers into. */
    adx: AdxTestDouble;
    /** The bearer token the worker's sink presents to the ADX test double (az_dev_token strategy). */
    adxAccessToken: string;
    /**
     * The worker host's user-assigned managed identity (the Docker host in Azure): its token endpoint is
     * in the workers' environment, and the token it issues is one the ADX test double accepts.
     */
    managedIdentity: ManagedIdentityTestDouble;
    tls: LocalTls;
    processes: { postgres: ManagedProcess; kafka: ManagedProcess; connect: ManagedProcess; connectWorkers: ManagedProcess[] };
    prerequisites: Prerequisites;
    restartConnect(kill: boolean): Promise<void>;
    /** kill -9 of one worker (index into connectUrls); the others stay. */
    killConnectWorker(index: number): Promise<void>;
    stopKafka(): Promise<void>;
    startKafka(): Promise<void>;
    restartPostgres(): Promise<void>;
    stop(): Promise<void>;
}

const DATABASE = "retail";
/** The cluster's bootstrap superuser (initdb -U). */
const SUPERUSER = "postgres";
export const asRoot = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root; as root (CI) its commands run as the postgres user. */
export function pgCommand(bin: string, args: string[]): [string, string[]] {
    return asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

function log4jConfig(dir: string): string {
    const file = path.join(dir, "log4j2.properties");
    fs.writeFileSync(
        file,
        [
            "status = warn",
            "appender.out.type = Console",
            "appender.out.name = OUT",
            "appender.out.layout.type = PatternLayout",
            "appender.out.layout.pattern = [%d] %p %m (%c{1})%n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.out.ref = OUT",
            "logger.kafka.name = org.apache.kafka",
            "logger.kafka.level = WARN",
            "logger.connect.name = org.apache.kafka.connect.runtime",
            "logger.connect.level = INFO",
            "",
        ].join("\n"),
    );
    return file;
}

export interface LocalPipelineOptions {
    replicationPassword?: string;
    progress?: (m: string) => void;
    /**
     * "eventhubs": the broker speaks what Event Hubs' Kafka endpoint speaks to clients (SASL_SSL with a
     * certificate, the authentication below, no topic auto-creation) and the pipeline's topics are created
     * up front from the stack's topic list; the workers use the stack's Event Hubs worker settings.
     * Default "container".
     */
    kafkaMode?: "container" | "eventhubs";
    /**
     * How the workers authenticate to the Event-Hubs-like broker ("eventhubs" mode), as the stack deploys it:
     * "managedIdentity" (the default, a Connect host in Azure: OAUTHBEARER with tokens from the identity
     * double, local auth off) or "sharedAccessKey" (a host outside Azure: PLAIN with a connection string).
     */
    eventHubsAuthentication?: EventHubsAuthentication["kind"];
    /** Connect workers in the group (default 1; the stack runs at least 2 on Event Hubs). */
    connectWorkers?: number;
    /** The stack's topic list to create up front ("eventhubs" mode): the pipeline's topics for the tests' prefix and tables. */
    topics?: KafkaTopicSpec[];
    /**
     * Partitions of each captured table's topic (default DEFAULT_TABLE_PARTITIONS: the stack's default for the few
     * tables a test captures, defaultTablePartitions); in "eventhubs" mode, as `topics` has them.
     */
    tablePartitions?: number;
    /**
     * The sink sends to a real ADX cluster (`demo --adx-cluster`): the token the worker's sink uses
     * (az_dev_token), and what its JVM trusts besides the test double's certificate.
     */
    realAdx?: { accessToken: string; trust: LocalTlsOptions };
    /** The watchdog's timing where a drill shortens it (the stack's WATCHDOG_DEFAULTS otherwise). */
    watchdog?: Partial<WatchdogSettings>;
    /** "deployed": the JVMs run exactly the stack's settings (the bench); "fast-start" (default) adds C1-only compilation (the tests). */
    jvmProfile?: "deployed" | "fast-start";
    /** The stack's WAL guard on this server (pg_cron preloaded, as the stack's parameters preload it). */
    walGuard?: { maxRetainedWalGb: number };
    /**
     * PostgreSQL as Azure runs it (local/azureLikePostgres.ts): the stack's default major version, from Maven
     * Central (local/postgresBinaries.ts), and an admin with exactly the Azure server admin's attributes
     * (NOSUPERUSER, CREATEDB, CREATEROLE, REPLICATION, member of azure_pg_admin) who owns the database.
     * Default: Debian's PostgreSQL with the superuser as admin (it has pg_cron, which the WAL guard needs).
     */
    azureLikePostgres?: boolean;
}

async function createDatabase(connection: { host: string; port: number; user: string }, database: string): Promise<void> {
    const client = new Client({ ...connection, database: "postgres" });
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`).finally(() => client.end());
}

/** The server's version as it reports it ("16.11"). */
async function serverVersion(connection: { host: string; port: number; user: string; database: string }): Promise<string> {
    const client = new Client(connection);
    await client.connect();
    try {
        return (await client.query("SHOW server_version")).rows[0].server_version.split(" ")[0];
    } finally {
        await client.end();
    }
}

export const E2E_CONNECT_GROUP_ID = "pg-adx-cdc-e2e";

/** This process's environment minus the operators' secret variables: the broker and the workers read their secrets from files only. */
function withoutOperatorSecrets(): NodeJS.ProcessEnv {
    const operatorSecrets: string[] = [...Object.values(OPERATOR_SECRET_ENV), CONNECT_REST_PASSWORD_ENV];
    return Object.fromEntries(Object.entries(process.env).filter(([k]) => !operatorSecrets.includes(k)));
}

/** A password of letters and digits, as the stack's RandomPassword (special: false) makes them. */
function randomAlphanumeric(length: number): string {
    return Array.from({ length }, () => "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[Math.floor(Math.random() * 56)]).join("");
}
/** The Event Hubs namespace the local broker stands in for (its Entra audience is `https://<it>.servicebus.windows.net`). */
export const E2E_EVENT_HUBS_NAMESPACE = "pg-adx-cdc-e2e";
/** An operator's Entra object id: the subject of the token this process's clients present with local auth off. */
export const E2E_OPERATOR_PRINCIPAL_ID = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a";

export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    const progress = options.progress ?? ((m: string) => process.stderr.write(`e2e: ${m}\n`));
    const prerequisites = await ensurePrerequisites();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-adx-cdc-e2e-"));
    fs.chmodSync(workDir, 0o755);
    const started: ManagedProcess[] = [];
    let adx: AdxTestDouble | undefined;
    let managedIdentity: ManagedIdentityTestDouble | undefined;
    const cleanup = async () => {
        for (const p of started.reverse()) {
            if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
            const t = Date.now();
            await stopProcess(p).catch(() => undefined);
            progress(`stopped ${p.name} (${Date.now() - t} ms)`);
        }
        await adx?.close().catch(() => undefined);
        await managedIdentity?.close().catch(() => undefined);
        if (!process.env.KEEP_E2E_WORKDIR) fs.rmSync(workDir, { recursive: true, force: true });
        else progress(`kept ${workDir}`);
    };
    try {
        const t0 = Date.now();
        const replicationPassword = options.replicationPassword ?? `e2e-${Math.random().toString(36).slice(2)}-${Date.now()}`;
        const operatorPassword = `e2e-operator-${Math.random().toString(36).slice(2)}`;
        // The throwaway certificate for "localhost" and 127.0.0.1: the ADX double serves it, PostgreSQL too.
        const tls = createLocalTls(workDir, options.realAdx?.trust);
        // PostgreSQL
        if (options.azureLikePostgres && options.walGuard)
            throw new Error("the Azure-like PostgreSQL build has no pg_cron: the WAL guard runs on Debian's PostgreSQL (omit azureLikePostgres)");
        const postgresBin = options.azureLikePostgres ? ensureAzureLikePostgresBinaries() : prerequisites.postgresBin;
        const adminUser = options.azureLikePostgres ? AZURE_LIKE_ADMIN : SUPERUSER;
        const pgData = path.join(workDir, "pgdata");
        const pgPort = await freePort();
        fs.mkdirSync(pgData);
        if (asRoot) execFileSync("chown", ["postgres:postgres", pgData]);
        const [initCmd, initArgs] = pgCommand(path.join(postgresBin, "initdb"), [
            "-D",
            pgData,
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        execFileSync(initCmd, initArgs, { stdio: "ignore" });
        // The stack's own pg_hba rules (postgres/serverParameters.ts), as the PostgreSQL container gets
        // them: the replication user authenticates with SCRAM, so the verifier the bootstrap sets is
        // really used; the harness's admin connects with trust.
        const hba = buildHbaRules({ replicationUser: "cdc_replicator", clientAddress: "127.0.0.1/32", otherUsersAuth: "trust" });
        fs.writeFileSync(path.join(pgData, "pg_hba.conf"), hba.join("\n") + "\n");
        // Logical replication settings from the same builder as the Azure parameters and the container's
        // command line; the rest is local to a throwaway cluster.
        fs.appendFileSync(
            path.join(pgData, "postgresql.conf"),
            [
                `port = ${pgPort}`,
                // 127.0.0.2 is not in the certificate's names: a client that verifies the host name refuses it there.
                "listen_addresses = '127.0.0.1,127.0.0.2'",
                // TLS offered to clients that ask (Debezium verifies it, as it does Azure's); the rest connect plain.
                "ssl = on",
                "ssl_cert_file = 'server.crt'",
                "ssl_key_file = 'server.key'",
                `unix_socket_directories = '${pgData}'`,
                ...toPostgresConfLines(buildLogicalReplicationParameters({ ...defaultPostgresSettings(), walGuard: options.walGuard })),
                // pg_cron's jobs connect over TCP to the cluster's only listen address.
                ...(options.walGuard ? ["cron.host = '127.0.0.1'"] : []),
                "max_slot_wal_keep_size = 1024",
                "fsync = off",
                "synchronous_commit = on",
                "password_encryption = 'scram-sha-256'",
                "shared_buffers = 128MB",
                "",
            ].join("\n"),
        );
        fs.writeFileSync(path.join(pgData, "server.crt"), tls.certPem);
        fs.writeFileSync(path.join(pgData, "server.key"), tls.keyPem, { mode: 0o600 });
        if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", pgData]);
        const pgLog = path.join(workDir, "postgres.log");
        fs.writeFileSync(pgLog, "");
        if (asRoot) execFileSync("chown", ["postgres:postgres", pgLog]);
        const startPostgres = () => {
            const [cmd, args] = pgCommand(path.join(postgresBin, "postgres"), ["-D", pgData]);
            return startProcess("postgres", cmd, args, pgLog);
        };
        let postgres = startPostgres();
        started.push(postgres);
        await waitUntil("PostgreSQL to accept connections", () => portOpen(pgPort), 30_000, postgres);
        if (options.azureLikePostgres) await prepareAzureLikeServer({ host: "127.0.0.1", port: pgPort }, SUPERUSER, DATABASE);
        else await createDatabase({ host: "127.0.0.1", port: pgPort, user: SUPERUSER }, DATABASE);
        const postgresVersion = await serverVersion({ host: "127.0.0.1", port: pgPort, user: adminUser, database: DATABASE });
        progress(
            `PostgreSQL ${postgresVersion} on 127.0.0.1:${pgPort}, admin ${adminUser}${options.azureLikePostgres ? " (NOSUPERUSER, as Azure's)" : ""} (${Date.now() - t0} ms)`,
        );

        // ADX: the REST and ingestion test double over HTTPS, with a certificate the worker JVM trusts.
        adx = await startAdxTestDouble({ tls: { cert: tls.certPem, key: tls.keyPem } });
        const adxAccessToken = `e2e-token-${Math.random().toString(36).slice(2)}`;
        progress(`ADX test double on ${adx.url}`);
        managedIdentity = await startManagedIdentityTestDouble({
            clientId: "6f1c2e0a-4b7d-4c39-9e0b-5a8d2f3c1e77",
            principalId: "0b9e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            accessToken: adxAccessToken,
        });

        // The workers' secret files' directory (filled below, before they start).
        const secretsDir = path.join(workDir, "connect-secrets");

        // Kafka (KRaft, broker + controller in one process)
        const kafkaMode = options.kafkaMode ?? "container";
        const tablePartitions = options.tablePartitions ?? DEFAULT_TABLE_PARTITIONS;
        const kafkaPort = await freePort();
        const controllerPort = await freePort();
        const kafkaDir = path.join(workDir, "kafka");
        fs.mkdirSync(kafkaDir);
        // The stack's broker: its host listener (SASL PLAIN, the operators') besides the internal one the workers use.
        const hostPort = kafkaMode === "container" ? await freePort() : undefined;
        const brokerSettings = buildKafkaBrokerSettings({
            nodeId: 1,
            internalAdvertised: `127.0.0.1:${kafkaPort}`,
            internalPort: kafkaPort,
            ...(hostPort ? { hostAdvertised: `127.0.0.1:${hostPort}`, hostPort } : {}),
            controllerHost: "127.0.0.1",
            controllerPort,
            logDirs: path.join(kafkaDir, "data"),
        });
        brokerSettings.listeners = brokerSettings.listeners.replaceAll("0.0.0.0", "127.0.0.1");
        // Where the workers reach the broker: the internal listener, as the stack's containers on its Docker network.
        const internalBootstrapServers = `127.0.0.1:${kafkaPort}`;
        let kafkaAccess: KafkaAccess = { bootstrapServers: internalBootstrapServers };
        let brokerJvmFlags: string[] = [];
        if (hostPort) {
            // The host listener's password, as the stack generates it: a file the broker reads, and the operators' variable.
            const hostPassword = randomAlphanumeric(32);
            const jaasFile = path.join(kafkaDir, "broker-jaas.conf");
            fs.writeFileSync(jaasFile, brokerHostJaasFile(hostPassword), { mode: 0o600 });
            brokerJvmFlags = [brokerJaasJvmFlag(jaasFile)];
            kafkaAccess = { bootstrapServers: `127.0.0.1:${hostPort}`, authentication: brokerHostOperatorAuthentication() };
            process.env[OPERATOR_SECRET_ENV.kafkaPassword] = hostPassword;
        }
        // The connection string Event Hubs would hand out (SAS); the workers get it only as a secret file.
        const eventHubsConnectionString = `Endpoint=sb://localhost/;SharedAccessKeyName=kafka-clients;SharedAccessKey=${Buffer.from(Math.random().toString(36)).toString("base64")}`;
        let eventHubsEndpoint: Extract<KafkaEndpoint, { mode: "eventhubs" }> | undefined;
        if (kafkaMode === "eventhubs") {
            const clientPort = await freePort();
            const kind = options.eventHubsAuthentication ?? "managedIdentity";
            // The namespace's Entra audience, as the stack derives it from `<namespace>.servicebus.windows.net:9093`.
            const resource = eventHubsTokenResource(`${E2E_EVENT_HUBS_NAMESPACE}.servicebus.windows.net:9093`);
            const authentication: EventHubsLikeAuthentication =
                kind === "managedIdentity"
                    ? { kind: "entra", jwksUrl: managedIdentity.jwksUrl, audience: resource, issuer: managedIdentity.issuer }
                    : { kind: "sharedAccessKey", password: eventHubsConnectionString };
            Object.assign(brokerSettings, eventHubsLikeListener({ settings: brokerSettings, port: clientPort, keyStore: tls.keyStore, authentication }));
            brokerJvmFlags = eventHubsLikeBrokerJvmFlags(authentication);
            kafkaAccess = { bootstrapServers: `localhost:${clientPort}`, authentication: eventHubsOperatorAuthentication(kind, resource) };
            // This process's clients (the operator commands under test) read their credential from the operators' variable:
            // an operator's own Entra token (not the workers' identity), or the connection string.
            if (kind === "managedIdentity") process.env[OPERATOR_SECRET_ENV.eventHubsAccessToken] = managedIdentity.signToken(resource, E2E_OPERATOR_PRINCIPAL_ID);
            else process.env[OPERATOR_SECRET_ENV.eventHubsConnectionString] = eventHubsConnectionString;
            eventHubsEndpoint = {
                mode: "eventhubs",
                authentication:
                    kind === "managedIdentity"
                        ? { kind, resource, clientId: managedIdentity.clientId }
                        : { kind, passwordReference: workerSecretReference(secretsDir, "eventHubsConnectionString") },
            };
        }
        const brokerProps = path.join(kafkaDir, "server.properties");
        fs.writeFileSync(brokerProps, renderProperties(brokerSettings));
        const classpath = path.join(prerequisites.kafkaLibs, "*");
        const log4j = log4jConfig(workDir);
        // The deployed JVM settings (connectors/jvmSettings.ts); the tests add C1-only compilation for start-up.
        // The workers' class path also holds pg-adx-cdc's worker-classpath jar, as the image's /kafka/libs does.
        const jvm = (role: JvmRole) => [
            ...localJvmFlags(role, options.jvmProfile ?? "fast-start"),
            `-Dlog4j2.configurationFile=${log4j}`,
            "-cp",
            role === "connect" ? [classpath, ...prerequisites.workerClasspathJars].join(path.delimiter) : classpath,
        ];
        execFileSync("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", "cGctYWR4LWNkYy1lMmU", "-c", brokerProps], {
            stdio: "ignore",
        });
        const startKafkaProcess = () =>
            startProcess("kafka", "java", [...jvm("broker"), ...brokerJvmFlags, "kafka.Kafka", brokerProps], path.join(workDir, "kafka.log"), { env: withoutOperatorSecrets() });
        let kafka = startKafkaProcess();
        started.push(kafka);
        await waitUntil("the Kafka broker to listen", () => portOpen(kafkaPort), 90_000, kafka);
        // Event Hubs has no topic auto-creation: the stack creates every event hub before Connect starts.
        if (kafkaMode === "eventhubs") await createTopics(kafkaAccess, options.topics ?? []);
        progress(
            `Kafka ${path.basename(path.dirname(prerequisites.kafkaLibs))} on ${kafkaAccess.bootstrapServers}${eventHubsEndpoint ? ` (SASL_SSL + ${kafkaAccess.authentication?.mechanism}, as Event Hubs)` : ""} (${Date.now() - t0} ms)`,
        );

        // Kafka Connect, distributed mode, settings from the stack's builder; one group of N workers.
        const workerCount = options.connectWorkers ?? 1;
        const restPorts = await Promise.all(Array.from({ length: workerCount }, () => freePort()));
        const connectUrls = restPorts.map((port) => `http://127.0.0.1:${port}`);
        // The workers' secrets as files, as the stack uploads them into its containers; none is in their environment.
        fs.mkdirSync(secretsDir, { mode: 0o700 });
        const secretFiles = workerSecretFiles(secretsDir, {
            postgresReplicationPassword: replicationPassword,
            kustoAccessToken: options.realAdx?.accessToken ?? adxAccessToken,
            eventHubsConnectionString: eventHubsEndpoint?.authentication.kind === "sharedAccessKey" ? eventHubsConnectionString : undefined,
        });
        // The REST API's password, as the stack generates it; this process's clients send it as operators do.
        const connectCredentials = { username: CONNECT_REST_USER, password: randomAlphanumeric(32) };
        for (const file of [...secretFiles, ...connectRestAuthFiles(secretsDir, connectCredentials.password)]) fs.writeFileSync(file.path, file.content, { mode: 0o600 });
        process.env[CONNECT_REST_PASSWORD_ENV] = connectCredentials.password;
        const workerProps = restPorts.map((restPort, i) => {
            const file = path.join(workDir, `connect-distributed-${i + 1}.properties`);
            const workerSettings = buildConnectWorkerSettings({
                bootstrapServers: eventHubsEndpoint ? kafkaAccess.bootstrapServers : internalBootstrapServers,
                groupId: E2E_CONNECT_GROUP_ID,
                replicationFactor: 1,
                restListener: `http://127.0.0.1:${restPort}`,
                advertisedHost: "127.0.0.1",
                pluginPath: prerequisites.pluginPath,
                secretsDir,
                endpoint: eventHubsEndpoint ?? { mode: "container" },
                watchdog: options.watchdog,
            });
            fs.writeFileSync(file, renderProperties(workerSettings));
            return file;
        });
        const connectUrl = connectUrls[0];
        const workerEnv = {
            ...withoutOperatorSecrets(),
            // As on an Azure host with a managed identity: the identity library finds its endpoint here.
            IDENTITY_ENDPOINT: managedIdentity.endpoint,
            IDENTITY_HEADER: managedIdentity.header,
        };
        const startConnectProcess = (i = 0) =>
            startProcess(
                i === 0 ? "connect" : `connect-${i + 1}`,
                "java",
                [...jvm("connect"), ...tls.javaTrustStoreOptions, connectRestJaasJvmFlag(secretsDir), "org.apache.kafka.connect.cli.ConnectDistributed", workerProps[i]],
                path.join(workDir, i === 0 ? "connect.log" : `connect-${i + 1}.log`),
                { env: workerEnv },
            );
        const connectReady = (p: ManagedProcess, i = 0) =>
            waitUntil(
                `Kafka Connect worker ${i + 1}'s REST API with the Debezium and Kusto sink plugins`,
                async () => {
                    const response = await fetch(`${connectUrls[i]}/connector-plugins?connectorsOnly=false`, { headers: connectAuthorizationHeaders(connectCredentials) });
                    const plugins = JSON.stringify(response.ok ? await response.json() : []);
                    return (
                        plugins.includes("PostgresConnector") &&
                        plugins.includes("KustoSinkConnector") &&
                        plugins.includes(TRUNCATE_TRANSFORM_CLASS) &&
                        plugins.includes(OVERSIZED_TRANSFORM_CLASS) &&
                        plugins.includes(IRREGULAR_ARRAYS_TRANSFORM_CLASS) &&
                        plugins.includes(EMISSION_STAMP_TRANSFORM_CLASS)
                    );
                },
                180_000,
                p,
            );
        const workers = connectUrls.map((_, i) => startConnectProcess(i));
        started.push(...workers);
        await Promise.all(workers.map((w, i) => connectReady(w, i)));
        let connect = workers[0];
        progress(
            `Kafka Connect (${workerCount} worker${workerCount > 1 ? "s" : ""}) on ${connectUrls.join(", ")} with Debezium ${prerequisites.debeziumPluginPath.split("-").pop()} and the Kusto sink (${Date.now() - t0} ms)`,
        );

        const debeziumDatabase: LocalPipeline["debeziumDatabase"] = {
            host: "127.0.0.1",
            port: pgPort,
            name: DATABASE,
            user: "cdc_replicator",
            passwordReference: workerSecretReference(secretsDir, "postgresReplicationPassword"),
            // As against Azure: TLS with the server's certificate and host name verified (the worker JVM trusts the harness's certificate).
            sslMode: "require",
        };
        const pipeline: LocalPipeline = {
            workDir,
            postgres: { host: "127.0.0.1", port: pgPort, database: DATABASE, adminUser, superuser: SUPERUSER, version: postgresVersion },
            adminConnection: { host: "127.0.0.1", port: pgPort, database: DATABASE, user: adminUser, sslMode: "disable" },
            debeziumDatabase,
            replicationPassword,
            operatorPassword,
            secretsDir,
            bootstrapServers: eventHubsEndpoint ? kafkaAccess.bootstrapServers : internalBootstrapServers,
            kafka: kafkaAccess,
            kafkaMode,
            eventHubsEndpoint,
            tablePartitions,
            sourceDeployment: {
                database: debeziumDatabase,
                compression: DEFAULT_KAFKA_COMPRESSION[kafkaMode],
                topicCreation: kafkaMode === "container" ? { tablePartitions } : undefined,
            },
            connectUrl,
            connectCredentials,
            connectUrls,
            adx,
            adxAccessToken,
            managedIdentity,
            tls,
            processes: { postgres, kafka, connect, connectWorkers: workers },
            prerequisites,
            async restartConnect(kill: boolean) {
                if (kill)
                    await new Promise((r) => {
                        connect.child.kill("SIGKILL");
                        connect.exited.then(r);
                    });
                else await stopProcess(connect);
                connect = startConnectProcess();
                started.push(connect);
                pipeline.processes.connect = connect;
                pipeline.processes.connectWorkers[0] = connect;
                await connectReady(connect);
            },
            async killConnectWorker(index: number) {
                await killProcess(pipeline.processes.connectWorkers[index]);
            },
            async stopKafka() {
                await stopProcess(kafka);
            },
            async startKafka() {
                kafka = startKafkaProcess();
                started.push(kafka);
                pipeline.processes.kafka = kafka;
                await waitUntil("the Kafka broker to listen again", () => portOpen(kafkaPort), 90_000, kafka);
            },
            async restartPostgres() {
                // pg_ctl stops the postmaster itself and waits for it (a signal to runuser may not reach it).
                const [stopCmd, stopArgs] = pgCommand(path.join(postgresBin, "pg_ctl"), ["stop", "-D", pgData, "-m", "fast", "-w", "-t", "60"]);
                execFileSync(stopCmd, stopArgs, { stdio: "ignore" });
                await stopProcess(postgres);
                postgres = startPostgres();
                started.push(postgres);
                pipeline.processes.postgres = postgres;
                await waitUntil("PostgreSQL to accept connections again", () => portOpen(pgPort), 30_000, postgres);
            },
            stop: cleanup,
        };
        return pipeline;
    } catch (error) {
        await cleanup();
        throw error;
    }
}
