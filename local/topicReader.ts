// Reads a topic from the local broker (kafkajs), keeping each record's value and the time it was read.
import { Consumer, CompressionCodecs, CompressionTypes } from "kafkajs";
import { KafkaAccess, kafkaClient } from "../runtime/kafkaClient";
import { pollUntil } from "../runtime/pollUntil";

// The tuned source producer compresses with lz4 (connectors/debeziumSource.ts); kafkajs ships only
// gzip, so the reader registers lz4 (frame format, as Kafka writes it) from the pure-JS lz4js.
const lz4js = require("lz4js");
CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => Buffer.from(lz4js.compress(encoder.buffer)),
    decompress: async (buffer: Buffer) => Buffer.from(lz4js.decompress(buffer)),
});

export interface ReadRecord {
    value: any;
    raw: string;
    readAtMs: number;
    offset: string;
}

export interface TopicReader {
    records: ReadRecord[];
    /** Resolves when `predicate` holds over the records read so far. */
    waitFor(description: string, predicate: (records: ReadRecord[]) => boolean, timeoutMs: number): Promise<void>;
    stop(): Promise<void>;
}

/**
 * Reads `topic` from its beginning. A topic that does not exist yet is created with `partitions`, as
 * Connect would create it on the source's first record (the reader subscribes before the connector starts).
 */
export async function readTopic(access: KafkaAccess, topic: string, partitions: number, groupId = `e2e-reader-${Date.now()}`): Promise<TopicReader> {
    const kafka = kafkaClient(access, "pg-adx-cdc-e2e", { retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    const admin = kafka.admin();
    await admin.connect();
    const existing = await admin.listTopics();
    // (On the SASL_SSL broker topics are pre-created and auto-creation is off, as on Event Hubs.)
    if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: false });
    // The new topic's leader appears a moment later; poll for it rather than sleep.
    let lastError: unknown;
    await pollUntil({
        attempt: async () => {
            try {
                const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
                return metadata.topics[0]?.partitions.every((p) => p.leader >= 0) ? true : undefined;
            } catch (error) {
                lastError = error;
                return undefined;
            }
        },
        timeoutMs: 10_000,
        intervalMs: 100,
        timeoutError: () => new Error(`topic ${topic} has no leader after 10 s: ${String(lastError ?? "no partitions")}`),
    });
    await admin.disconnect();
    const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records: ReadRecord[] = [];
    await consumer.run({
        eachMessage: async ({ message }) => {
            const raw = message.value ? message.value.toString("utf8") : "";
            records.push({ raw, value: raw ? JSON.parse(raw) : null, readAtMs: Date.now(), offset: message.offset });
        },
    });
    return {
        records,
        async waitFor(description, predicate, timeoutMs) {
            await pollUntil({
                attempt: async () => (predicate(records) ? true : undefined),
                timeoutMs,
                intervalMs: 100,
                timeoutError: () => new Error(`timed out after ${timeoutMs / 1000} s waiting for ${description} (${records.length} records read)`),
            });
        },
        async stop() {
            await consumer.disconnect();
        },
    };
}
