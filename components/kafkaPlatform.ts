// Kafka platform on the Docker host the `docker` provider points at: a network, a KRaft Kafka
// broker (official apache/kafka image, no ZooKeeper) unless Event Hubs is the broker, and Kafka
// Connect workers (one group) built from the Debezium Connect image plus the Kusto sink. Worker settings come from the same builder the e2e
// harness uses; secrets reach the workers only as files uploaded into the container (owner-only), never in
// its environment, which `docker inspect` shows. Ports bind to 127.0.0.1.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { namedContainerOptions } from "./namedContainer";
import * as random from "@pulumi/random";
import { brokerHostJaasFile, brokerJaasJvmFlag, buildKafkaBrokerSettings, toApacheKafkaImageEnvironment } from "./kafkaBrokerSettings";
import { DEBEZIUM_VERSION, IMAGES, KAFKA_VERSION, KUSTO_SINK } from "../versions";
import { jvmContainerEnvironment } from "../connectors/jvmSettings";
import {
    buildConnectWorkerSettings,
    CONNECT_IMAGE_USER,
    eventHubsTokenResource,
    KafkaEndpoint,
    STACK_CONNECT_GROUP_ID,
    STACK_WORKER_SECRETS_DIR,
    toDebeziumImageEnvironment,
    workerSecretFiles,
    workerSecretReference,
} from "../connectors/workerSettings";
import { CONNECT_REST_USER, ConnectCredentials, connectHealthCheckCommand, connectRestAuthFiles, connectRestJaasJvmFlag } from "../connectors/connectRestAuth";

/** Where the brokers are: the stack's own broker container, or Event Hubs' Kafka endpoint (SASL_SSL). */
export type KafkaBrokerTarget =
    | { mode: "container"; /** Port published on 127.0.0.1 for tools on the Docker host. */ hostPort: number }
    | {
          mode: "eventhubs";
          bootstrapServers: pulumi.Input<string>;
          /**
           * How the workers authenticate: as the host's managed identity (Entra ID, no key), or with the namespace
           * connection string (a secret), which reaches the workers only as a secret file.
           */
          authentication: { kind: "managedIdentity"; clientId: pulumi.Input<string> } | { kind: "sharedAccessKey"; connectionString: pulumi.Input<string> };
          /** The event hubs: every topic exists before a worker starts. */
          topicsReady: pulumi.Resource[];
      };

export interface KafkaPlatformArgs {
    broker: KafkaBrokerTarget;
    /** Connect workers in the group (1 with the broker container, at least 2 on Event Hubs). */
    connectWorkers: number;
    /** Host port of the first worker's REST API on 127.0.0.1; worker i publishes connectPort + i. */
    connectPort: number;
    /** The Connect REST URL as seen from where `pulumi` runs, when not the first worker's published port. */
    connectRestUrl?: string;
    networkName: pulumi.Input<string>;
    kafkaContainerName: string;
    connectContainerName: string;
    connectImageName: pulumi.Input<string>;
    /** Secrets the workers resolve through `${dir:...}` references in connector configs (workerSecretReference). */
    postgresReplicationPassword: pulumi.Input<string>;
    /** The sink's client secret (sinkIdentity.kind clientSecret); unset with a managed identity, which needs none. */
    kustoSinkAppKey?: pulumi.Input<string>;
}

/** Host interface every published port binds to: the platform is reachable from this host only. */
export const PUBLISHED_PORT_IP = "127.0.0.1";
const INTERNAL_KAFKA_PORT = 19092;
/** Where the broker container holds its JAAS file (the host listener's user and password). */
const BROKER_JAAS_FILE = "/opt/kafka/config/pg-adx-cdc/broker-jaas.conf";
/**
 * Replication factor of every topic Connect would create (internal topics, dead-letter topics): 1 for
 * the single broker; Event Hubs keeps three copies in its storage whatever the factor, and its own
 * Connect guidance sets 1. On Event Hubs the topics are created by the stack anyway.
 */
export const KAFKA_REPLICATION_FACTOR = 1;

/** The Connect image's build args: the version manifest (versions.ts) and the workers' user and secrets directory, nothing of its own. */
export function connectImageBuildArgs(): Record<string, string> {
    return {
        CONNECT_BASE_IMAGE: IMAGES.debeziumConnect,
        KUSTO_SINK_REPOSITORY: KUSTO_SINK.repository,
        KUSTO_SINK_COMMIT: KUSTO_SINK.commit,
        KUSTO_SINK_VERSION: KUSTO_SINK.version,
        KAFKA_VERSION,
        DEBEZIUM_VERSION,
        CONNECT_USER: CONNECT_IMAGE_USER.name,
        CONNECT_USER_UID: String(CONNECT_IMAGE_USER.uid),
        CONNECT_SECRETS_DIR: STACK_WORKER_SECRETS_DIR,
    };
}

