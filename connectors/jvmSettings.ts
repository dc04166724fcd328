// The JVM settings of the deployed Kafka Connect worker and broker, in one place: the stack's
// containers get them as KAFKA_HEAP_OPTS / KAFKA_JVM_PERFORMANCE_OPTS (read by Kafka's start scripts
// in both images), and the local pipeline starts its JVMs with the same flags. `npm run bench` runs
// exactly these; the tests add only C1-only compilation, which starts a JVM faster.

export type JvmRole = "connect" | "broker";

/** Heap per role: Connect buffers one sink batch per partition and Debezium's queue; the broker pages through the OS cache. */
export const JVM_HEAP: Record<JvmRole, { initial: string; max: string }> = {
    connect: { initial: "1g", max: "1g" },
    broker: { initial: "512m", max: "512m" },
};

/** G1 with Kafka's own start-script tuning (kafka-run-class.sh), stated here so the image's default cannot drift from the bench. */
export const JVM_PERFORMANCE_OPTS = [
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
];

/** The container environment that sets a role's JVM in the Debezium Connect and apache/kafka images. */
export function jvmContainerEnvironment(role: JvmRole): Record<string, string> {
    return { KAFKA_HEAP_OPTS: `-Xms${JVM_HEAP[role].initial} -Xmx${JVM_HEAP[role].max}`, KAFKA_JVM_PERFORMANCE_OPTS: JVM_PERFORMANCE_OPTS.join(" ") };
}

/**
 * A local JVM's flags: "deployed" exactly as the containers run (the bench), "fast-start" the same
 * plus C1-only compilation (the tests: seconds faster to start, slower at steady state).
 */
export function localJvmFlags(role: JvmRole, profile: "deployed" | "fast-start"): string[] {
    return [`-Xms${JVM_HEAP[role].initial}`, `-Xmx${JVM_HEAP[role].max}`, ...JVM_PERFORMANCE_OPTS, ...(profile === "fast-start" ? ["-XX:TieredStopAtLevel=1"] : [])];
}
