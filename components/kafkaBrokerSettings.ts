// Single-node Kafka broker settings in KRaft mode (broker and controller in one process, no
// ZooKeeper). The stack's Kafka container and the e2e harness's broker use this one builder.
// Two client listeners: INTERNAL (PLAINTEXT) for the containers on the stack's private Docker network
// (the Connect workers), and HOST, published on the Docker host's 127.0.0.1 for the operator commands,
// which asks for a password (SASL PLAIN, one user): any other local user or process on the host that
// reaches the port reads and writes nothing without it.
import type { KafkaAuthentication } from "../runtime/kafkaClient";
import { OPERATOR_SECRET_ENV } from "../connectors/workerSettings";
import { assertGeneratedPassword } from "../connectors/connectRestAuth";

export interface KafkaBrokerSettingsInput {
    nodeId: number;
    /** Listener clients inside the Docker network (or the harness) use, e.g. "kafka:19092". */
    internalAdvertised: string;
    internalPort: number;
    /** Listener for tools on the host (SASL PLAIN, BROKER_HOST_USER), bound by the container's port mapping; optional. */
    hostAdvertised?: string;
    hostPort?: number;
    controllerHost: string;
    controllerPort: number;
    logDirs: string;
}

/**
 * Settings beyond KRaft's required ones: replication factors of 1 (a single broker cannot do
 * more), and no topic auto-creation surprises for Connect's internal topics (Connect creates
 * them itself with compaction).
 */
export function buildKafkaBrokerSettings(input: KafkaBrokerSettingsInput): Record<string, string> {
    const listeners = [
        `INTERNAL://0.0.0.0:${input.internalPort}`,
        `CONTROLLER://${input.controllerHost === "localhost" || input.controllerHost === "127.0.0.1" ? input.controllerHost : "0.0.0.0"}:${input.controllerPort}`,
    ];
    const advertised = [`INTERNAL://${input.internalAdvertised}`];
    const protocols = ["INTERNAL:PLAINTEXT", "CONTROLLER:PLAINTEXT"];
    if (input.hostAdvertised && input.hostPort) {
        listeners.push(`HOST://0.0.0.0:${input.hostPort}`);
        advertised.push(`HOST://${input.hostAdvertised}`);
        protocols.push("HOST:SASL_PLAINTEXT");
    }
    const hostListener: Record<string, string> = input.hostAdvertised && input.hostPort ? { "listener.name.host.sasl.enabled.mechanisms": "PLAIN" } : {};
    return {
        ...hostListener,
        "node.id": String(input.nodeId),
        "process.roles": "broker,controller",
        "controller.quorum.voters": `${input.nodeId}@${input.controllerHost}:${input.controllerPort}`,
        "controller.listener.names": "CONTROLLER",
        listeners: listeners.join(","),
        "advertised.listeners": advertised.join(","),
        "listener.security.protocol.map": protocols.join(","),
        "inter.broker.listener.name": "INTERNAL",
        "log.dirs": input.logDirs,
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
    };
}

/** The apache/kafka image maps KAFKA_<KEY> variables (upper case, "." as "_") to broker settings. */
export function toApacheKafkaImageEnvironment(settings: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`KAFKA_${k.toUpperCase().replace(/\./g, "_")}`, v]));
}

/** The one user of the host listener: the operator commands (status, snapshot, reconcile) on the Docker host. */
export const BROKER_HOST_USER = "operator";

/**
 * The broker's JAAS file: the host listener's PLAIN users (its one user and password). A file the broker
 * reads at start (brokerJaasJvmFlag), so the password is in no container environment (`docker inspect`).
 */
export function brokerHostJaasFile(password: string): string {
    assertGeneratedPassword(password, "the broker's host-listener password");
    return `host.KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n  user_${BROKER_HOST_USER}="${password}";\n};\n`;
}

/** The broker JVM's flag that loads the JAAS file (KAFKA_OPTS in the container). */
export function brokerJaasJvmFlag(file: string): string {
    return `-Djava.security.auth.login.config=${file}`;
}

/** The stack output holding the host listener's password. */
export const BROKER_HOST_PASSWORD_OUTPUT = "kafkaOperatorPassword";

/** How operator commands reach the stack's broker on the Docker host: its host listener, the password from their environment. */
export function brokerHostOperatorAuthentication(): KafkaAuthentication {
    return {
        protocol: "SASL_PLAINTEXT",
        mechanism: "PLAIN",
        username: BROKER_HOST_USER,
        passwordEnvVar: OPERATOR_SECRET_ENV.kafkaPassword,
        passwordOutput: BROKER_HOST_PASSWORD_OUTPUT,
    };
}
