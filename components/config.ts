// The typed stack configuration: one schema, validated up front, so a bad setting fails
// `pulumi preview` with the key, the value and what is allowed, before anything is created.
import { SSL_MODES } from "../postgres/sslMode";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { configBoolean, configEnum, configNumber, knownKeysAt, nearestKey, pulumiTypeFlag } from "./configValues";
import { AzureSkuName } from "@pulumi/azure-native/types/enums/kusto";
import { findAdxNameCollisions, UNLIMITED_RETENTION_DAYS } from "../kql/adxModel";
import { parseIpv4Cidr } from "./ipv4Cidr";
import { canonicalTableName, DEBEZIUM_LIST_SEPARATORS, parseTableName, PG_IDENTIFIER } from "../postgres/identifiers";
import { DEFAULT_KAFKA_COMPRESSION, KAFKA_COMPRESSION_TYPES, KafkaCompression, topicForTable } from "../connectors/debeziumSource";
import { deadLetterTopicFor, FIXED_TOPIC_COUNT, KafkaTopicSpec, pipelineTopics } from "../connectors/kafkaTopics";
import { STACK_CONNECT_GROUP_ID } from "../connectors/workerSettings";
import { sourceObjectNames } from "../postgres/sourceSchema";

/** Config namespace: the project name in Pulumi.yaml. */
export const CONFIG_NAMESPACE = "pg-adx-cdc";

/** Every ADX SKU the azure-native SDK knows; the SDK enum is the single source of truth. */
export const ADX_SKU_NAMES: readonly string[] = Object.values(AzureSkuName).filter((v) => !/^(Basic|Standard)$/.test(v));

const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** Broadest firewall rule accepted: a /8 is already 16 million addresses; anything wider is "the internet". */
export const MIN_FIREWALL_PREFIX = 8;

const firewallCidr = z.string().superRefine((value, ctx) => {
    const parsed = parseIpv4Cidr(value);
    if (!parsed) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not an IPv4 address or CIDR; use e.g. "203.0.113.7/32"` });
    } else if (parsed.start === "0.0.0.0" && parsed.prefix === 32) {
        ctx.addIssue({
            code: "custom",
            message: `"${value}" is Azure's "allow all Azure services" rule, which admits every tenant's hosts; list the Connect host's address instead`,
        });
    } else if (parsed.prefix < MIN_FIREWALL_PREFIX) {
        ctx.addIssue({
            code: "custom",
            message: `"${value}" opens PostgreSQL to ${parsed.start}-${parsed.end}, i.e. the internet; list the Connect host's address (a /${MIN_FIREWALL_PREFIX} or narrower)`,
        });
    }
});

/** ADX as the program consumes it: the mode as a discriminated union, an existing cluster's URIs resolved. */
export type AdxTarget = { mode: "owned" } | { mode: "existing"; queryUri: string; ingestionUri: string };

export function resolveAdxTarget(adx: AdxSettings): AdxTarget {
    if (adx.mode === "owned") return { mode: "owned" };
    // Validated by the schema: existing mode has a cluster URI.
    const queryUri = (adx.clusterUri ?? "").replace(/\/$/, "");
    return { mode: "existing", queryUri, ingestionUri: adx.ingestionUri?.replace(/\/$/, "") ?? ingestionUriFor(queryUri) };
}

/** The endpoints of a cluster the stack does not own. */
export function existingAdxEndpoints(target: AdxTarget): { queryUri: pulumi.Output<string>; ingestionUri: pulumi.Output<string> } {
    if (target.mode !== "existing") throw new Error("an owned ADX cluster's endpoints come from the cluster resource");
    return { queryUri: pulumi.output(target.queryUri), ingestionUri: pulumi.output(target.ingestionUri) };
}

/** An ADX cluster URI as the stack and the demo accept it: https, a host (and port), no path. */
export function isHttpsHostUri(value: string): boolean {
    return /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(value);
}

/** The ingestion ("ingest-") URI of a cluster, from its query URI, as Azure names them. */
export function ingestionUriFor(queryUri: string): string {
    const url = new URL(queryUri);
    return `${url.protocol}//ingest-${url.host}`;
}

