// IncrementalSnapshot: a table that joins pg-adx-cdc:capture.tables on a running stack gets its
// existing rows through Debezium's incremental snapshot (chunked by key, interleaved with the
// stream, so other tables keep flowing and nothing is re-read twice). The stack writes the
// `execute-snapshot` signal into its signal table (cdc_meta, in the publication) once the source
// connector's running task captures the table, then waits for Debezium's first snapshot window
// (the watermark rows it writes into the same table) as the acknowledgement.
// The first deployment sends nothing: the connector's initial snapshot reads every captured table.
import { debeziumSnapshotCollection, debeziumSnapshotConditionPattern, debeziumTablePattern } from "../contract/identifiers";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConnectionInputs, setReplicaIdentityWherePossible, withClient } from "./sourceBootstrap";
import { connectRequest } from "../connectors/connectRestClient";
import type { ConnectCredentials } from "../connectors/connectRestAuth";
import { ConnectCredentialsInput, withSecretConnectCredentials } from "../connectors/connectCredentialsInput";
import { pollUntil } from "../runtime/pollUntil";
import { CheckFailure, checkAnswer, configureAdminPassword, logProgress } from "../runtime/providerKit";
import { SqlStatement, writeReplacedTableFences } from "./tableFence";
import { installTruncationTriggers, partitionOid } from "./partitionTruncations";
import { sourceObjectNames, USER_TABLE_LOCK_TIMEOUT } from "./sourceSchema";
import { debeziumTopicName } from "../contract/identifiers";

export interface IncrementalSnapshotInputs {
    connection: PostgresConnectionInputs;
    /** "schema.table" of the stack's signal table. */
    signalTable: string;
    connectUrl: string;
    /** The Debezium source connector that reads the signal. */
    connectorName: string;
    /** Captured tables, "schema.table". */
    tables: string[];
    /** Each captured table's column names, as the catalog read them at this deployment. */
    tableColumns?: Record<string, string[]>;
    /** Each captured table's ADX change table generation (KqlSchema's tableGenerations): a new one means ADX lost the rows. */
    adxTableGenerations?: Record<string, string>;
    /** Each captured table's column types (declared, e.g. "numeric(12,2)"), as the catalog read them at this deployment. */
    tableColumnTypes?: Record<string, Record<string, string>>;
    /** Each captured table's enum columns and their labels at this deployment: a label gone means every row holding it changed. */
    tableEnumLabels?: Record<string, Record<string, string[]>>;
    /** Each captured table's relation (its pg_class OID) at this deployment: another one means the table was replaced. */
    tableRelations?: Record<string, string>;
    /** Each captured partitioned table's leaf partitions at this deployment (relation OID → name; partitionChanges). */
    tablePartitions?: Record<string, Record<string, string>>;
    /** The source connector's topic prefix: a replaced table's fence names its topic. */
    topicPrefix?: string;
    /** Captured tables left at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity): their new partitions are left so too. */
    defaultIdentityTables?: string[];
    timeoutSeconds?: number;
}

export interface SentSignal {
    id: string;
    tables: string[];
    sentAt: string;
}

/**
 * The signal row Debezium's source channel reads (`data-collections` are regexes over "schema.table": each
 * table's exact pattern). `filters` restricts a table's read to the rows a SQL condition selects
 * (Debezium's `additional-conditions`): reconcile's repair re-reads only the keys that drifted.
 */
export function executeSnapshotSignal(tables: string[], now = new Date(), filters: Record<string, string> = {}): { id: string; type: string; data: string } {
    const conditions = tables.filter((t) => filters[t]).map((t) => ({ "data-collection": debeziumSnapshotConditionPattern(t), filter: filters[t] }));
    return {
        id: `pg-adx-cdc-${now.toISOString()}-${Math.random().toString(36).slice(2, 8)}`,
        type: "execute-snapshot",
        data: JSON.stringify({
            "data-collections": tables.map(debeziumSnapshotCollection),
            type: "incremental",
            ...(conditions.length ? { "additional-conditions": conditions } : {}),
        }),
    };
}

