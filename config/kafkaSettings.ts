// pg-adx-cdc:kafka: the broker container or Event Hubs, the Connect workers, and the topics a stack
// uses; what Event Hubs cannot do is refused here, before anything is created.
import { z } from "zod";
import { configBoolean, configEnum, configNumber } from "./configValues";
import { firewallCidrSchema } from "./ipv4Cidr";
import { findTopicCollisions, type CaptureSettings } from "./captureSettings";
import { DEFAULT_KAFKA_COMPRESSION, KAFKA_COMPRESSION_TYPES, KafkaCompression } from "../connectors/debeziumSource";
import { DEFAULT_TABLE_PARTITIONS, defaultTablePartitions, FIXED_TOPIC_COUNT, KafkaTopicSpec, pipelineTopics } from "../connectors/kafkaTopics";
import { STACK_CONNECT_GROUP_ID } from "../connectors/workerSettings";
import { PipelinePlan, planPipeline } from "../plan/pipelinePlan";
import { GUID_PATTERN } from "../contract/guid";

// Images and the Kusto sink are not settings: versions.ts pins them, so what is deployed is what the e2e run verified.
const connectSettings = {
    connectPort: configNumber(z.number().int().min(1024).max(65535)).default(8083),
    connectRestUrl: z.string().url().optional(),
    /**
     * Adopt the source and sink connectors if they already exist on Connect (a stack whose state was
     * lost, or connectors made by hand) instead of failing at "already exists": create replaces the
     * existing connector's config with the stack's; Connect keeps its offsets. (`pulumi import` with the
     * id `<connect URL>/connectors/<name>` adopts one whose config already matches.)
     */
    adoptExistingConnectors: configBoolean().default(false),
};

/** Event Hubs tiers and what each allows (learn.microsoft.com/azure/event-hubs/event-hubs-quotas). */
export const EVENT_HUBS_TIERS = {
    Basic: { kafka: false, capacities: [1], maxEventHubs: () => 10, maxPartitionsPerHub: 32, maxRetentionHours: 24, maxPartitionsPerNamespace: () => Infinity },
    Standard: {
        kafka: true,
        capacities: Array.from({ length: 40 }, (_, i) => i + 1),
        maxEventHubs: () => 10,
        maxPartitionsPerHub: 32,
        maxRetentionHours: 168,
        maxPartitionsPerNamespace: () => Infinity,
    },
    Premium: {
        kafka: true,
        capacities: [1, 2, 4, 8, 16],
        maxEventHubs: (pu: number) => 100 * pu,
        maxPartitionsPerHub: 100,
        maxRetentionHours: 2160,
        maxPartitionsPerNamespace: (pu: number) => 200 * pu,
    },
} as const;

const containerKafkaSchema = z.strictObject({
    // "container": one KRaft broker and one Connect worker on the Docker host (dev, free).
    mode: z.literal("container"),
    kafkaPort: configNumber(z.number().int().min(1024).max(65535)).default(9092),
    /**
     * Partitions of each captured table's topic, as Connect creates it (the heartbeat's has one); unset:
     * defaultTablePartitions (4 up to 8 captured tables, then fewer). Applies to topics created afterwards:
     * an existing topic keeps its count, so no key's changes move partition.
     */
    partitions: configNumber(z.number().int().min(1).max(64)).optional(),
    ...connectSettings,
    compression: configEnum(KAFKA_COMPRESSION_TYPES).default(DEFAULT_KAFKA_COMPRESSION.container),
});