export class KafkaPlatform extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    /** The broker container (container mode only). */
    public readonly kafka?: docker.Container;
    /** The Connect workers, one group; the first serves `connectRestUrl`. */
    public readonly connectWorkers: docker.Container[];
    public readonly connectImage: docker.Image;
    /** Bootstrap servers as the workers reach them. */
    public readonly internalBootstrapServers: pulumi.Output<string>;
    /** Connect REST URL as seen from where `pulumi` runs. */
    public readonly connectRestUrl: string;
    /** Every worker's REST URL on the Docker host (the first is connectRestUrl). */
    public readonly connectRestUrls: string[];
    /** Bootstrap servers for tools on the Docker host (operator commands). */
    public readonly hostBootstrapServers: pulumi.Output<string>;
    /** The REST API's one user and its generated password (a secret): every REST client sends them. */
    public readonly connectRestCredentials: pulumi.Output<ConnectCredentials>;
    /** The broker container's host-listener password (a secret; container mode): the operator commands' Kafka credential. */
    public readonly brokerHostPassword?: pulumi.Output<string>;

    constructor(name: string, args: KafkaPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:KafkaPlatform", name, {}, opts);
        const broker = args.broker;
        if (broker.mode === "eventhubs" && args.connectWorkers < 2) throw new Error("KafkaPlatform: Event Hubs mode runs at least 2 Connect workers");
        this.network = new docker.Network(`${name}-network`, { name: args.networkName }, { parent: this });
        this.connectRestUrl = args.connectRestUrl ?? `http://${PUBLISHED_PORT_IP}:${args.connectPort}`;
        this.connectRestUrls = [this.connectRestUrl, ...Array.from({ length: args.connectWorkers - 1 }, (_, i) => `http://${PUBLISHED_PORT_IP}:${args.connectPort + i + 1}`)];
        if (broker.mode === "container") {
            this.internalBootstrapServers = pulumi.output(`${args.kafkaContainerName}:${INTERNAL_KAFKA_PORT}`);
            this.hostBootstrapServers = pulumi.output(`${PUBLISHED_PORT_IP}:${broker.hostPort}`);
            // The host listener's password: generated here, a file in the broker container, a secret output for operators.
            const hostPassword = new random.RandomPassword(`${name}-kafka-operator-password`, { length: 32, special: false }, { parent: this });
            this.brokerHostPassword = pulumi.secret(hostPassword.result);
            this.kafka = this.brokerContainer(name, args, broker.hostPort, hostPassword.result);
        } else {
            this.internalBootstrapServers = pulumi.output(broker.bootstrapServers);
            this.hostBootstrapServers = pulumi.output(broker.bootstrapServers);
        }

        this.connectImage = new docker.Image(
            `${name}-connect-image`,
            {
                imageName: args.connectImageName,
                skipPush: true,
                // `pulumi preview` (PR previews) must not need a Docker engine to build the image.
                buildOnPreview: false,
                build: {
                    context: path.join(__dirname, "..", "docker", "connect"),
                    platform: "linux/amd64",
                    args: connectImageBuildArgs(),
                },
            },
            { parent: this },
        );

        const endpoint = (bootstrapServers: string, managedIdentityClientId: string): KafkaEndpoint => {
            if (broker.mode === "container") return { mode: "container" };
            return {
                mode: "eventhubs",
                authentication:
                    broker.authentication.kind === "managedIdentity"
                        ? { kind: "managedIdentity", resource: eventHubsTokenResource(bootstrapServers), clientId: managedIdentityClientId }
                        : { kind: "sharedAccessKey", passwordReference: workerSecretReference(STACK_WORKER_SECRETS_DIR, "eventHubsConnectionString") },
            };
        };
        const brokerSecret = broker.mode === "eventhubs" && broker.authentication.kind === "sharedAccessKey" ? broker.authentication.connectionString : "";
        const workersIdentity = broker.mode === "eventhubs" && broker.authentication.kind === "managedIdentity" ? broker.authentication.clientId : "";
        // The REST API's password: generated here, a file in each worker, a secret output for operators.
        const restPassword = new random.RandomPassword(`${name}-connect-rest-password`, { length: 32, special: false }, { parent: this });
        this.connectRestCredentials = pulumi.secret(restPassword.result.apply((password) => ({ username: CONNECT_REST_USER, password })));
        const workerDependencies = broker.mode === "eventhubs" ? broker.topicsReady : [this.kafka!];
        // One file per secret, readable by the worker's user only; a changed secret replaces the workers, as a changed environment did.
        const secretUploads = pulumi
            .all([args.postgresReplicationPassword, args.kustoSinkAppKey ?? "", brokerSecret, restPassword.result])
            .apply(([pgPassword, appKey, connectionString, restSecret]) =>
                [
                    ...workerSecretFiles(STACK_WORKER_SECRETS_DIR, {
                        postgresReplicationPassword: pgPassword,
                        kustoSinkAppKey: appKey,
                        eventHubsConnectionString: connectionString,
                    }),
                    ...connectRestAuthFiles(STACK_WORKER_SECRETS_DIR, restSecret),
                ].map((f) => ({
                    file: f.path,
                    content: f.content,
                    owner: String(CONNECT_IMAGE_USER.uid),
                    group: String(CONNECT_IMAGE_USER.uid),
                    permissions: "0400",
                })),
            );
        const workers: docker.Container[] = [];
        this.connectWorkers = Array.from({ length: args.connectWorkers }, (_, i) => {
            // The first worker keeps the single worker's names, so a container stack's URNs do not change.
            const containerName = i === 0 ? args.connectContainerName : `${args.connectContainerName}-${i + 1}`;
            const workerEnv = pulumi.all([this.internalBootstrapServers, workersIdentity]).apply(([bootstrapServers, clientId]) =>
                Object.entries({
                    ...toDebeziumImageEnvironment(
                        buildConnectWorkerSettings({
                            bootstrapServers,
                            groupId: STACK_CONNECT_GROUP_ID,
                            replicationFactor: KAFKA_REPLICATION_FACTOR,
                            restListener: "http://0.0.0.0:8083",
                            advertisedHost: containerName,
                            secretsDir: STACK_WORKER_SECRETS_DIR,
                            endpoint: endpoint(bootstrapServers, clientId),
                        }),
                    ),
                    ...jvmContainerEnvironment("connect"),
                    // Loads the REST API's JAAS login (basic auth); read by Kafka's start scripts.
                    KAFKA_OPTS: connectRestJaasJvmFlag(STACK_WORKER_SECRETS_DIR),
                }).map(([k, v]) => `${k}=${v}`),
            );
            const worker = new docker.Container(
                i === 0 ? `${name}-connect` : `${name}-connect-${i + 1}`,
                {
                    name: containerName,
                    image: this.connectImage.imageName,
                    hostname: containerName,
                    envs: workerEnv,
                    uploads: pulumi.secret(secretUploads),
                    networksAdvanced: [{ name: this.network.name, aliases: [containerName] }],
                    ports: [{ internal: 8083, external: args.connectPort + i, ip: PUBLISHED_PORT_IP }],
                    healthcheck: {
                        tests: ["CMD-SHELL", connectHealthCheckCommand(STACK_WORKER_SECRETS_DIR, "/connectors")],
                        interval: "5s",
                        timeout: "5s",
                        retries: 36,
                        startPeriod: "20s",
                    },
                    wait: true,
                    waitTimeout: 300,
                    restart: "unless-stopped",
                },
                // One worker after the other: a replacement (a rotated secret, a new image) takes one worker
                // down at a time, its new container healthy (wait) before the next goes; the group keeps capturing.
                namedContainerOptions({ parent: this, dependsOn: [...workerDependencies, ...workers.slice(-1)] }),
            );
            workers.push(worker);
            return worker;
        });
        this.registerOutputs({ connectRestUrl: this.connectRestUrl, internalBootstrapServers: this.internalBootstrapServers });
    }

    private brokerContainer(name: string, args: KafkaPlatformArgs, hostPort: number, hostPassword: pulumi.Output<string>): docker.Container {
        const kafkaImage = new docker.RemoteImage(`${name}-kafka-image`, { name: IMAGES.kafka, keepLocally: true }, { parent: this });
        const kafkaData = new docker.Volume(`${name}-kafka-data`, {}, { parent: this });
        const brokerSettings = buildKafkaBrokerSettings({
            nodeId: 1,
            internalAdvertised: `${args.kafkaContainerName}:${INTERNAL_KAFKA_PORT}`,
            internalPort: INTERNAL_KAFKA_PORT,
            hostAdvertised: `${PUBLISHED_PORT_IP}:${hostPort}`,
            hostPort,
            controllerHost: args.kafkaContainerName,
            controllerPort: 9093,
            logDirs: "/var/lib/kafka/data",
        });
        return new docker.Container(
            `${name}-kafka`,
            {
                name: args.kafkaContainerName,
                image: kafkaImage.imageId,
                hostname: args.kafkaContainerName,
                envs: Object.entries({
                    ...toApacheKafkaImageEnvironment(brokerSettings),
                    ...jvmContainerEnvironment("broker"),
                    // Loads the host listener's users (the password file below); read by Kafka's start scripts.
                    KAFKA_OPTS: brokerJaasJvmFlag(BROKER_JAAS_FILE),
                    CLUSTER_ID: "cGctYWR4LWNkYy1rYWZrYQ",
                }).map(([k, v]) => `${k}=${v}`),
                // World-readable inside the container, which runs nothing but the broker (whose image user this
                // stack does not fix); outside it, only root on the Docker host reads it.
                uploads: pulumi.secret(hostPassword.apply((password) => [{ file: BROKER_JAAS_FILE, content: brokerHostJaasFile(password), permissions: "0444" }])),
                networksAdvanced: [{ name: this.network.name, aliases: [args.kafkaContainerName] }],
                ports: [{ internal: hostPort, external: hostPort, ip: PUBLISHED_PORT_IP }],
                volumes: [{ volumeName: kafkaData.name, containerPath: "/var/lib/kafka/data" }],
                healthcheck: {
                    tests: ["CMD-SHELL", `/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:${INTERNAL_KAFKA_PORT} > /dev/null 2>&1`],
                    interval: "5s",
                    timeout: "10s",
                    retries: 24,
                    startPeriod: "10s",
                },
                wait: true,
                waitTimeout: 180,
                restart: "unless-stopped",
            },
            namedContainerOptions({ parent: this }),
        );
    }
}