/**
 * What the snapshot resource records of the captured tables' shape at a deployment (from the catalog's
 * description; other tables, such as the heartbeat, are left out): each table's column names and their
 * declared types (a composite's with its attributes). The next deployment compares them (tablesToReread).
 */
export function capturedTableShapes(
    described: {
        qualifiedName: string;
        relationId?: string;
        partitions?: Record<string, string>;
        columns: { name: string; declaredType: string; enumLabels?: string[]; compositeShape?: string }[];
    }[],
    tables: string[],
): Required<Pick<IncrementalSnapshotInputs, "tableColumns" | "tableColumnTypes" | "tableRelations" | "tableEnumLabels" | "tablePartitions">> {
    const captured = described.filter((t) => tables.includes(t.qualifiedName));
    return {
        tableColumns: Object.fromEntries(captured.map((t) => [t.qualifiedName, t.columns.map((c) => c.name)])),
        // A composite column's type is recorded with the composite's attributes: one added or dropped is a type change.
        tableColumnTypes: Object.fromEntries(
            captured.map((t) => [
                t.qualifiedName,
                Object.fromEntries(t.columns.map((c) => [c.name, c.compositeShape ? `${c.declaredType} = ${c.compositeShape}` : c.declaredType])),
            ]),
        ),
        tableRelations: Object.fromEntries(captured.filter((t) => t.relationId !== undefined).map((t) => [t.qualifiedName, t.relationId!])),
        tableEnumLabels: Object.fromEntries(
            captured.map((t) => [t.qualifiedName, Object.fromEntries(t.columns.filter((c) => c.enumLabels?.length).map((c) => [c.name, c.enumLabels!]))]),
        ),
        tablePartitions: Object.fromEntries(captured.filter((t) => t.partitions !== undefined).map((t) => [t.qualifiedName, t.partitions!])),
    };
}

/**
 * One table's recorded shape (partitions, enum labels) at the last deployment and at this one, when the table
 * was captured then and both recorded it (a stack from before the shape was recorded compares nothing).
 */
function recordedBoth<V>(olds: Record<string, V> | undefined, news: Record<string, V> | undefined, oldTables: string[] | undefined, table: string): [V, V] | undefined {
    const before = olds?.[table];
    const now = news?.[table];
    return (oldTables ?? []).includes(table) && before !== undefined && now !== undefined ? [before, now] : undefined;
}

/** A captured partitioned table's leaf partitions that came, went or were truncated since the last deployment (their recorded identities). */
export interface PartitionChange {
    table: string;
    /** Created or attached since: a partition attached with rows brought rows that never streamed. */
    added: string[];
    /** Detached or dropped since (or dropped and created again under its name): its rows left without a change event. */
    removed: string[];
    /** Truncated alone since (postgres/partitionTruncations.ts): its rows left without a change event. */
    truncated: string[];
}

/**
 * The captured partitioned tables whose leaf partitions changed since the last deployment. Logical decoding
 * publishes no change for ATTACH, DETACH or DROP of a partition, nor (through the root) for a TRUNCATE of one,
 * so these are the changes of the table's rows the stream never carried. Recorded partitions only (a stack
 * from before they were recorded, or a table that joined capture now, compares nothing).
 */
export function partitionChanges(
    olds: Pick<IncrementalSnapshotInputs, "tablePartitions"> & { tables?: string[] },
    news: Pick<IncrementalSnapshotInputs, "tables" | "tablePartitions">,
): PartitionChange[] {
    return news.tables.flatMap((table) => {
        const shapes = recordedBoth(olds.tablePartitions, news.tablePartitions, olds.tables, table);
        if (!shapes) return [];
        const [before, now] = shapes;
        const oids = (keys: Record<string, string>) => new Set(Object.keys(keys).map(partitionOid));
        const [oidsBefore, oidsNow] = [oids(before), oids(now)];
        const added = Object.keys(now).filter((key) => !oidsBefore.has(partitionOid(key)));
        const removed = Object.keys(before).filter((key) => !oidsNow.has(partitionOid(key)));
        const truncated = Object.keys(now).filter((key) => oidsBefore.has(partitionOid(key)) && !(key in before));
        return added.length || removed.length || truncated.length ? [{ table, added, removed, truncated }] : [];
    });
}