const adxSchema = z
    .strictObject({
        // "owned": the stack creates the cluster and database (ARM). "existing": it targets a cluster it
        // does not own, such as an ADX free cluster, and grants the sink access with KQL only.
        mode: configEnum(["owned", "existing"]).default("owned"),
        /** Existing mode: the cluster's query URI, e.g. https://kvc-xxxx.northeurope.kusto.windows.net */
        clusterUri: z.string().optional(),
        /** Existing mode: the ingestion URI, when it is not the query URI with an "ingest-" host prefix. */
        ingestionUri: z.string().optional(),
        skuName: z.string().default("Dev(No SLA)_Standard_E2a_v4"),
        capacity: configNumber(z.number().int().min(1).max(1000)).default(1),
        autoStop: configBoolean().default(true),
        databaseName: z
            .string()
            .regex(/^[A-Za-z0-9_.-]{1,260}$/, "letters, digits, _ . - only")
            .default("cdc"),
        softDeletePeriod: z.string().regex(ISO_DURATION, "an ISO 8601 duration such as P30D").default("P30D"),
        hotCachePeriod: z.string().regex(ISO_DURATION, "an ISO 8601 duration such as P7D").default("P7D"),
        retainDataOnDestroy: configBoolean().default(false),
        // How long the current state (each table's view and the fences of its rule) keeps a key that has not
        // changed, in days; absent, as long as ADX keeps anything (100 years). The change tables keep the
        // database's soft-delete period (softDeletePeriod), which may be much shorter.
        currentStateRetentionDays: configNumber(z.number().int().min(1).max(UNLIMITED_RETENTION_DAYS)).optional(),
        // Streaming ingestion (sub-second). Free clusters ingest queued only: set false there, and the
        // sink and the table use queued ingestion bounded by the batching policy.
        streamingIngestion: configBoolean().default(true),
    })
    .superRefine((adx, ctx) => {
        if (adx.mode === "existing") {
            if (!adx.clusterUri) {
                ctx.addIssue({
                    code: "custom",
                    path: ["clusterUri"],
                    message:
                        'existing mode needs the cluster\'s query URI, e.g. "https://kvc-xxxx.northeurope.kusto.windows.net" (the free cluster\'s "Cluster URI" in the ADX web UI)',
                });
            }
            for (const key of ["clusterUri", "ingestionUri"] as const) {
                const value = adx[key];
                if (value !== undefined && !isHttpsHostUri(value)) {
                    ctx.addIssue({ code: "custom", path: [key], message: `must be an https URI with a host only, such as "https://kvc-xxxx.northeurope.kusto.windows.net"` });
                }
            }
            return;
        }
        for (const key of ["clusterUri", "ingestionUri"] as const) {
            if (adx[key] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is only used with mode "existing"; set pg-adx-cdc:adx.mode to "existing" to target that cluster, or remove ${key}`,
                });
        }
        if (!ADX_SKU_NAMES.includes(adx.skuName)) {
            const suggestions = ADX_SKU_NAMES.filter((s) => s.startsWith("Dev") || /E\d+ads_v5$/.test(s)).join(", ");
            ctx.addIssue({
                code: "custom",
                path: ["skuName"],
                message: `unknown ADX SKU "${adx.skuName}"; use one of ${suggestions} (full list: azure-native kusto.AzureSkuName)`,
            });
        }
        if (adx.skuName.startsWith("Dev(") && adx.capacity !== 1) {
            ctx.addIssue({ code: "custom", path: ["capacity"], message: `a Dev(No SLA) SKU runs exactly 1 instance; set capacity to 1 (got ${adx.capacity})` });
        }
        if (!adx.skuName.startsWith("Dev(") && adx.capacity < 2) {
            ctx.addIssue({ code: "custom", path: ["capacity"], message: `production SKU ${adx.skuName} needs at least 2 instances (got ${adx.capacity})` });
        }
    });

const postgresSchema = z
    .strictObject({
        // "azure": an Azure Database for PostgreSQL flexible server. "container": PostgreSQL as a Docker
        // container next to Kafka (wal_level set on its command line): costs nothing, for trying the project.
        // "existing": a server the user already runs, holding their own tables (see existingServer / host).
        mode: configEnum(["azure", "container", "existing"]).default("azure"),
        /** Existing mode, an Azure flexible server: the stack sets its logical-replication parameters and firewall rules. */
        existingServer: z
            .strictObject({ resourceGroupName: z.string().min(1), serverName: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "an Azure flexible server name") })
            .optional(),
        /** Existing mode, any PostgreSQL: where Kafka Connect and pulumi reach it. */
        host: z.string().min(1).optional(),
        port: configNumber(z.number().int().min(1).max(65535)).default(5432),
        sslMode: configEnum(SSL_MODES).default("require"),
        /** Existing Azure server: allow the stack to restart it when wal_level needs it (interrupts its clients for about a minute). */
        allowRestart: configBoolean().default(false),
        version: configEnum(POSTGRES_VERSIONS).default("16"),
        skuName: z
            .string()
            .regex(/^Standard_[A-Za-z0-9_]+$/, 'an Azure VM size such as "Standard_B1ms"')
            .default("Standard_B1ms"),
        skuTier: configEnum(["Burstable", "GeneralPurpose", "MemoryOptimized"]).default("Burstable"),
        storageSizeGb: configNumber(z.number().int().min(32).max(32768)).default(32),
        databaseName: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("retail"),
        administratorLogin: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("cdcadmin"),
        replicationUser: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("cdc_replicator"),
        allowedClientCidrs: z.array(firewallCidr).default([]),
        allowDeployerIp: configBoolean().default(false),
        maxReplicationSlots: configNumber(z.number().int().min(2).max(100)).default(10),
        // Azure's allowed range for max_wal_senders is 5-100.
        maxWalSenders: configNumber(z.number().int().min(5).max(100)).default(10),
        maxWorkerProcesses: configNumber(z.number().int().min(16, "must be at least 16 (Azure's logical replication guide)").max(1024)).default(16),
        highAvailability: configBoolean().default(false),
        // Libraries kept in shared_preload_libraries when the stack has to set it (failover slots need it).
        preloadLibraries: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/, "a library name such as pg_stat_statements")).default(["pg_cron", "pg_stat_statements"]),
        backupRetentionDays: configNumber(z.number().int().min(7).max(35)).default(7),
        geoRedundantBackup: configBoolean().default(false),
        /**
         * Last resort against a slot that fills the server's disk (Azure turns a server read-only at 95%
         * storage and does not let max_slot_wal_keep_size be set): a pg_cron job in the source drops
         * Debezium's slot once it retains more WAL than this; Debezium then re-reads every captured table
         * (snapshot.mode when_needed) and the current state hides rows deleted meanwhile. Off when absent.
         */
        walGuard: z
            .strictObject({
                /** Retained WAL (from the slot's restart LSN) at which the slot is dropped, in GB; decimals allowed. */
                maxRetainedWalGb: configNumber(z.number().positive().max(32768)),
            })
            .optional(),
        /** Azure mode: e-mailed when the server's storage passes 80% (the alert exists either way). */
        alertEmails: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address")).default([]),
        /** Container mode: the image (default postgres:<version>) and the port published on 127.0.0.1. */
        containerImage: z.string().min(1).optional(),
        containerPort: configNumber(z.number().int().min(1024).max(65535)).default(5432),
    })
    .superRefine((pg, ctx) => {
        if (pg.highAvailability && pg.skuTier === "Burstable") {
            ctx.addIssue({
                code: "custom",
                path: ["highAvailability"],
                message: "Azure does not offer high availability on the Burstable tier; use skuTier GeneralPurpose or set highAvailability false",
            });
        }
        if (pg.maxWalSenders < pg.maxReplicationSlots) {
            ctx.addIssue({
                code: "custom",
                path: ["maxWalSenders"],
                message: `must be at least maxReplicationSlots (${pg.maxReplicationSlots}); every slot streams through a WAL sender`,
            });
        }
        if (pg.mode === "existing") {
            if (!!pg.existingServer === !!pg.host) {
                ctx.addIssue({
                    code: "custom",
                    path: ["mode"],
                    message:
                        "existing mode needs exactly one of existingServer ({ resourceGroupName, serverName } of an Azure flexible server) or host (any PostgreSQL reachable from the Connect host and from where pulumi runs)",
                });
            }
            if (pg.highAvailability)
                ctx.addIssue({ code: "custom", path: ["highAvailability"], message: "an existing server keeps its own high-availability setting; remove highAvailability" });
            if (pg.containerImage !== undefined) ctx.addIssue({ code: "custom", path: ["containerImage"], message: 'is only used with mode "container"' });
            if (pg.host && (pg.allowedClientCidrs.length > 0 || pg.allowDeployerIp || pg.allowRestart)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["host"],
                    message:
                        "the stack manages firewall rules and restarts of an Azure flexible server only; with host, open the server to the Connect host yourself and remove allowedClientCidrs, allowDeployerIp and allowRestart",
                });
            }
            if (pg.existingServer && pg.allowedClientCidrs.length === 0 && !pg.allowDeployerIp) {
                ctx.addIssue({
                    code: "custom",
                    path: ["allowedClientCidrs"],
                    message: "no client may reach PostgreSQL: list the Kafka Connect host's address here, or set allowDeployerIp true",
                });
            }
            return;
        }
        for (const key of ["existingServer", "host"] as const) {
            if (pg[key] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is only used with mode "existing"; set pg-adx-cdc:postgres.mode to "existing" to capture from that server, or remove ${key}`,
                });
        }
        if (pg.mode === "container") {
            if (pg.walGuard && pg.containerImage === undefined)
                ctx.addIssue({
                    code: "custom",
                    path: ["walGuard"],
                    message:
                        "needs pg_cron in the server, which the postgres image lacks; set containerImage to an image with pg_cron, or remove walGuard (a container server is for trying the project)",
                });
            if (pg.highAvailability)
                ctx.addIssue({ code: "custom", path: ["highAvailability"], message: 'a PostgreSQL container has no standby; set highAvailability false or mode "azure"' });
            if (pg.allowedClientCidrs.length > 0 || pg.allowDeployerIp) {
                ctx.addIssue({
                    code: "custom",
                    path: ["allowedClientCidrs"],
                    message:
                        "firewall rules apply to Azure servers only; the container publishes its port on 127.0.0.1 and Connect reaches it on the Docker network. Remove allowedClientCidrs and allowDeployerIp",
                });
            }
            return;
        }
        if (pg.containerImage !== undefined) ctx.addIssue({ code: "custom", path: ["containerImage"], message: 'is only used with mode "container"' });
        if (pg.walGuard && pg.walGuard.maxRetainedWalGb >= pg.storageSizeGb * 0.8) {
            ctx.addIssue({
                code: "custom",
                path: ["walGuard", "maxRetainedWalGb"],
                message: `must be below 80% of storageSizeGb (${pg.storageSizeGb} GB), where the storage alert fires, so that the guard acts before the server turns read-only at 95%; leave room for your data too`,
            });
        }
        if (pg.allowedClientCidrs.length === 0 && !pg.allowDeployerIp) {
            ctx.addIssue({
                code: "custom",
                path: ["allowedClientCidrs"],
                message: "no client may reach PostgreSQL: list the Kafka Connect host's address here, or set allowDeployerIp true",
            });
        }
    });

