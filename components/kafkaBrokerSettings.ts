// Single-node Kafka broker settings in KRaft mode (broker and controller in one process, no
// ZooKeeper). The stack's Kafka container and the e2e harness's broker use this one builder.

export interface KafkaBrokerSettingsInput {
    nodeId: number;
    /** Listener clients inside the Docker network (or the harness) use, e.g. "kafka:19092". */
    internalAdvertised: string;
    internalPort: number;
    /** Listener for tools on the host, bound by the container's port mapping; optional. */
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
        protocols.push("HOST:PLAINTEXT");
    }
    return {
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
