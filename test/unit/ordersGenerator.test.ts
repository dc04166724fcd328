// The orders generator over several connections: each connection owns its share of the existing
// orders and the ones it inserts, so no two connections change the same row, and the report is the sum.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { runOrdersGeneratorOnConnections, SqlClient } from "../../generator/ordersGenerator";

/** A stand-in connection: the table's existing ids answer the shard query; inserts get the next id; every write is recorded. */
function fakeConnections(count: number, existing: number[]) {
    let nextId = 1000;
    const writes: { connection: number; kind: string; id: string }[] = [];
    const statements = { count: 0 };
    const clients: SqlClient[] = Array.from({ length: count }, (_, connection) => ({
        async query(text: string, values?: unknown[]) {
            if (/^(INSERT|UPDATE|DELETE)/.test(text)) statements.count++;
            if (text.startsWith("SELECT")) {
                const [modulo, index] = (values ?? []) as number[];
                return { rows: existing.filter((id) => modulo === undefined || id % modulo === index).map((id) => ({ id: String(id) })) };
            }
            if (text.startsWith("INSERT")) {
                // One row, or a multi-row insert of unnest($1, ...): one new id per element.
                const ids = Array.from({ length: Array.isArray(values?.[0]) ? (values![0] as unknown[]).length : 1 }, () => String(nextId++));
                for (const id of ids) writes.push({ connection, kind: "insert", id });
                return { rows: ids.map((id) => ({ id })) };
            }
            const kind = text.startsWith("UPDATE") ? "update" : text.startsWith("DELETE") ? "delete" : "other";
            const targets = Array.isArray(values?.[0]) ? (values![0] as unknown[]) : [values?.[0]];
            if (kind !== "other") {
                assert.equal(new Set(targets).size, targets.length, `one ${kind} statement names an order twice`);
                for (const id of targets) writes.push({ connection, kind, id: String(id) });
            }
            return { rows: [] };
        },
    }));
    return { clients, writes, statements };
}

describe("orders generator on several connections", () => {
    it("splits the rate, gives each connection its own rows, and sums what they made", async () => {
        const { clients, writes } = fakeConnections(
            4,
            Array.from({ length: 40 }, (_, i) => i + 1),
        );
        const report = await runOrdersGeneratorOnConnections(clients, { rate: 2000, durationMs: 500, updates: 0.4, deletes: 0.1 });
        const owner = new Map<string, number>();
        for (const w of writes) {
            const previous = owner.get(w.id);
            assert.ok(previous === undefined || previous === w.connection, `order ${w.id} changed by connections ${previous} and ${w.connection}`);
            owner.set(w.id, w.connection);
        }
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

    it("refuses a bad rate before connecting, and needs a connection", async () => {
        await assert.rejects(runOrdersGeneratorOnConnections([], { rate: 10, durationMs: 10, updates: 0, deletes: 0 }), /at least one connection/);
        await assert.rejects(runOrdersGeneratorOnConnections(fakeConnections(1, []).clients, { rate: 0, durationMs: 10, updates: 0, deletes: 0 }), /--rate must be a positive/);
    });
});
