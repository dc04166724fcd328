// The orders generator: inserts, updates and deletes rows of retail.orders_info at a chosen rate
// and mix, optionally several changes per transaction. Used by the stack's generator container,
// the e2e tests and the benchmark.

import { isTableName } from "../contract/identifiers";

export interface GeneratorOptions {
    /** Changes per second (inserts + updates + deletes). */
    rate: number;
    /** How long to run; 0 runs until `signal` aborts. */
    durationMs: number;
    /** Share of changes that are updates and deletes (the rest are inserts). */
    updates: number;
    deletes: number;
    /** Changes per transaction (1 = every change commits on its own). */
    batchSize?: number;
    /** Table to write; default retail.orders_info. */
    table?: string;
    signal?: AbortSignal;
    onProgress?: (report: GeneratorReport) => void;
    /** Deterministic runs for tests. */
    random?: () => number;
    /**
     * The orders this connection may update and delete at the start (it adds the ones it inserts); default: every
     * order in the table. runOrdersGeneratorOnConnections deals them out before any connection writes.
     */
    existing?: string[];
}

export interface GeneratorReport {
    inserts: number;
    updates: number;
    deletes: number;
    transactions: number;
    elapsedMs: number;
    /** Achieved changes per second. */
    achievedRate: number;
    /** Changes the generator could not issue on time (the database or the machine was too slow). */
    behindBy: number;
}

/** Minimal client surface (a pg Client or PoolClient). */
export interface SqlClient {
    /** rowCount: the rows a statement changed (pg's Client answers it; stand-ins may not). */
    query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount?: number | null }>;
}

export const CITIES = ["Seattle", "New York", "Austin", "Chicago", "Boston", "Denver", "Miami", "Portland", "Atlanta", "Phoenix"];

type Change =
    { kind: "insert"; custid: number; amount: string; city: string } | { kind: "update"; orderid: string; amount: string; city: string } | { kind: "delete"; orderid: string };

/** Picks the next change; updates and deletes need a live order, otherwise an insert is made. */
export function planChange(live: string[], options: Pick<GeneratorOptions, "updates" | "deletes">, random: () => number): Change {
    const roll = random();
    const amount = (1 + Math.floor(random() * 99_999) / 100).toFixed(2);
    const city = CITIES[Math.floor(random() * CITIES.length)];
    if (live.length > 0 && roll < options.deletes) {
        const index = Math.floor(random() * live.length);
        const [orderid] = live.splice(index, 1);
        return { kind: "delete", orderid };
    }
    if (live.length > 0 && roll < options.deletes + options.updates) {
        return { kind: "update", orderid: live[Math.floor(random() * live.length)], amount, city };
    }
    return { kind: "insert", custid: 1 + Math.floor(random() * 1000), amount, city };
}

function validate(options: GeneratorOptions): void {
    if (!(options.rate > 0)) throw new Error(`--rate must be a positive number of changes per second (got ${options.rate})`);
    if (options.updates < 0 || options.deletes < 0 || options.updates + options.deletes > 1) {
        throw new Error(`--updates and --deletes are shares between 0 and 1 whose sum is at most 1 (got ${options.updates} and ${options.deletes})`);
    }
    if (!isTableName(options.table ?? "retail.orders_info")) throw new Error(`table must be "schema.table" (got ${options.table})`);
}

/** The ids of every order in the table. */
async function readOrders(client: SqlClient, table: string): Promise<string[]> {
    try {
        return (await client.query(`SELECT orderid::text AS id FROM ${table}`)).rows.map((r) => r.id);
    } catch (error: any) {
        throw new Error(`the generator cannot read ${table}: ${error.message}. Is it pointed at the source database, and has the stack's bootstrap created the table?`);
    }
}