/**
 * A captured table as PostgreSQL reads its name ("schema.table", quoted parts keep case and spaces),
 * stored in its canonical spelling; a name Debezium's comma-separated table lists cannot hold is refused.
 */
const capturedTableName = z.string().transform((text, ctx) => {
    try {
        const name = canonicalTableName(text);
        if (DEBEZIUM_LIST_SEPARATORS.test(name)) {
            ctx.addIssue({ code: "custom", message: `"${text}" holds , ; or :, which Debezium's table lists cannot express; rename the table` });
            return z.NEVER;
        }
        const { schema, table } = parseTableName(text);
        if (`${schema}${table}`.includes('"')) {
            // Debezium 3.7's snapshot SELECT does not escape a quote inside a name: the task fails, restarts and
            // reads every table again, forever.
            ctx.addIssue({ code: "custom", message: `"${text}" has a double quote inside a name, which Debezium's snapshot cannot read; rename the table` });
            return z.NEVER;
        }
        return name;
    } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
    }
});

const captureSchema = z
    .strictObject({
        // Tables by name only: columns, types and keys are read from PostgreSQL's catalog at deploy time.
        tables: z.array(capturedTableName).min(1, "capture at least one table").default(["retail.orders_info"]),
        topicPrefix: z
            .string()
            .regex(/^[a-z][a-z0-9_-]{0,48}$/, "lower-case letters, digits, _ and -")
            .default("cdc"),
        // Key columns of a table without a primary key: { "schema.table": ["col", ...] }.
        keys: z
            .record(
                capturedTableName,
                z
                    .array(
                        z
                            .string()
                            .min(1)
                            .refine(
                                (c) => !DEBEZIUM_LIST_SEPARATORS.test(c) && c.trim() === c,
                                "a key column for Debezium's message.key.columns holds no , ; : and no leading or trailing space",
                            ),
                    )
                    .min(1, "list at least one key column"),
            )
            .default({}),
    })
    .superRefine((capture, ctx) => {
        const duplicates = capture.tables.filter((t, i) => capture.tables.indexOf(t) !== i);
        if (duplicates.length) ctx.addIssue({ code: "custom", path: ["tables"], message: `lists ${[...new Set(duplicates)].join(", ")} more than once` });
        for (const message of findAdxNameCollisions(capture.tables)) ctx.addIssue({ code: "custom", path: ["tables"], message });
        // Debezium writes characters Kafka does not allow as "_": two names can come to one topic.
        const byTopic = new Map<string, string[]>();
        for (const t of capture.tables) byTopic.set(topicForTable(capture.topicPrefix, t), [...(byTopic.get(topicForTable(capture.topicPrefix, t)) ?? []), t]);
        for (const [topic, owners] of byTopic)
            if (owners.length > 1)
                ctx.addIssue({
                    code: "custom",
                    path: ["tables"],
                    message: `${owners.join(" and ")} would both be written to Kafka topic ${topic}; capture one of them, or rename one table in PostgreSQL`,
                });
        for (const table of Object.keys(capture.keys)) {
            if (!capture.tables.includes(table))
                ctx.addIssue({ code: "custom", path: ["keys", table], message: `${table} is not captured; add it to pg-adx-cdc:capture.tables or remove its key` });
        }
    });

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
    ...connectSettings,
    compression: configEnum(KAFKA_COMPRESSION_TYPES).default(DEFAULT_KAFKA_COMPRESSION.container),
});

