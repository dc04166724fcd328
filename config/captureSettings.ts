// pg-adx-cdc:capture: which tables, their key columns where they have no primary key, the topic prefix.
import { z } from "zod";
import { findAdxNameCollisions } from "../kql/adxModel";
import { topicForTable } from "../connectors/debeziumSource";
import { canonicalTableName, DEBEZIUM_LIST_SEPARATORS, parseTableName } from "../contract/identifiers";

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

export const captureSchema = z
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
        // Tables left at PostgreSQL's REPLICA IDENTITY DEFAULT (their primary key) instead of FULL: { "schema.table": "default" }.
        replicaIdentity: z.record(capturedTableName, z.enum(["full", "default"])).default({}),
    })
    .superRefine((capture, ctx) => {
        const duplicates = capture.tables.filter((t, i) => capture.tables.indexOf(t) !== i);
        if (duplicates.length) ctx.addIssue({ code: "custom", path: ["tables"], message: `lists ${[...new Set(duplicates)].join(", ")} more than once` });
        for (const message of findAdxNameCollisions(capture.tables)) ctx.addIssue({ code: "custom", path: ["tables"], message });
        for (const message of findTopicCollisions(capture.topicPrefix, capture.tables)) ctx.addIssue({ code: "custom", path: ["tables"], message });
        for (const table of Object.keys(capture.keys)) {
            if (!capture.tables.includes(table))
                ctx.addIssue({ code: "custom", path: ["keys", table], message: `${table} is not captured; add it to pg-adx-cdc:capture.tables or remove its key` });
        }
        for (const [table, identity] of Object.entries(capture.replicaIdentity)) {
            if (!capture.tables.includes(table))
                ctx.addIssue({
                    code: "custom",
                    path: ["replicaIdentity", table],
                    message: `${table} is not captured; add it to pg-adx-cdc:capture.tables or remove its replica identity`,
                });
            else if (identity === "default" && capture.keys[table])
                ctx.addIssue({
                    code: "custom",
                    path: ["replicaIdentity", table],
                    message: `${table} is keyed by pg-adx-cdc:capture.keys, which its updates and deletes carry only under REPLICA IDENTITY FULL: remove its replica identity setting, or give the table a primary key and remove its capture.keys`,
                });
        }
    });

/** The captured tables the stack leaves at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity), in capture order. */
export function defaultIdentityTables(capture: { tables: string[]; replicaIdentity: Record<string, "full" | "default"> }): string[] {
    return capture.tables.filter((t) => capture.replicaIdentity[t] === "default");
}

/**
 * Captured tables whose topics would collide: Debezium writes characters Kafka does not allow as "_", so
 * two names can come to one topic; Kafka refuses a topic whose name equals another's once "." and "_" are
 * taken as one (their metric names would clash), so the second table's records could never be written;
 * and Event Hubs (`caseInsensitive`) takes names that differ only by case as one event hub.
 */
export function findTopicCollisions(topicPrefix: string, tables: string[], options: { caseInsensitive?: boolean } = {}): string[] {
    const byTopic = new Map<string, string[]>();
    for (const t of tables) {
        const topic = topicForTable(topicPrefix, t);
        const identity = (options.caseInsensitive ? topic.toLowerCase() : topic).replace(/\./g, "_");
        byTopic.set(identity, [...(byTopic.get(identity) ?? []), t]);
    }
    return [...byTopic.values()]
        .filter((owners) => owners.length > 1)
        .map((owners) => {
            const topics = [...new Set(owners.map((t) => topicForTable(topicPrefix, t)))];
            const why =
                topics.length === 1
                    ? `would both be written to Kafka topic ${topics[0]}`
                    : topics.some((a) => topics.some((b) => a !== b && a.toLowerCase() === b.toLowerCase()))
                      ? `would be written to topics ${topics.join(" and ")}, which Event Hubs takes as one event hub (its names ignore case)`
                      : `would be written to topics ${topics.join(" and ")}, which Kafka refuses to hold both of ("." and "_" collide in its metric names)`;
            return `${owners.join(" and ")} ${why}; capture one of them, or rename one table in PostgreSQL`;
        });
}

export type CaptureSettings = z.infer<typeof captureSchema>;