/** Runs the workload on one connection and returns what it did. */
export async function runOrdersGenerator(client: SqlClient, options: GeneratorOptions): Promise<GeneratorReport> {
    validate(options);
    const table = options.table ?? "retail.orders_info";
    const random = options.random ?? Math.random;
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1));
    const live = options.existing ? [...options.existing] : await readOrders(client, table);
    const report: GeneratorReport = { inserts: 0, updates: 0, deletes: 0, transactions: 0, elapsedMs: 0, achievedRate: 0, behindBy: 0 };
    const started = Date.now();
    let issued = 0;
    let lastProgress = started;
    while (!options.signal?.aborted) {
        const elapsed = Date.now() - started;
        if (options.durationMs > 0 && elapsed >= options.durationMs) break;
        const due = Math.floor((elapsed / 1000) * options.rate) - issued;
        if (due <= 0) {
            await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, 1000 / options.rate))));
            continue;
        }
        // Catch up in transactions of at most batchSize changes.
        const count = Math.min(due, batchSize);
        const changes = Array.from({ length: count }, () => planChange(live, options, random));
        let made: ChangeCounts;
        try {
            made = await applyChanges(client, table, changes, live, batchSize > 1);
        } catch (error: any) {
            // Callers that survive connection loss still need to know what was committed before it.
            throw Object.assign(new Error(`generator stopped: ${error.message}`), { report: finish(report, started) });
        }
        report.inserts += made.inserts;
        report.updates += made.updates;
        report.deletes += made.deletes;
        report.transactions += batchSize > 1 ? 1 : count;
        issued += count;
        report.behindBy = Math.max(0, Math.floor(((Date.now() - started) / 1000) * options.rate) - issued);
        if (options.onProgress && Date.now() - lastProgress >= 1000) {
            lastProgress = Date.now();
            options.onProgress(finish(report, started));
        }
    }
    return finish(report, started);
}

/**
 * The same workload over several connections at once (one generator per connection, each with its
 * share of the rate and of the existing orders), so that one connection's round trips do not cap the
 * rate. The report is their sum; `achievedRate` is the total changes over the longest run.
 */
export async function runOrdersGeneratorOnConnections(clients: SqlClient[], options: GeneratorOptions): Promise<GeneratorReport> {
    validate(options);
    if (clients.length === 0) throw new Error("the generator needs at least one connection");
    const latest: GeneratorReport[] = clients.map(() => ({ inserts: 0, updates: 0, deletes: 0, transactions: 0, elapsedMs: 0, achievedRate: 0, behindBy: 0 }));
    const sum = (reports: GeneratorReport[]): GeneratorReport => {
        const total = reports.reduce(
            (acc, r) => ({
                inserts: acc.inserts + r.inserts,
                updates: acc.updates + r.updates,
                deletes: acc.deletes + r.deletes,
                transactions: acc.transactions + r.transactions,
                elapsedMs: Math.max(acc.elapsedMs, r.elapsedMs),
                achievedRate: 0,
                behindBy: acc.behindBy + r.behindBy,
            }),
            { inserts: 0, updates: 0, deletes: 0, transactions: 0, elapsedMs: 0, achievedRate: 0, behindBy: 0 },
        );
        const changes = total.inserts + total.updates + total.deletes;
        return { ...total, achievedRate: total.elapsedMs > 0 ? Math.round((changes / total.elapsedMs) * 1000 * 10) / 10 : 0 };
    };
    // The existing orders are read once and dealt out before any connection writes: a connection that read the
    // table while another was inserting would hold that one's new orders too, and the two would change the same
    // rows (an update or delete finding its row gone, counted but never made).
    const existing = await readOrders(clients[0], options.table ?? "retail.orders_info");
    let lastProgress = Date.now();
    const reports = await Promise.all(
        clients.map((client, index) =>
            runOrdersGenerator(client, {
                ...options,
                rate: options.rate / clients.length,
                existing: existing.filter((_, i) => i % clients.length === index),
                random: options.random,
                onProgress: (r) => {
                    latest[index] = r;
                    if (options.onProgress && Date.now() - lastProgress >= 1000) {
                        lastProgress = Date.now();
                        options.onProgress(sum(latest));
                    }
                },
            }),
        ),
    );
    return sum(reports);
}

function finish(report: GeneratorReport, started: number): GeneratorReport {
    const elapsedMs = Date.now() - started;
    const total = report.inserts + report.updates + report.deletes;
    return { ...report, elapsedMs, achievedRate: elapsedMs > 0 ? Math.round((total / elapsedMs) * 1000 * 10) / 10 : 0 };
}

