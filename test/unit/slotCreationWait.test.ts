// Who holds Debezium's replication slot creation: each open transaction said as an operator acts on it,
// the wait before the source connector exists, and the status line while Debezium waits.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { describeOpenWriteTransaction, OPEN_WRITE_TRANSACTIONS_SQL, waitUntilSlotCanBeCreated } from "../../postgres/slotCreationWait";
import { evaluatePipelineHealth } from "../../operations/pipelineHealth";

/** A PostgreSQL stand-in that answers the slot query and the open-transactions query from a script. */
function fakeSql(slotExists: boolean, openRounds: any[][]) {
    const queries: { text: string; values?: unknown[] }[] = [];
    let round = 0;
    return {
        queries,
        async query(text: string, values?: unknown[]) {
            queries.push({ text, values });
            if (text.includes("pg_replication_slots")) return { rows: [{ exists: slotExists }] };
            assert.equal(text, OPEN_WRITE_TRANSACTIONS_SQL);
            return { rows: openRounds[Math.min(round++, openRounds.length - 1)] };
        },
    };
}

const session = {
    txid: "4294967999",
    pid: 4242,
    user_name: "app",
    application_name: "DBeaver 24.1",
    state: "idle in transaction",
    open_seconds: 754,
    query: "UPDATE orders SET x = 1",
};
const prepared = { txid: "900", prepared_gid: "batch-7", prepared_owner: "etl", prepared_database: "retail", open_seconds: 86400 };

describe("a transaction that holds Debezium's slot creation", () => {
    it("is named as an operator acts on it: the session and how to end it, a prepared transaction and its ROLLBACK PREPARED, a session this role cannot see", () => {
        assert.equal(
            describeOpenWriteTransaction({
                txid: "1",
                pid: 4242,
                user: "app",
                application: "DBeaver 24.1",
                state: "idle in transaction",
                openSeconds: 754,
                query: "UPDATE orders SET x = 1",
            }),
            "pid 4242 (app, application 'DBeaver 24.1', idle in transaction for 754 s, last statement: UPDATE orders SET x = 1; end it with COMMIT or ROLLBACK in that session, or SELECT pg_terminate_backend(4242))",
        );
        assert.match(
            describeOpenWriteTransaction({ txid: "900", openSeconds: 86400, prepared: { gid: "batch-7", owner: "etl", database: "retail" } }),
            /prepared transaction 'batch-7' \(owner etl, database retail, prepared for 86400 s; end it with COMMIT PREPARED or ROLLBACK PREPARED 'batch-7'\)/,
        );
        assert.match(describeOpenWriteTransaction({ txid: "77" }), /transaction 77 \(its session is hidden from this role: grant it pg_monitor/);
    });

    it("before the source connector exists: no wait when the slot exists or nothing is open; a wait that ends when they do; at the deadline an error naming each", async () => {
        const existing = fakeSql(true, [[session]]);
        await waitUntilSlotCanBeCreated(existing, "debezium_cdc", 5000, () => undefined);
        assert.equal(existing.queries.length, 1, "Debezium reuses an existing slot: nothing else asked");

        await waitUntilSlotCanBeCreated(fakeSql(false, [[]]), "debezium_cdc", 5000, () => undefined);

        const logs: string[] = [];
        const ending = fakeSql(false, [[session, prepared], [prepared], []]);
        await waitUntilSlotCanBeCreated(ending, "debezium_cdc", 10_000, (m) => logs.push(m));
        assert.deepEqual(ending.queries[2].values, [["4294967999", "900"], null], "only the transactions open at the start are waited for");
        assert.match(logs[0], /waiting for 1 open transaction\(s\) to end before Debezium creates replication slot "debezium_cdc".*prepared transaction 'batch-7'/);

        await assert.rejects(
            waitUntilSlotCanBeCreated(fakeSql(false, [[session]]), "debezium_cdc", 1500, () => undefined),
            (error: Error) => {
                assert.match(error.message, /replication slot "debezium_cdc" cannot be created yet: after \d+ s these transactions are still open/);
                assert.match(error.message, /\n {2}- pid 4242 \(app, application 'DBeaver 24\.1', idle in transaction for 754 s.*pg_terminate_backend\(4242\)\)/);
                assert.match(error.message, /End them, then run pulumi up again; nothing of the capture was created yet/);
                return true;
            },
        );
    });

    it("while Debezium waits, status names the wait and what it waits for; once they ended, says it completes", () => {
        const slot = (blockers: any[]) => ({ name: "debezium_cdc", exists: true, active: true, creationWait: { waitedSeconds: 95, blockers } });
        const waiting = evaluatePipelineHealth({
            connectors: [],
            topics: [],
            unreachable: [],
            slot: slot([{ txid: "1", pid: 4242, user: "app", state: "idle in transaction", openSeconds: 800 }]),
        });
        assert.equal(waiting.length, 1);
        assert.match(
            waiting[0],
            /^SLOT CREATION WAITING: Debezium has waited 95 s to create replication slot debezium_cdc.*Still open: pid 4242 \(app, idle in transaction for 800 s/,
        );
        assert.match(evaluatePipelineHealth({ connectors: [], topics: [], unreachable: [], slot: slot([]) })[0], /have ended; it completes within seconds/);
    });
});
