// Kafka platform on the Docker host the `docker` provider points at: a network, a KRaft Kafka
// broker (official apache/kafka image, no ZooKeeper), and a Kafka Connect worker built from the
// Debezium Connect image plus the Kusto sink. Worker settings come from the same builder the e2e
// harness uses; secrets reach the worker only as environment variables. Ports bind to 127.0.0.1.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { KafkaSettings } from "./config";
import { buildKafkaBrokerSettings, toApacheKafkaImageEnvironment } from "./kafkaBrokerSettings";
import { IMAGES, KUSTO_SINK } from "../versions";
import { buildConnectWorkerSettings, toDebeziumImageEnvironment, WORKER_SECRET_ENV } from "../connectors/workerSettings";

export interface KafkaPlatformArgs {
    settings: KafkaSettings;
    networkName: pulumi.Input<string>;
    kafkaContainerName: string;
    connectContainerName: string;
    connectImageName: pulumi.Input<string>;
    /** Secrets the worker resolves through `${env:...}` in connector configs. */
    postgresReplicationPassword: pulumi.Input<string>;
    kustoSinkAppKey: pulumi.Input<string>;
}

/** Host interface every published port binds to: the platform is reachable from this host only. */
export const PUBLISHED_PORT_IP = "127.0.0.1";
const INTERNAL_KAFKA_PORT = 19092;
/** One broker: every topic Connect creates (internal topics, dead-letter topics) has one replica. */
export const KAFKA_REPLICATION_FACTOR = 1;

export class KafkaPlatform extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    public readonly kafka: docker.Container;
    public readonly connect: docker.Container;
    public readonly connectImage: docker.Image;
    /** Bootstrap servers inside the Docker network. */
    public readonly internalBootstrapServers: string;
    /** Connect REST URL as seen from where `pulumi` runs. */
    public readonly connectRestUrl: string;
    /** Bootstrap servers for tools on the Docker host (operator commands): the port published on 127.0.0.1. */
    public readonly hostBootstrapServers: string;

    constructor(name: string, args: KafkaPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:KafkaPlatform", name, {}, opts);
        const s = args.settings;
        this.network = new docker.Network(`${name}-network`, { name: args.networkName }, { parent: this });
        this.internalBootstrapServers = `${args.kafkaContainerName}:${INTERNAL_KAFKA_PORT}`;
        this.connectRestUrl = s.connectRestUrl ?? `http://${PUBLISHED_PORT_IP}:${s.connectPort}`;
        this.hostBootstrapServers = `${PUBLISHED_PORT_IP}:${s.kafkaPort}`;

        const kafkaImage = new docker.RemoteImage(`${name}-kafka-image`, { name: IMAGES.kafka, keepLocally: true }, { parent: this });
        const kafkaData = new docker.Volume(`${name}-kafka-data`, {}, { parent: this });
        const brokerSettings = buildKafkaBrokerSettings({
            nodeId: 1,
            internalAdvertised: this.internalBootstrapServers,
            internalPort: INTERNAL_KAFKA_PORT,
            hostAdvertised: `${PUBLISHED_PORT_IP}:${s.kafkaPort}`,
            hostPort: s.kafkaPort,
            controllerHost: args.kafkaContainerName,
            controllerPort: 9093,
            logDirs: "/var/lib/kafka/data",
        });
        this.kafka = new docker.Container(
            `${name}-kafka`,
            {
                name: args.kafkaContainerName,
                image: kafkaImage.imageId,
                hostname: args.kafkaContainerName,
                envs: Object.entries({ ...toApacheKafkaImageEnvironment(brokerSettings), CLUSTER_ID: "cGctYWR4LWNkYy1rYWZrYQ" }).map(([k, v]) => `${k}=${v}`),
                networksAdvanced: [{ name: this.network.name, aliases: [args.kafkaContainerName] }],
                ports: [{ internal: s.kafkaPort, external: s.kafkaPort, ip: PUBLISHED_PORT_IP }],
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
            { parent: this },
        );

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
                    args: {
                        CONNECT_BASE_IMAGE: IMAGES.debeziumConnect,
                        KUSTO_SINK_REPOSITORY: KUSTO_SINK.repository,
                        KUSTO_SINK_COMMIT: KUSTO_SINK.commit,
                        KUSTO_SINK_VERSION: KUSTO_SINK.version,
                    },
                },
            },
            { parent: this },
        );

        const workerSettings = buildConnectWorkerSettings({
            bootstrapServers: this.internalBootstrapServers,
            groupId: "pg-adx-cdc-connect",
            replicationFactor: KAFKA_REPLICATION_FACTOR,
            restListener: "http://0.0.0.0:8083",
            advertisedHost: args.connectContainerName,
        });
        const workerEnv = pulumi.all([args.postgresReplicationPassword, args.kustoSinkAppKey]).apply(([pgPassword, appKey]) =>
            Object.entries({
                ...toDebeziumImageEnvironment(workerSettings),
                KAFKA_HEAP_OPTS: "-Xms512m -Xmx1g",
                [WORKER_SECRET_ENV.postgresReplicationPassword]: pgPassword,
                [WORKER_SECRET_ENV.kustoSinkAppKey]: appKey,
            }).map(([k, v]) => `${k}=${v}`),
        );
        this.connect = new docker.Container(
            `${name}-connect`,
            {
                name: args.connectContainerName,
                image: this.connectImage.imageName,
                hostname: args.connectContainerName,
                envs: pulumi.secret(workerEnv),
                networksAdvanced: [{ name: this.network.name, aliases: [args.connectContainerName] }],
                ports: [{ internal: 8083, external: s.connectPort, ip: PUBLISHED_PORT_IP }],
                healthcheck: { tests: ["CMD-SHELL", "curl -fs http://localhost:8083/connectors > /dev/null"], interval: "5s", timeout: "5s", retries: 36, startPeriod: "20s" },
                wait: true,
                waitTimeout: 300,
                restart: "unless-stopped",
            },
            { parent: this, dependsOn: [this.kafka] },
        );
        this.registerOutputs({ connectRestUrl: this.connectRestUrl, internalBootstrapServers: this.internalBootstrapServers });
    }
}
