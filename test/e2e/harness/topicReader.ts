// Reads a topic from the local broker (kafkajs), keeping each record's value and the time it was read.
import { Kafka, logLevel, Consumer, CompressionCodecs, CompressionTypes } from "kafkajs";

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

export async function readTopic(bootstrapServers: string, topic: string, groupId = `e2e-reader-${Date.now()}`): Promise<TopicReader> {
    const kafka = new Kafka({
        clientId: "pg-adx-cdc-e2e",
        brokers: [bootstrapServers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: false });
    // The new topic's leader appears a moment later; poll for it rather than sleep.
    for (let attempt = 0; ; attempt++) {
        try {
            const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
            if (metadata.topics[0]?.partitions.every((p) => p.leader >= 0)) break;
        } catch (error) {
            if (attempt > 50) throw error;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
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
            const started = Date.now();
            while (!predicate(records)) {
                if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${description} (${records.length} records read)`);
                await new Promise((r) => setTimeout(r, 100));
            }
        },
        async stop() {
            await consumer.disconnect();
        },
    };
}