/**
 * The condition (Debezium's `additional-conditions`, over the partitioned table) that reads only the rows of
 * the given partitions: `tableoid` names the partition a row of the root lives in.
 */
export function partitionReadFilter(partitionOids: string[]): string {
    if (partitionOids.length === 0 || partitionOids.some((oid) => !/^[1-9][0-9]*$/.test(oid)))
        throw new Error(`partition relation OIDs expected, got ${JSON.stringify(partitionOids)}`);
    return `tableoid IN (${partitionOids.join(", ")})`;
}

/**
 * Captured tables that are another relation than at the last deployment (dropped and created again under
 * their name): their ADX rows belong to the table they replaced. Recorded relations only (a stack from
 * before they were recorded replaces nothing).
 */
export function replacedTables(
    olds: Pick<IncrementalSnapshotInputs, "tableRelations"> & { tables?: string[] },
    news: Pick<IncrementalSnapshotInputs, "tables" | "tableRelations">,
): string[] {
    return news.tables.filter(
        (t) =>
            (olds.tables ?? []).includes(t) &&
            olds.tableRelations?.[t] !== undefined &&
            news.tableRelations?.[t] !== undefined &&
            olds.tableRelations[t] !== news.tableRelations[t],
    );
}

/** Tables in `news` that `olds` did not capture, in `news` order. */
export function addedTables(olds: string[] | undefined, news: string[]): string[] {
    return news.filter((t) => !(olds ?? []).includes(t));
}

/**
 * Tables to read again on `pulumi up`: those that joined capture.tables, those that gained a column
 * name since the last deployment (a RENAME COLUMN, or ADD COLUMN ... DEFAULT): rows not changed since
 * carry no change event with the new name, so the current state would show it empty; those with a
 * column whose type changed (ALTER COLUMN ... TYPE rewrites every row, USING may change every value,
 * e.g. dollars to cents or a timestamp read in a time zone, and a rewrite publishes no change at
 * all), or whose composite type gained or lost an attribute (every value's text changes, and nothing
 * is published); those whose ADX change table was created again (dropped in ADX and restored by pulumi up
 * after a refresh): the rows delivered before went with the old table, and the sink only delivers
 * what comes after; those replaced in PostgreSQL (replacedTables), whose rows never streamed; those
 * with an enum label renamed (relabeledTables); and partitioned tables whose partitions came or went
 * (partitionChanges; rereadPlan says how each is read).
 */
export function tablesToReread(
    olds: Pick<IncrementalSnapshotInputs, "tableColumns" | "adxTableGenerations" | "tableColumnTypes" | "tableRelations" | "tableEnumLabels" | "tablePartitions"> & {
        tables?: string[];
    },
    news: Pick<IncrementalSnapshotInputs, "tables" | "tableColumns" | "adxTableGenerations" | "tableColumnTypes" | "tableRelations" | "tableEnumLabels" | "tablePartitions">,
): string[] {
    const added = addedTables(olds.tables, news.tables);
    const reshaped = news.tables.filter((t) => {
        const before = olds.tableColumns?.[t];
        const now = news.tableColumns?.[t];
        return !added.includes(t) && before !== undefined && now !== undefined && now.some((c) => !before.includes(c));
    });
    // Types recorded by an earlier deployment only (a stack from before they were recorded re-reads nothing for them).
    const retyped = news.tables.filter((t) => {
        const before = olds.tableColumnTypes?.[t];
        const now = news.tableColumnTypes?.[t];
        return (
            !added.includes(t) &&
            !reshaped.includes(t) &&
            before !== undefined &&
            now !== undefined &&
            Object.entries(now).some(([c, type]) => before[c] !== undefined && before[c] !== type)
        );
    });
    const recreated = news.tables.filter((t) => {
        const before = olds.adxTableGenerations?.[t];
        const now = news.adxTableGenerations?.[t];
        return !added.includes(t) && !reshaped.includes(t) && !retyped.includes(t) && before !== undefined && now !== undefined && before !== now;
    });
    const earlier = [...added, ...reshaped, ...retyped, ...recreated];
    const replaced = replacedTables(olds, news).filter((t) => !earlier.includes(t));
    const relabeled = relabeledTables(olds, news).filter((t) => !earlier.includes(t) && !replaced.includes(t));
    const repartitioned = partitionChanges(olds, news)
        .map((c) => c.table)
        .filter((t) => !earlier.includes(t) && !replaced.includes(t) && !relabeled.includes(t));
    return [...earlier, ...replaced, ...relabeled, ...repartitioned];
}