export const eventHubsKafkaSchema = z.strictObject({
    // "eventhubs": Azure Event Hubs' Kafka endpoint (a namespace the stack creates, one event hub per
    // topic) and a group of Connect workers on the Docker host (production).
    mode: z.literal("eventhubs"),
    ...connectSettings,
    /** Connect workers in one group; tasks move to the others when one stops. */
    connectWorkers: configNumber(z.number().int().min(2, "at least 2: with one worker a lost host stops capture").max(8)).default(2),
    compression: configEnum(KAFKA_COMPRESSION_TYPES).default(DEFAULT_KAFKA_COMPRESSION.eventhubs),
    eventHubs: z
        .strictObject({
            tier: configEnum(["Basic", "Standard", "Premium"]).default("Standard"),
            /** Throughput units (Standard, 1-40) or processing units (Premium: 1, 2, 4, 8, 16). */
            capacity: configNumber(z.number().int()).default(1),
            zoneRedundant: configBoolean().default(false),
            /** Partitions of each captured table's event hub (Connect's and the heartbeat's are fixed). */
            partitions: configNumber(z.number().int().min(1)).default(DEFAULT_TABLE_PARTITIONS),
            retentionHours: configNumber(z.number().int().min(1)).default(168),
            /**
             * The only addresses the namespace admits (its network rules deny the rest): the Connect host and the
             * operators' hosts. Empty: postgres.allowedClientCidrs, which names the Connect host already.
             */
            allowedClientCidrs: z.array(firewallCidrSchema("Event Hubs")).default([]),
            /**
             * SAS only (a Connect host outside Azure, sinkIdentity.kind clientSecret). Change this value (e.g. "2027-01")
             * to rotate the SAS keys: the workers move to a fresh key one after the other while the old one still works,
             * then the old one is regenerated; the operators' key is renewed too.
             */
            keyRotation: z.string().min(1).default("initial"),
            /**
             * Entra ID only (sinkIdentity.kind managedIdentity, local auth off): Entra object ids of further operators
             * (users, groups, applications) who get Azure Event Hubs Data Receiver on the namespace to run `status`; the
             * deployer gets it always.
             */
            operatorObjectIds: z
                .array(
                    z.string().regex(GUID_PATTERN, {
                        message: "must be an Entra object id, a GUID (`az ad user show --id <upn> --query id -o tsv`)",
                    }),
                )
                .default([]),
        })
        .default({
            tier: "Standard",
            capacity: 1,
            zoneRedundant: false,
            partitions: DEFAULT_TABLE_PARTITIONS,
            retentionHours: 168,
            allowedClientCidrs: [],
            keyRotation: "initial",
            operatorObjectIds: [],
        }),
});

export const kafkaSchema = z.preprocess(
    (value) => (value && typeof value === "object" && !("mode" in value) ? { ...value, mode: "container" } : value),
    z.discriminatedUnion("mode", [containerKafkaSchema, eventHubsKafkaSchema]),
);