const eventHubsKafkaSchema = z.strictObject({
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
            partitions: configNumber(z.number().int().min(1)).default(4),
            retentionHours: configNumber(z.number().int().min(1)).default(168),
        })
        .default({ tier: "Standard", capacity: 1, zoneRedundant: false, partitions: 4, retentionHours: 168 }),
});

const kafkaSchema = z.preprocess(
    (value) => (value && typeof value === "object" && !("mode" in value) ? { ...value, mode: "container" } : value),
    z.discriminatedUnion("mode", [containerKafkaSchema, eventHubsKafkaSchema]),
);

/** What Event Hubs cannot do, named before anything is created; `tables` is the number of captured tables. */
function findEventHubsProblems(kafka: z.infer<typeof eventHubsKafkaSchema>, capture: z.infer<typeof captureSchema>): { path: (string | number)[]; message: string }[] {
    const problems: { path: (string | number)[]; message: string }[] = [];
    const { tier, capacity, partitions, retentionHours } = kafka.eventHubs;
    const tables = capture.tables.length;
    const topics = stackTopics(capture, kafka);
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
                `${tables} captured tables need ${hubs} event hubs (one per table, plus Connect's 3 internal topics, the dead-letter topic and the heartbeat table's), ` +
                `and ${tier}${tier === "Premium" ? ` with ${capacity} PU` : ""} allows ${limits.maxEventHubs(capacity)} per namespace (${allowed} tables); ` +
                (tier === "Standard" ? 'set tier "Premium" (100 event hubs per processing unit) or capture fewer tables' : "raise capacity or capture fewer tables"),
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
export function stackTopics(capture: Pick<CaptureSettings, "topicPrefix" | "tables">, kafka: KafkaSettings): KafkaTopicSpec[] {
    return pipelineTopics({
        topicPrefix: capture.topicPrefix,
        tables: capture.tables,
        heartbeatTable: sourceObjectNames(capture.topicPrefix).heartbeatTable,
        connectGroupId: STACK_CONNECT_GROUP_ID,
        deadLetterTopic: deadLetterTopicFor(capture.topicPrefix),
        tablePartitions: kafka.mode === "eventhubs" ? kafka.eventHubs.partitions : 1,
        retentionHours: kafka.mode === "eventhubs" ? kafka.eventHubs.retentionHours : 168,
    });
}

/** The producer compressions Event Hubs' Kafka endpoint accepts. */
export const EVENT_HUBS_COMPRESSION: readonly KafkaCompression[] = ["gzip", "none"];

const generatorSchema = z
    .strictObject({
        enabled: configBoolean().default(false),
        rate: configNumber(z.number().positive().max(20000)).default(20),
        updates: configNumber(z.number().min(0).max(1)).default(0.2),
        deletes: configNumber(z.number().min(0).max(1)).default(0.05),
    })
    .refine((g) => g.updates + g.deletes <= 1, { message: "updates + deletes must not exceed 1 (the rest are inserts)", path: ["deletes"] });

/**
 * How the Kusto sink proves who it is to ADX. "managedIdentity": a user-assigned managed identity on
 * the Docker host (an Azure VM): no secret exists. "clientSecret": an Entra application's secret in the
 * workers' environment (a Docker host outside Azure); it expires after a year (`status` warns 30 days
 * ahead) and `sinkSecretRotation` replaces it.
 */
const sinkIdentitySchema = z
    .strictObject({
        kind: configEnum(["clientSecret", "managedIdentity"]).default("clientSecret"),
        /** An identity already on the Docker host (its client id); unset, the stack creates one to attach to the host. */
        managedIdentityClientId: z
            .string()
            .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
                message: "must be the identity's client id, a GUID (`az identity show -g <group> -n <name> --query clientId -o tsv`)",
            })
            .optional(),
    })
    .refine((s) => s.kind === "managedIdentity" || s.managedIdentityClientId === undefined, {
        message: 'applies to kind "managedIdentity" only: set sinkIdentity.kind to managedIdentity, or remove it',
        path: ["managedIdentityClientId"],
    });