/**
 * How `pulumi up` reads the tables of tablesToReread: which get a fence first (every row ADX holds of them is
 * hidden from its position on, so the re-read decides what is live), and which read only some partitions.
 * A replaced table is fenced. A partitioned table that lost a partition, or had one truncated alone, is fenced
 * and read whole: the rows the partition held are gone without a change event, and only a read of every row tells which keys are left (on a
 * large table `reconcile --repair` touches less). One that only gained partitions reads just those: an
 * attached partition's rows never streamed, and a partition created under capture is read again harmlessly.
 */
export function rereadPlan(
    olds: Parameters<typeof tablesToReread>[0],
    news: Parameters<typeof tablesToReread>[1],
): { tables: string[]; fenced: string[]; filters: Record<string, string> } {
    const tables = tablesToReread(olds, news);
    const changes = partitionChanges(olds, news);
    const lost = changes.filter((c) => c.removed.length || c.truncated.length);
    const fenced = [...replacedTables(olds, news), ...lost.map((c) => c.table)].filter((t) => tables.includes(t));
    // A table read for another reason as well is read whole.
    const otherwise = tablesToReread(olds, { ...news, tablePartitions: olds.tablePartitions });
    const filters = Object.fromEntries(
        changes.filter((c) => !lost.includes(c) && !otherwise.includes(c.table)).map((c) => [c.table, partitionReadFilter(c.added.map(partitionOid))]),
    );
    return { tables, fenced: [...new Set(fenced)], filters };
}

/**
 * Captured tables with an enum column one of whose recorded labels is gone: renamed (ALTER TYPE ... RENAME
 * VALUE), or the type re-created under its name and the column converted (USING), either way every row
 * holding it now reads otherwise and published nothing. A label added changes no row.
 */
export function relabeledTables(
    olds: Pick<IncrementalSnapshotInputs, "tableEnumLabels"> & { tables?: string[] },
    news: Pick<IncrementalSnapshotInputs, "tables" | "tableEnumLabels">,
): string[] {
    return news.tables.filter((t) => {
        const shapes = recordedBoth(olds.tableEnumLabels, news.tableEnumLabels, olds.tables, t);
        if (!shapes) return false;
        const [before, now] = shapes;
        return Object.entries(before).some(([column, labels]) => now[column] !== undefined && labels.some((l) => !now[column].includes(l)));
    });
}

/** True when the connector's running task captures every table (its table.include.list as Debezium reads it). */
export function taskCaptures(taskConfigs: { config: Record<string, string> }[], tables: string[]): boolean {
    return taskConfigs.some((t) => {
        const included = (t.config["table.include.list"] ?? "").split(",");
        return tables.every((table) => included.includes(debeziumTablePattern(table)));
    });
}

/** Where an incremental snapshot is requested: the signal table, and the connector that reads it. */
export interface SnapshotTarget {
    signalTable: string;
    connectUrl: string;
    /** The Connect REST API's credentials; without them, the operator's variable (connectors/connectRestAuth.ts). */
    connectCredentials?: ConnectCredentials;
    connectorName: string;
    timeoutSeconds?: number;
}