/**
 * Applies one transaction's changes. One change: one statement. Several: one statement per kind
 * (a multi-row INSERT, UPDATE ... FROM unnest, DELETE ... = ANY), in that order, so a transaction
 * costs three round trips whatever its size; an order updated twice in one batch is updated once
 * (the last values). Returns the rows PostgreSQL changed, kind by kind, as the report must count them.
 */
async function applyChanges(client: SqlClient, table: string, changes: Change[], live: string[], inTransaction: boolean): Promise<ChangeCounts> {
    if (inTransaction) await client.query("BEGIN");
    try {
        if (changes.length === 1) {
            const [c] = changes;
            const made = { inserts: 0, updates: 0, deletes: 0 };
            if (c.kind === "insert") {
                const { rows } = await client.query(`INSERT INTO ${table} (custid, amount, city) VALUES ($1, $2, $3) RETURNING orderid::text AS id`, [c.custid, c.amount, c.city]);
                live.push(rows[0].id);
                made.inserts = rows.length;
            } else if (c.kind === "update") {
                made.updates = changed(await client.query(`UPDATE ${table} SET amount = $2, city = $3 WHERE orderid = $1`, [c.orderid, c.amount, c.city]), 1);
            } else {
                made.deletes = changed(await client.query(`DELETE FROM ${table} WHERE orderid = $1`, [c.orderid]), 1);
            }
            if (inTransaction) await client.query("COMMIT");
            return made;
        }
        const inserts = changes.filter((c): c is Extract<Change, { kind: "insert" }> => c.kind === "insert");
        const deletes = changes.filter((c): c is Extract<Change, { kind: "delete" }> => c.kind === "delete");
        const deleted = new Set(deletes.map((d) => d.orderid));
        const updates = [
            ...new Map(
                changes.filter((c): c is Extract<Change, { kind: "update" }> => c.kind === "update" && !deleted.has(c.orderid)).map((u) => [u.orderid, u] as [string, typeof u]),
            ).values(),
        ];
        const made = { inserts: 0, updates: 0, deletes: 0 };
        if (inserts.length) {
            const { rows } = await client.query(
                `INSERT INTO ${table} (custid, amount, city) SELECT * FROM unnest($1::int[], $2::numeric[], $3::text[]) RETURNING orderid::text AS id`,
                [inserts.map((c) => c.custid), inserts.map((c) => c.amount), inserts.map((c) => c.city)],
            );
            live.push(...rows.map((r) => r.id));
            made.inserts = rows.length;
        }
        if (updates.length)
            made.updates = changed(
                await client.query(
                    `UPDATE ${table} t SET amount = v.amount, city = v.city FROM unnest($1::bigint[], $2::numeric[], $3::text[]) AS v(orderid, amount, city) WHERE t.orderid = v.orderid`,
                    [updates.map((c) => c.orderid), updates.map((c) => c.amount), updates.map((c) => c.city)],
                ),
                updates.length,
            );
        if (deletes.length) made.deletes = changed(await client.query(`DELETE FROM ${table} WHERE orderid = ANY($1::bigint[])`, [deletes.map((c) => c.orderid)]), deletes.length);
        if (inTransaction) await client.query("COMMIT");
        return made;
    } catch (error) {
        if (inTransaction) await client.query("ROLLBACK").catch(() => undefined);
        throw error;
    }
}

interface ChangeCounts {
    inserts: number;
    updates: number;
    deletes: number;
}

/** The rows a statement changed: PostgreSQL's count where the client gives it (another writer may have deleted an order), else `named`. */
function changed(result: { rowCount?: number | null }, named: number): number {
    return typeof result.rowCount === "number" ? result.rowCount : named;
}

/** "30s", "2m", "1500ms", "0" → milliseconds. */
export function parseDuration(text: string): number {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
    if (!m) throw new Error(`--duration must look like 30s, 2m, 1500ms or 0 (got "${text}")`);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
    return Math.round(Number(m[1]) * unit);
}
