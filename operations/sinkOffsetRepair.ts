// Moves the Kusto sink past a data gap. The sink consumes with auto.offset.reset=none, so a partition
// whose committed offset lies outside what its topic holds (retention deleted records the sink never
// read, or the topic was re-created) fails its task instead of being skipped silently. Once the
// operator repairs the table (`pg-adx-cdc snapshot --table` re-reads it), the sink is moved to the
// partition's first offset through Connect's offsets API: stop, alter, resume (Connect alters a sink's
// offsets only while it is stopped).
import { connectRequest, describeConnectError, RetryPolicy } from "../connectors/connectRestClient";
import { OperationsOutputs } from "../contract/stackOutputs";
import { pollUntil } from "../runtime/pollUntil";
import { PipelineHealthReport, readTopicOffsets, sinkTaskStopPositions } from "./pipelineHealth";

type SinkOffsetGap = NonNullable<PipelineHealthReport["dataGaps"]>[number];

const POLICY: RetryPolicy = { deadlineMs: 60_000, initialDelayMs: 250, maxDelayMs: 3000 };

/** The partitions of `topics` where the sink's committed offset lies outside the topic, each moved to its first offset; [] when there were none. */
export async function moveSinkPastGaps(outputs: OperationsOutputs, topics: string[], log: (message: string) => void): Promise<SinkOffsetGap[]> {
    const status = await connectRequest(outputs.connectRestUrl, "GET", `/connectors/${encodeURIComponent(outputs.connectors.sink)}/status`, undefined, POLICY, log);
    const { dataGaps = [] } = await readTopicOffsets(
        { bootstrapServers: outputs.kafkaBootstrapServers, authentication: outputs.kafkaAuthentication },
        topics,
        outputs.deadLetterTopic,
        outputs.connectors.sink,
        sinkTaskStopPositions(status.status === 200 ? status.data.tasks : []),
    );
    if (dataGaps.length === 0) {
        // A task that stopped out of range where its partition's offset is back inside the topic (the watchdog gave a
        // re-created topic's partition its first offset after the task left the group) runs again from there.
        const stale = status.status === 200 ? status.data.tasks.filter((t: any) => t.state === "FAILED" && /OffsetOutOfRangeException/.test(t.trace ?? "")) : [];
        for (const t of stale) {
            log(`task ${t.id} stopped out of range, and the sink's offsets are inside the topic now: restarting it`);
            const restarted = await connectRequest(
                outputs.connectRestUrl,
                "POST",
                `/connectors/${encodeURIComponent(outputs.connectors.sink)}/tasks/${t.id}/restart`,
                undefined,
                POLICY,
                log,
            );
            if (restarted.status >= 300)
                throw new Error(`Kafka Connect did not restart ${outputs.connectors.sink} task ${t.id}: HTTP ${restarted.status} ${describeConnectError(restarted.data)}`);
        }
        return [];
    }
    const sink = encodeURIComponent(outputs.connectors.sink);
    const url = outputs.connectRestUrl;
    for (const g of dataGaps) log(`the sink's offset ${g.from} in ${g.topic} partition ${g.partition} is outside the topic; moving it to ${g.firstOffset}`);
    const resume = async () => {
        const resumed = await connectRequest(url, "PUT", `/connectors/${sink}/resume`, undefined, POLICY, log);
        if (resumed.status >= 300) log(`Kafka Connect did not resume ${outputs.connectors.sink} (HTTP ${resumed.status}): PUT ${url}/connectors/${sink}/resume`);
    };
    const release = resumeOnInterrupt(resume, log);
    const stop = await connectRequest(url, "PUT", `/connectors/${sink}/stop`, undefined, POLICY, log);
    if (stop.status >= 300) {
        release();
        throw new Error(`Kafka Connect refused to stop ${outputs.connectors.sink}: HTTP ${stop.status} ${describeConnectError(stop.data)}`);
    }
    try {
        const body = {
            offsets: dataGaps.map((g) => ({ partition: { kafka_topic: g.topic, kafka_partition: g.partition }, offset: { kafka_offset: g.firstOffset } })),
        };
        // Connect answers 500 until the stopped tasks have left the consumer group.
        let last = "";
        await pollUntil({
            attempt: async () => {
                const altered = await connectRequest(url, "PATCH", `/connectors/${sink}/offsets`, body, POLICY, log);
                if (altered.status < 300) return true;
                last = `HTTP ${altered.status} ${describeConnectError(altered.data)}`;
                return undefined;
            },
            timeoutMs: 120_000,
            intervalMs: 1000,
            timeoutError: () => new Error(`Kafka Connect did not alter ${outputs.connectors.sink}'s offsets within 120 s (${last}); the connector is resumed unchanged`),
        });
    } finally {
        await resume();
        release();
    }
    return dataGaps;
}

/**
 * While the command holds the sink stopped, Ctrl-C or SIGTERM resumes it before the process exits: Connect keeps a
 * stopped connector stopped, so an interrupted command would otherwise leave nothing reaching ADX. The returned
 * function removes the handlers. A second signal during the resume ends the process at once.
 */
export function resumeOnInterrupt(resume: () => Promise<void>, log: (message: string) => void): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
        release();
        log(`${signal}: resuming the sink before exiting (it was stopped to move its offsets)`);
        resume()
            .catch((error) => log(`resuming the sink failed: ${error?.message ?? error}`))
            .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    };
    const release = () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    return release;
}
