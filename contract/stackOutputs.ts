// What the operator commands know about a deployed stack: the `operations` stack output (index.ts),
// checked here so a stale or foreign stack fails with the missing field named. How the commands
// obtain it (the Pulumi CLI or a file) is operations/stackSelection.ts.
import { SSL_MODES } from "./sslMode";
import { z } from "zod";
import type { KafkaAuthentication } from "../runtime/kafkaClient";

/** One captured table in ADX: its change table, current-state view and function, and the key. */
const ADX_TABLE = z.object({
    sourceTable: z.string(),
    rawTable: z.string(),
    functionName: z.string(),
    view: z.string(),
    keys: z.array(z.string()).min(1),
    /** The change table's whole-record column ("record", or "_record" when the source has a column of that name). */
    recordColumn: z.string().default("record"),
    /** The change table's Kafka position columns (a leading _ when the source has a column of that name). */
    partitionColumn: z.string().default("kafka_partition"),
    offsetColumn: z.string().default("kafka_offset"),
    /**
     * The change table's emission stamp and commit time columns (a leading _ when the source has a column of that
     * name; status reads the newest heartbeat's commit time); absent on stacks deployed before they were output.
     */
    stampColumn: z.string().default("emission_stamp"),
    sourceTsColumn: z.string().default("source_ts"),
    /** The current-state rule's fence table (absent on stacks deployed before it existed). */
    fences: z.string().optional(),
    /** The change table's (and the fence table's) operation, LSN and change-order columns: status reads the fences by them. */
    opColumn: z.string().default("op"),
    lsnColumn: z.string().default("lsn"),
    changeOrderColumn: z.string().default("change_order"),
    /** The source table's relation (pg_class OID) when the stack last read the catalog: another one now means it was replaced (absent on older stacks). */
    sourceRelation: z.string().optional(),
    /** A partitioned source table's leaf partitions (identity → name, CatalogTable.partitions) when the stack last read the catalog: one gone or truncated since took its rows away without a change event. */
    sourcePartitions: z.record(z.string(), z.string()).optional(),
    /** "default" where pg-adx-cdc:capture.replicaIdentity leaves the table at REPLICA IDENTITY DEFAULT (status then expects no FULL); absent: FULL. */
    replicaIdentity: z.literal("default").optional(),
});

const operationsSchema = z.object({
    connectRestUrl: z.string().url(),
    /** Every Connect worker's REST URL (Event Hubs mode runs several); absent on stacks deployed before it existed. */
    connectWorkerUrls: z.array(z.string().url()).min(1).optional(),
    connectors: z.object({ source: z.string().min(1), sink: z.string().min(1) }),
    kafkaBootstrapServers: z.string().min(1),
    /** How operator commands authenticate to Kafka (the broker's host-listener password, a SAS password or an Entra token, read from the named environment variable). */
    kafkaAuthentication: z
        .discriminatedUnion("mechanism", [
            z.object({
                protocol: z.enum(["SASL_SSL", "SASL_PLAINTEXT"]),
                mechanism: z.literal("PLAIN"),
                username: z.string().min(1),
                passwordEnvVar: z.string().min(1),
                passwordOutput: z.string().min(1),
            }),
            /** Local auth off: the operator's own Entra token for `resource` (held in `tokenEnvVar`, else the Azure credential chain). */
            z.object({ protocol: z.literal("SASL_SSL"), mechanism: z.literal("OAUTHBEARER"), resource: z.string().url(), tokenEnvVar: z.string().min(1) }),
        ])
        .optional() satisfies z.ZodType<KafkaAuthentication | undefined>,
    topics: z.array(z.string().min(1)).min(1),
    deadLetterTopic: z.string().min(1),
    postgres: z.object({
        host: z.string().min(1),
        port: z.number().int(),
        database: z.string().min(1),
        user: z.string().min(1),
        sslMode: z.enum(SSL_MODES),
        slotName: z.string().min(1),
        /** Debezium's signal table: status reads incremental snapshot progress from it (absent on stacks deployed before it existed). */
        signalTable: z.string().min(1).optional(),
        /** The stack's publication: status finds a captured table renamed under capture in it (absent on stacks deployed before it existed). */
        publicationName: z.string().min(1).optional(),
        /** Where the WAL guard logs each slot it dropped (postgres/walGuard.ts): status reports the latest. */
        walGuardLogTable: z.string().min(1).optional(),
    }),
    /** How the Kusto sink authenticates (absent on stacks deployed before it existed): status warns before a client secret expires. */
    sinkIdentity: z
        .object({
            kind: z.enum(["clientSecret", "managedIdentity"]),
            clientId: z.string().min(1),
            /** clientSecret: when the secret stops working (RFC 3339). */
            clientSecretExpiresAt: z.string().optional(),
            /** managedIdentity created by the stack: attach it to the Docker host. */
            managedIdentityResourceId: z.string().optional(),
        })
        .optional(),
    adx: z.object({
        queryUri: z.string().url(),
        database: z.string().min(1),
        tables: z.array(ADX_TABLE).min(1),
        /** The heartbeat table in ADX: verify's marker goes through it; its freshness function shows lag. */
        heartbeat: ADX_TABLE.extend({ freshnessFunction: z.string() }),
    }),
});

/** The `operations` stack output. */
export type OperationsOutputs = z.infer<typeof operationsSchema>;

/** Validates the JSON of `pulumi stack output --json` (or its `operations` member alone). */
export function parseOperationsOutputs(json: unknown, source: string): OperationsOutputs {
    const isObject = json !== null && typeof json === "object";
    if (!isObject || (!("operations" in json) && !("connectRestUrl" in json))) {
        throw new Error(`${source} has no "operations" output; it was deployed by an older version of the stack: run pulumi up with this one first`);
    }
    const candidate = "operations" in json ? (json as Record<string, unknown>).operations : json;
    const result = operationsSchema.safeParse(candidate);
    if (!result.success) {
        const problems = result.error.issues.map((i) => `operations.${i.path.join(".")}: ${i.message}`).join("; ");
        throw new Error(`${source} has no usable "operations" output (${problems}); run pulumi up with this version of the stack first`);
    }
    return result.data;
}
