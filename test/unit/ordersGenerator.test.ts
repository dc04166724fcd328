// The orders generator over several connections: each connection owns its share of the existing
// orders and the ones it inserts, so no two connections change the same row, and the report is the sum.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runOrdersGeneratorOnConnections, SqlClient } from "../../generator/ordersGenerator";

/**
 * Stand-in connections over one shared table: a SELECT answers the table as it is now (the modulo shard query
 * too), inserts get the next id, updates and deletes change the rows that exist and answer rowCount as
 * PostgreSQL does; every write is recorded. `selectDelayMs` makes every connection but the first slow to answer
 * a SELECT, as a connection opened later is.
 */
function fakeConnections(count: number, existing: number[], options: { selectDelayMs?: number } = {}) {
    let nextId = 1000;
    const table = new Set(existing.map(String));
    const writes: { connection: number; kind: string; id: string }[] = [];
    const statements = { count: 0 };
    const clients: SqlClient[] = Array.from({ length: count }, (_, connection) => ({
        async query(text: string, values?: unknown[]) {
            if (/^(INSERT|UPDATE|DELETE)/.test(text)) statements.count++;
            if (text.startsWith("SELECT")) {
                if (connection > 0 && options.selectDelayMs) await new Promise((r) => setTimeout(r, options.selectDelayMs));
                const [modulo, index] = (values ?? []) as number[];
                return { rows: [...table].filter((id) => modulo === undefined || Number(id) % modulo === index).map((id) => ({ id })) };
            }
            if (text.startsWith("INSERT")) {
                // One row, or a multi-row insert of unnest($1, ...): one new id per element.
                const ids = Array.from({ length: Array.isArray(values?.[0]) ? (values![0] as unknown[]).length : 1 }, () => String(nextId++));
                for (const id of ids) {
                    table.add(id);
                    writes.push({ connection, kind: "insert", id });
                }
                return { rows: ids.map((id) => ({ id })), rowCount: ids.length };
            }
            const kind = text.startsWith("UPDATE") ? "update" : text.startsWith("DELETE") ? "delete" : "other";
            if (kind === "other") return { rows: [] };
            const targets = (Array.isArray(values?.[0]) ? (values![0] as unknown[]) : [values?.[0]]).map(String);
            assert.equal(new Set(targets).size, targets.length, `one ${kind} statement names an order twice`);
            const found = targets.filter((id) => table.has(id));
            for (const id of found) {
                if (kind === "delete") table.delete(id);
                writes.push({ connection, kind, id });
            }
            return { rows: [], rowCount: found.length };
        },
    }));
    return { clients, writes, statements };
}

/** Every order is changed by one connection only. */
function assertOneConnectionPerOrder(writes: { connection: number; id: string }[]): void {
    const owner = new Map<string, number>();
    for (const w of writes) {
        const previous = owner.get(w.id);
        assert.ok(previous === undefined || previous === w.connection, `order ${w.id} changed by connections ${previous} and ${w.connection}`);
        owner.set(w.id, w.connection);
    }
}

describe("orders generator on several connections", () => {
    it("splits the rate, gives each connection its own rows, and sums what they made", async () => {
        const { clients, writes } = fakeConnections(
            4,
            Array.from({ length: 40 }, (_, i) => i + 1),
        );
        const report = await runOrdersGeneratorOnConnections(clients, { rate: 2000, durationMs: 500, updates: 0.4, deletes: 0.1 });
        assertOneConnectionPerOrder(writes);
        assert.equal(report.inserts + report.updates + report.deletes, writes.length, "the report counts every change made");
        assert.ok(new Set(writes.map((w) => w.connection)).size === 4, "every connection worked");
        assert.ok(report.inserts + report.updates + report.deletes >= 800, `about 1000 changes in 0.5 s at 2000/s (made ${writes.length})`);
        assert.ok(report.updates > 0 && report.deletes > 0);
    });

    it("batched: a transaction is one statement per kind, and the report counts each row changed once", async () => {
        const { clients, writes, statements } = fakeConnections(
            3,
            Array.from({ length: 30 }, (_, i) => i + 1),
        );
        const report = await runOrdersGeneratorOnConnections(clients, { rate: 3000, durationMs: 400, updates: 0.6, deletes: 0.1, batchSize: 10 });
        assert.equal(report.inserts + report.updates + report.deletes, writes.length);
        assert.ok(statements.count <= 3 * report.transactions, `${statements.count} statements for ${report.transactions} transactions`);
    });

    it("a connection slow to start never takes another's new orders: the existing ones are dealt out before anyone writes", async () => {
        // Found by the bench's ledger (2026-12-04): connections read their share of the table as each started,
        // so one that started late also took orders another had just inserted; both changed them, and the
        // report counted updates and deletes that found their row gone (the topic "lacked" 2-10 changes).
        const { clients, writes } = fakeConnections(
            4,
            Array.from({ length: 40 }, (_, i) => i + 1),
            { selectDelayMs: 50 },
        );
        const report = await runOrdersGeneratorOnConnections(clients, { rate: 4000, durationMs: 400, updates: 0.4, deletes: 0.2, batchSize: 5 });
        assertOneConnectionPerOrder(writes);
        assert.equal(report.inserts + report.updates + report.deletes, writes.length, "the report counts the rows changed");
    });

    it("counts the rows PostgreSQL changed, not the rows it named, when another writer deleted an order", async () => {
        const { clients, writes } = fakeConnections(1, [1, 2, 3]);
        let deletedUnderneath = false;
        const writer: SqlClient = {
            async query(text, values) {
                // Another writer removes every existing order once the generator has read them.
                if (!deletedUnderneath && /^(UPDATE|DELETE)/.test(text)) {
                    deletedUnderneath = true;
                    const generatorsWrites = writes.length;
                    for (const id of ["1", "2", "3"]) await clients[0].query("DELETE FROM t WHERE orderid = $1", [id]);
                    writes.splice(generatorsWrites); // the other writer's deletes are not the generator's
                }
                return clients[0].query(text, values);
            },
        };
        const report = await runOrdersGeneratorOnConnections([writer], { rate: 1000, durationMs: 200, updates: 0.5, deletes: 0.3, batchSize: 5 });
        assert.equal(report.inserts + report.updates + report.deletes, writes.length);
    });

    it("refuses a bad rate before connecting, and needs a connection", async () => {
        await assert.rejects(runOrdersGeneratorOnConnections([], { rate: 10, durationMs: 10, updates: 0, deletes: 0 }), /at least one connection/);
        await assert.rejects(runOrdersGeneratorOnConnections(fakeConnections(1, []).clients, { rate: 0, durationMs: 10, updates: 0, deletes: 0 }), /--rate must be a positive/);
    });
});