/** What Event Hubs cannot do, named before anything is created; `tables` is the number of captured tables. */
export function findEventHubsProblems(kafka: z.infer<typeof eventHubsKafkaSchema>, capture: CaptureSettings): { path: (string | number)[]; message: string }[] {
    const problems: { path: (string | number)[]; message: string }[] = [];
    const { tier, capacity, partitions, retentionHours } = kafka.eventHubs;
    const tables = capture.tables.length;
    const plan = planPipeline(capture);
    const topics = stackTopics(plan, kafka);
    const limits = EVENT_HUBS_TIERS[tier];
    if (!limits.kafka) {
        return [{ path: ["eventHubs", "tier"], message: 'the Basic tier has no Kafka endpoint (and no compacted event hubs for Connect); set tier "Standard" or "Premium"' }];
    }
    if (!(limits.capacities as readonly number[]).includes(capacity)) {
        problems.push({
            path: ["eventHubs", "capacity"],
            message: `${tier} takes ${tier === "Premium" ? "1, 2, 4, 8 or 16 processing units" : "1 to 40 throughput units"} (got ${capacity})`,
        });
    }
    const hubs = topics.length;
    if (hubs > limits.maxEventHubs(capacity)) {
        const allowed = limits.maxEventHubs(capacity) - FIXED_TOPIC_COUNT;
        problems.push({
            path: ["eventHubs", "tier"],
            message:
                `${tables} captured tables need ${hubs} event hubs (one per table, plus Connect's 3 internal topics, the dead-letter topic, the heartbeat table's and the workers' health topic), ` +
                `and ${tier}${tier === "Premium" ? ` with ${capacity} PU` : ""} allows ${limits.maxEventHubs(capacity)} per namespace (${allowed} tables); ` +
                (tier === "Standard" ? 'set tier "Premium" (100 event hubs per processing unit) or capture fewer tables' : "raise capacity or capture fewer tables"),
        });
    }
    for (const message of findTopicCollisions(capture.topicPrefix, capture.tables, { caseInsensitive: true }).filter((m) => /ignore case/.test(m)))
        problems.push({ path: ["eventHubs"], message: `${message}, or use kafka.mode "container"` });
    for (const { table, topic: hub } of plan.tables) {
        if (!EVENT_HUB_NAME.test(hub))
            problems.push({
                path: ["eventHubs"],
                message: `${table} would be written to event hub "${hub}", a name Event Hubs refuses (letters, digits, ".", "-" and "_", starting and ending with a letter or digit, at most 256 characters): rename the table in PostgreSQL, or use kafka.mode "container"`,
            });
    }
    if (partitions > limits.maxPartitionsPerHub) {
        problems.push({ path: ["eventHubs", "partitions"], message: `${tier} allows at most ${limits.maxPartitionsPerHub} partitions per event hub (got ${partitions})` });
    }
    const totalPartitions = topics.reduce((sum, t) => sum + t.partitions, 0);
    if (totalPartitions > limits.maxPartitionsPerNamespace(capacity)) {
        problems.push({
            path: ["eventHubs", "partitions"],
            message: `${tables} tables × ${partitions} partitions plus Connect's come to ${totalPartitions} partitions; ${tier} with ${capacity} PU allows ${limits.maxPartitionsPerNamespace(capacity)}: lower partitions or raise capacity`,
        });
    }
    if (retentionHours > limits.maxRetentionHours) {
        problems.push({ path: ["eventHubs", "retentionHours"], message: `${tier} keeps events at most ${limits.maxRetentionHours} hours (got ${retentionHours})` });
    }
    if (!EVENT_HUBS_COMPRESSION.includes(kafka.compression)) {
        problems.push({
            path: ["compression"],
            message: `Event Hubs rejects ${kafka.compression}-compressed batches; set compression to "gzip" (or "none")`,
        });
    }
    return problems;
}

/** Every topic a stack uses (each an event hub in eventhubs mode), from its capture and Kafka settings. */
export function stackTopics(plan: PipelinePlan, kafka: KafkaSettings): KafkaTopicSpec[] {
    return pipelineTopics({
        tables: plan.tables,
        heartbeat: plan.heartbeat,
        connectGroupId: STACK_CONNECT_GROUP_ID,
        deadLetterTopic: plan.deadLetterTopic,
        tablePartitions: tablePartitions(kafka, plan.tables.length),
        retentionHours: kafka.mode === "eventhubs" ? kafka.eventHubs.retentionHours : 168,
    });
}

/** Partitions of each captured table's topic in either Kafka mode. */
export function tablePartitions(kafka: KafkaSettings, capturedTables: number): number {
    return kafka.mode === "eventhubs" ? kafka.eventHubs.partitions : (kafka.partitions ?? defaultTablePartitions(capturedTables));
}

/**
 * How the source connector creates its topics: on the stack's broker Connect creates each table's topic
 * with its partitions on the first record; on Event Hubs every topic exists beforehand (undefined).
 */
export function sourceTopicCreation(kafka: KafkaSettings, capturedTables: number): { tablePartitions: number } | undefined {
    return kafka.mode === "container" ? { tablePartitions: tablePartitions(kafka, capturedTables) } : undefined;
}

/** An event hub's name as Event Hubs accepts it (its naming rules; the Kafka endpoint creates topics under this name). */
export const EVENT_HUB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$/;

/** The producer compressions Event Hubs' Kafka endpoint accepts. */
export const EVENT_HUBS_COMPRESSION: readonly KafkaCompression[] = ["gzip", "none"];

export type KafkaSettings = z.infer<typeof kafkaSchema>;
export type EventHubsKafkaSettings = Extract<KafkaSettings, { mode: "eventhubs" }>;