/**
 * Requests an incremental snapshot of `tables` on an open admin connection: once the running task
 * captures them, writes the execute-snapshot signal and waits for Debezium's first snapshot window.
 * Empty tables are left out (Debezium opens no window for them); undefined when nothing is left.
 * Used by the IncrementalSnapshot resource and by `pg-adx-cdc snapshot`.
 */
export async function requestIncrementalSnapshot(
    client: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
    inputs: SnapshotTarget,
    tables: string[],
    log: (message: string) => void,
    filters: Record<string, string> = {},
    /**
     * Writes the fences of the tables to be read again, given each one's re-read signal (none for an empty
     * table, which gets no read), and runs `signalInsert` in the fences' transaction (writeTableFences), so each
     * fence lies right before every read of its table.
     */
    fence?: (rereadSignal: (table: string) => string | undefined, signalInsert: SqlStatement[]) => Promise<void>,
): Promise<SentSignal | undefined> {
    const deadlineMs = (inputs.timeoutSeconds ?? 180) * 1000;
    // An empty table (or filter) has nothing to read, and Debezium opens no window for it.
    const withRows: string[] = [];
    for (const table of tables)
        if ((await client.query(`SELECT EXISTS (SELECT FROM ${table}${filters[table] ? ` WHERE ${filters[table]}` : ""}) AS any`)).rows[0].any) withRows.push(table);
    if (withRows.length === 0) {
        await fence?.(() => undefined, []);
        log(`${tables.join(", ")}: empty, nothing to read`);
        return undefined;
    }
    // The task must already capture the table; a signal read by the task the update replaces would be skipped.
    const policy = { deadlineMs: 30_000, initialDelayMs: 500, maxDelayMs: 5000 };
    const connector = `/connectors/${encodeURIComponent(inputs.connectorName)}`;
    let seen = "no answer yet";
    const connect = { url: inputs.connectUrl, credentials: inputs.connectCredentials };
    await pollUntil({
        attempt: async () => {
            const tasks = await connectRequest(connect, "GET", `${connector}/tasks`, undefined, policy);
            const status = await connectRequest(connect, "GET", `${connector}/status`, undefined, policy);
            const states = (status.data?.tasks ?? []).map((t: { state: string }) => t.state);
            seen = `tasks ${JSON.stringify(states)}, task config captures them: ${tasks.status === 200 && taskCaptures(tasks.data, withRows)}`;
            return tasks.status === 200 && taskCaptures(tasks.data, withRows) && states.length > 0 && states.every((s: string) => s === "RUNNING") ? true : undefined;
        },
        timeoutMs: deadlineMs,
        intervalMs: 1000,
        timeoutError: (ms) =>
            new Error(
                `the source connector ${inputs.connectorName} did not run with ${withRows.join(", ")} in table.include.list within ${Math.round(ms / 1000)} s (${seen}); ` +
                    "check `pg-adx-cdc status` and the worker log, then run pulumi up again (the signal is sent once the task captures the table)",
            ),
    });
    const windows = async () => Number((await client.query(`SELECT count(*) AS n FROM ${inputs.signalTable} WHERE type = 'snapshot-window-open'`)).rows[0].n);
    const before = await windows();
    const signal = executeSnapshotSignal(withRows, new Date(), filters);
    const insert: SqlStatement = { text: `INSERT INTO ${inputs.signalTable} (id, type, data) VALUES ($1, $2, $3)`, values: [signal.id, signal.type, signal.data] };
    // A filtered read does not read a whole table: no fence waits for it.
    if (fence) await fence((t) => (withRows.includes(t) && !filters[t] ? signal.id : undefined), [insert]);
    else await client.query(insert.text, insert.values);
    log(`incremental snapshot of ${withRows.join(", ")} requested (signal ${signal.id}); waiting for Debezium's first snapshot window`);
    await pollUntil({
        attempt: async () => ((await windows()) > before ? true : undefined),
        timeoutMs: deadlineMs,
        intervalMs: 500,
        timeoutError: (ms) =>
            new Error(
                `Debezium opened no snapshot window for signal ${signal.id} (${withRows.join(", ")}) in ${Math.round(ms / 1000)} s: ` +
                    `is signal.data.collection ${inputs.signalTable} in the connector config and the table in the publication? The signal row stays in ${inputs.signalTable}; ` +
                    "Debezium reads it when the connector streams again",
            ),
    });
    log(`Debezium is reading ${withRows.join(", ")} in chunks; \`pg-adx-cdc status\` shows the progress`);
    return { id: signal.id, tables: withRows, sentAt: new Date().toISOString() };
}