const deployerSchema = z.strictObject({
    principalType: configEnum(["User", "App"]).default("User"),
});

export const stackConfigSchema = z
    .strictObject({
        adx: adxSchema.default(adxSchema.parse({})),
        postgres: postgresSchema,
        capture: captureSchema.default(captureSchema.parse({})),
        kafka: kafkaSchema.default(kafkaSchema.parse({})),
        generator: generatorSchema.default(generatorSchema.parse({})),
        deployer: deployerSchema.default(deployerSchema.parse({})),
        sinkIdentity: sinkIdentitySchema.default(sinkIdentitySchema.parse({})),
        sinkSecretRotation: z.string().min(1).default("initial"),
    })
    .superRefine((config, ctx) => {
        if (config.kafka.mode !== "eventhubs") return;
        for (const problem of findEventHubsProblems(config.kafka, config.capture)) {
            ctx.addIssue({ code: "custom", path: ["kafka", ...problem.path], message: problem.message });
        }
    });

export type StackConfig = z.infer<typeof stackConfigSchema>;
/** Config as a stack file or a program writes it: sections and keys with defaults may be left out. */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type AdxSettings = StackConfig["adx"];
export type PostgresSettings = StackConfig["postgres"];
export type CaptureSettings = StackConfig["capture"];
export type KafkaSettings = StackConfig["kafka"];
export type EventHubsKafkaSettings = Extract<KafkaSettings, { mode: "eventhubs" }>;
export type GeneratorSettings = StackConfig["generator"];
export type SinkIdentitySettings = StackConfig["sinkIdentity"];

/** The settings a stack gets when it leaves a section out; the e2e harness starts from these. */
export function defaultPostgresSettings(): PostgresSettings {
    return postgresSchema.parse({ mode: "container" });
}

/** A configuration error that lists every bad setting at once. */
export class StackConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "StackConfigError";
    }
}

function describeValue(root: unknown, path: PropertyKey[]): string {
    let value: unknown = root;
    for (const key of path) value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    return value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
}

/**
 * Validates raw config objects (as `pulumi.Config.getObject` returns them) and fills defaults.
 * Pure: the unit tests call it directly. Throws StackConfigError naming `pg-adx-cdc:<key>.<path>`.
 */
export function parseStackConfig(raw: Record<string, unknown>, stack: string): StackConfig {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{0,11}$/.test(stack)) {
        problems.push(
            `stack name "${stack}" must be 1-12 lower-case letters, digits or -, starting with a letter: it is part of Azure resource names (the ADX cluster allows 22 characters)`,
        );
    }
    const result = stackConfigSchema.safeParse(raw);
    const explained = [...findKeysIgnoredByMode(raw), ...findRemovedSettings(raw)];
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const unknown of issue.keys) {
                    const key = configKeyName([...issue.path, unknown]);
                    if (!explained.some((p) => p.startsWith(`${key} `))) problems.push(unknownKeyProblem(issue.path, unknown));
                }
                continue;
            }
            const key = configKeyName(issue.path);
            const missing = issue.code === "invalid_type" && describeValue(raw, issue.path) === "";
            if (missing) problems.push(`${key} is required: ${issue.message}; set it in Pulumi.${stack}.yaml`);
            else if (issue.code === "invalid_type") problems.push(`${key}: ${issue.message}${describeValue(raw, issue.path)}${typeHint(key, issue.expected, issue.path.length)}`);
            else problems.push(`${key}: ${issue.message}${describeValue(raw, issue.path)}`);
        }
    }
    problems.push(...explained);
    if (problems.length > 0) throw new StackConfigError(problems);
    return result.data!;
}