/**
 * Reads `plan.tables` again; a fenced table's fence is written right before the signal (even when the table is
 * empty, which gets no signal: its fence applies at once), so the fence lies before every read of it and waits for the read's end.
 */
async function sendSignal(inputs: IncrementalSnapshotInputs, password: string | undefined, plan: ReturnType<typeof rereadPlan>): Promise<SentSignal | undefined> {
    return withClient(inputs.connection, password, async (client) => {
        const fenced = plan.fenced.length && inputs.topicPrefix ? Object.fromEntries(plan.fenced.map((t) => [t, debeziumTopicName(inputs.topicPrefix!, t)])) : undefined;
        return requestIncrementalSnapshot(
            client,
            inputs,
            plan.tables,
            logProgress,
            plan.filters,
            fenced && (async (rereadSignal, signalInsert) => void (await writeReplacedTableFences(client, fenced, logProgress, rereadSignal, signalInsert))),
        );
    });
}

/** What a deployment says of partitions that came and went (the preview diff shows the recorded partitions). */
function logPartitionChanges(olds: IncrementalSnapshotInputs & { tables?: string[] }, news: IncrementalSnapshotInputs): void {
    for (const c of partitionChanges(olds, news)) {
        const name = (oid: string) => news.tablePartitions?.[c.table]?.[oid] ?? olds.tablePartitions?.[c.table]?.[oid] ?? oid;
        if (c.removed.length)
            logProgress(
                `${c.table}: partition(s) ${c.removed.map(name).join(", ")} detached or dropped since the last pulumi up (no change event carries that): ` +
                    `fencing the table and reading it again, so ADX keeps exactly the rows it holds now`,
            );
        if (c.truncated.length)
            logProgress(
                `${c.table}: partition(s) ${c.truncated.map(name).join(", ")} truncated alone since the last pulumi up (PostgreSQL publishes no change for that through the root): ` +
                    `fencing the table and reading it again, so ADX keeps exactly the rows it holds now`,
            );
        if (c.added.length && !c.removed.length && !c.truncated.length)
            logProgress(`${c.table}: partition(s) ${c.added.map(name).join(", ")} new since the last pulumi up: reading their rows (an attached partition's never streamed)`);
    }
}