/** `pg-adx-cdc:section.key[.more]` for a path into the config. */
function configKeyName(path: readonly PropertyKey[]): string {
    const [top, ...rest] = path.map(String);
    return `${CONFIG_NAMESPACE}:${top}${rest.length ? "." + rest.join(".") : ""}`;
}

/** A key no setting has: named, with the nearest setting and the settings of its section. */
function unknownKeyProblem(parent: readonly PropertyKey[], unknown: string): string {
    const known = (knownKeysAt(stackConfigSchema, parent) ?? []).concat(parent.length === 0 ? [POSTGRES_ADMIN_PASSWORD_KEY] : []);
    const nearest = nearestKey(unknown, known);
    const where = parent.length === 0 ? `${CONFIG_NAMESPACE}:` : `${configKeyName(parent)}.`;
    return (
        `${configKeyName([...parent, unknown])} is not a setting` +
        (nearest ? `; did you mean ${where}${nearest}?` : "") +
        ` (${parent.length === 0 ? "settings" : `settings of ${configKeyName(parent)}`}: ${known.join(", ")}; docs/configuration.md)`
    );
}

/** How to store a value of the expected type with `pulumi config set`. */
function typeHint(key: string, expected: string, depth: number): string {
    const flag = pulumiTypeFlag(expected);
    if (!flag) return "";
    return depth > 1 ? `; set it with: pulumi config set --path '${key}' <value> --type ${flag}` : `; set it in the stack file as a ${expected}`;
}

/** Settings that mean something in one mode only; set in the other they would be silently ignored. */
const MODE_ONLY_SETTINGS: { section: "adx" | "postgres" | "kafka"; defaultMode: string; onlyIn: string; reason: string; keys: string[] }[] = [
    {
        section: "adx",
        defaultMode: "owned",
        onlyIn: "owned",
        reason: "the stack does not manage an existing cluster",
        keys: ["skuName", "capacity", "autoStop", "softDeletePeriod", "hotCachePeriod"],
    },
    {
        section: "postgres",
        defaultMode: "azure",
        onlyIn: "azure",
        reason: "they describe an Azure flexible server",
        keys: ["skuName", "skuTier", "storageSizeGb", "backupRetentionDays", "geoRedundantBackup", "preloadLibraries", "alertEmails"],
    },
    { section: "kafka", defaultMode: "container", onlyIn: "container", reason: "Event Hubs is the broker; there is no broker container", keys: ["kafkaPort"] },
    { section: "kafka", defaultMode: "container", onlyIn: "eventhubs", reason: "the container mode runs one broker and one worker", keys: ["eventHubs", "connectWorkers"] },
];

function findKeysIgnoredByMode(raw: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const rule of MODE_ONLY_SETTINGS) {
        const value = raw[rule.section];
        if (!value || typeof value !== "object") continue;
        const mode = (value as Record<string, unknown>).mode ?? rule.defaultMode;
        if (mode === rule.onlyIn) continue;
        for (const key of rule.keys) {
            if (key in value) problems.push(`${CONFIG_NAMESPACE}:${rule.section}.${key} has no effect with mode "${String(mode)}" (${rule.reason}); remove it from the stack file`);
        }
    }
    return problems;
}

/** Settings earlier versions of the stack read; naming them now would be silently ignored. */
const REMOVED_SETTINGS: Record<string, string> = {
    "kafka.kafkaImage": "the Kafka image is pinned in versions.ts (KAFKA_VERSION), the version the e2e run verifies",
    "kafka.connectBaseImage": "the Debezium Connect image is pinned in versions.ts (DEBEZIUM_VERSION), the version the e2e run verifies",
    "kafka.kustoSinkVersion": "the Kusto sink is built from the commit pinned in versions.ts (KUSTO_SINK)",
    "kafka.kustoSinkSha256": "the Kusto sink is built from the commit pinned in versions.ts; the commit id is the integrity check",
};

function findRemovedSettings(raw: Record<string, unknown>): string[] {
    return Object.entries(REMOVED_SETTINGS).flatMap(([path, reason]) => {
        const [section, key] = path.split(".");
        const value = raw[section];
        return value && typeof value === "object" && key in value ? [`${CONFIG_NAMESPACE}:${path} is no longer a setting: ${reason}; remove it from the stack file`] : [];
    });
}

/** The current stack's `pg-adx-cdc:*` config as raw objects, every key of the namespace (so CdcPipeline's validation refuses a mistyped one); the admin password excluded. */
export function readStackSettings(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        // The admin password is a secret read where it is used (requirePostgresAdminPassword).
        if (key === POSTGRES_ADMIN_PASSWORD_KEY) continue;
        raw[key] = parseConfigText(text);
    }
    return raw;
}

/** A config value as the engine hands it to the program: objects and arrays as JSON text, the rest as text. */
function parseConfigText(text: string): unknown {
    if (!/^\s*[[{]/.test(text)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** Stack config key of the PostgreSQL admin password (a Pulumi secret). */
export const POSTGRES_ADMIN_PASSWORD_KEY = "postgresAdminPassword";

/** The admin password, as a secret; its absence is a clear error that says how to set it. */
export function requirePostgresAdminPassword(): pulumi.Output<string> {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const value = config.getSecret(POSTGRES_ADMIN_PASSWORD_KEY);
    if (value === undefined) {
        throw new StackConfigError([
            `${CONFIG_NAMESPACE}:${POSTGRES_ADMIN_PASSWORD_KEY} is required and must be a secret: pulumi config set --secret ${CONFIG_NAMESPACE}:${POSTGRES_ADMIN_PASSWORD_KEY} '<8-128 characters, three of upper, lower, digit, symbol>'`,
        ]);
    }
    return value;
}