export const incrementalSnapshotProvider: pulumi.dynamic.ResourceProvider & { adminPassword?: string } = {
    configure: configureAdminPassword,

    async check(_olds: any, news: any) {
        const failures: CheckFailure[] = [];
        if (!Array.isArray(news.tables) || news.tables.length === 0) failures.push({ property: "tables", reason: "capture at least one table" });
        if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(news.signalTable ?? "")) failures.push({ property: "signalTable", reason: 'a lower-case "schema.table" name' });
        return checkAnswer(news, failures);
    },

    async diff(_id: string, olds: any, news: any) {
        const keys = [
            "connection",
            "signalTable",
            "connectUrl",
            "connectorName",
            "tables",
            "tableColumns",
            "adxTableGenerations",
            "tableColumnTypes",
            "tableRelations",
            "tableEnumLabels",
            "tablePartitions",
            "topicPrefix",
        ] as const;
        return { changes: keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])) };
    },

    async create(inputs: any) {
        // The connector's initial snapshot reads every table captured at creation.
        return { id: `${inputs.connection.host}/${inputs.connection.database}/${inputs.signalTable}`, outs: { ...inputs, signals: [] } };
    },

    async update(_id: string, olds: any, news: any) {
        const plan = rereadPlan(olds, news);
        logPartitionChanges(olds, news);
        // A partition created or attached since the last up: what the bootstrap gave the others (which runs only when
        // its own inputs change), before its rows are read: REPLICA IDENTITY FULL, and the stack's TRUNCATE trigger.
        const grown = partitionChanges(olds, news)
            .filter((c) => c.added.length)
            .map((c) => c.table);
        if (grown.length)
            await withClient(news.connection, (this as any).adminPassword, async (client) => {
                await setReplicaIdentityWherePossible(
                    client,
                    grown.filter((t) => !(news.defaultIdentityTables ?? []).includes(t)),
                    logProgress,
                );
                if (news.topicPrefix) await installTruncationTriggers(client, grown, sourceObjectNames(news.topicPrefix).publicationName, USER_TABLE_LOCK_TIMEOUT, logProgress);
            });
        const sent = plan.tables.length ? await sendSignal(news, (this as any).adminPassword, plan) : undefined;
        return { outs: { ...news, signals: [...(olds.signals ?? []), ...(sent ? [sent] : [])] } };
    },

    async delete() {
        // The signal rows go with the signal table when the source bootstrap is deleted.
    },
};

export interface IncrementalSnapshotArgs {
    connection: { [K in keyof PostgresConnectionInputs]: pulumi.Input<PostgresConnectionInputs[K]> };
    signalTable: pulumi.Input<string>;
    connectUrl: pulumi.Input<string>;
    /** The Connect REST API's credentials; kept secret in state and diffs. */
    connectCredentials?: ConnectCredentialsInput;
    connectorName: pulumi.Input<string>;
    tables: pulumi.Input<pulumi.Input<string>[]>;
    /** Each captured table's column names (from the catalog): a table that gains one is read again. */
    tableColumns?: pulumi.Input<Record<string, string[]>>;
    /** Each captured table's ADX change table generation: a table whose ADX table was created again is read again. */
    adxTableGenerations?: pulumi.Input<Record<string, string>>;
    /** Each captured table's column types (from the catalog): a table with a column whose type changed is read again. */
    tableColumnTypes?: pulumi.Input<Record<string, Record<string, string>>>;
    /** Each captured table's enum labels (from the catalog): a table with a label renamed is read again. */
    tableEnumLabels?: pulumi.Input<Record<string, Record<string, string[]>>>;
    /** Each captured table's relation (from the catalog): a table dropped and created again is fenced and read again. */
    tableRelations?: pulumi.Input<Record<string, string>>;
    /**
     * Each captured partitioned table's leaf partitions (from the catalog): one gone or truncated alone fences and
     * re-reads the table; one new is read, after it gets REPLICA IDENTITY FULL and the stack's TRUNCATE trigger.
     */
    tablePartitions?: pulumi.Input<Record<string, Record<string, string>>>;
    /** The source connector's topic prefix (a replaced table's fence names its topic). */
    topicPrefix?: pulumi.Input<string>;
    /** Captured tables left at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity): their new partitions are left so too. */
    defaultIdentityTables?: pulumi.Input<string[]>;
    timeoutSeconds?: pulumi.Input<number>;
}

/** Backfills tables added to capture.tables on a running stack through Debezium's incremental snapshot. */
export class IncrementalSnapshot extends pulumi.dynamic.Resource {
    declare public readonly signals: pulumi.Output<SentSignal[]>;
    constructor(name: string, args: IncrementalSnapshotArgs, opts?: pulumi.CustomResourceOptions) {
        const [inputs, options] = withSecretConnectCredentials(args, opts);
        super(incrementalSnapshotProvider, name, { ...inputs, signals: undefined }, options, "pg-adx-cdc", "IncrementalSnapshot");
    }
}
