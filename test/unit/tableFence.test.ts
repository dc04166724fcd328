import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { writeReplacedTableFences } from "../../postgres/tableFence";
import { buildDebeziumSourceConfig } from "../../connectors/debeziumSource";
import { workerSecretReference } from "../../connectors/workerSettings";
import { REPLACED_TABLE_MESSAGE_PREFIX, REREAD_FIELD } from "../../contract/recordFields";

/** A client that answers the server version and records every statement. */
function fakeClient(versionNum: number) {
    const seen: { text: string; values?: unknown[] }[] = [];
    let lsn = 0x1000;
    return {
        seen,
        async query(text: string, values?: unknown[]) {
            seen.push({ text, values });
            if (/server_version_num/.test(text)) return { rows: [{ v: String(versionNum) }] };
            if (/pg_logical_emit_message/.test(text)) return { rows: [{ lsn: `0/${(lsn++).toString(16).toUpperCase()}` }] };
            return { rows: [] };
        },
    };
}

describe("replaced-table fences", () => {
    it("writes one transactional message per fenced table, naming its topic and the re-read it waits for, in one transaction", async () => {
        const client = fakeClient(160011);
        const logged: string[] = [];
        const fences = await writeReplacedTableFences(
            client,
            { "shop.returns": "cdc.shop.returns", '"Sales"."Orders"': "cdc.Sales.Orders" },
            (m) => logged.push(m),
            (t) => (t === "shop.returns" ? "pg-adx-cdc-signal-1" : undefined),
        );
        assert.deepEqual(fences, { "shop.returns": "0/1000", '"Sales"."Orders"': "0/1001" });
        const statements = client.seen.map((s) => s.text.split(" ")[0]);
        assert.deepEqual(statements, ["SELECT", "BEGIN", "SELECT", "SELECT", "COMMIT"]);
        const messages = client.seen.filter((s) => /pg_logical_emit_message\(true,/.test(s.text));
        assert.deepEqual(
            messages.map((m) => m.values),
            [
                [REPLACED_TABLE_MESSAGE_PREFIX, "cdc.shop.returns\npg-adx-cdc-signal-1"],
                [REPLACED_TABLE_MESSAGE_PREFIX, "cdc.Sales.Orders"],
            ],
        );
        // The table with rows waits for its re-read's end; the empty one (no re-read) is fenced at once.
        assert.match(
            logged.join("\n"),
            /shop\.returns: fenced at 0\/1000; once the re-read that follows has read the whole table, ADX's current state drops the rows it held before the fence that the re-read did not find \(until then it keeps showing them\)/,
        );
        assert.match(logged.join("\n"), /"Sales"\."Orders": empty now, fenced at 0\/1001: ADX's current state hides every row it held of them/);
    });

    it("commits the re-read's signal in the fences' transaction, so no other read's end can be decoded between them; without a fence the signal still goes", async () => {
        const client = fakeClient(160011);
        const signal = { text: "INSERT INTO cdc_meta.signal_cdc (id, type, data) VALUES ($1, $2, $3)", values: ["pg-adx-cdc-signal-2", "execute-snapshot", "{}"] };
        await writeReplacedTableFences(
            client,
            { "shop.returns": "cdc.shop.returns" },
            () => undefined,
            () => "pg-adx-cdc-signal-2",
            [signal],
        );
        assert.deepEqual(
            client.seen.map((s) => s.text.split(" ")[0]),
            ["SELECT", "BEGIN", "SELECT", "INSERT", "COMMIT"],
        );
        assert.deepEqual(client.seen[3], signal);
        const old = fakeClient(130020);
        await writeReplacedTableFences(
            old,
            { "shop.returns": "cdc.shop.returns" },
            () => undefined,
            () => undefined,
            [signal],
        );
        assert.deepEqual(
            old.seen.map((s) => s.text.split(" ")[0]),
            ["SELECT", "INSERT"],
        );
    });

    it("writes nothing when nothing was replaced, and on PostgreSQL 13 says what is left to do instead of failing", async () => {
        const none = fakeClient(160011);
        assert.deepEqual(await writeReplacedTableFences(none, {}, () => undefined), {});
        assert.equal(none.seen.length, 0);
        const old = fakeClient(130020);
        const logged: string[] = [];
        assert.deepEqual(await writeReplacedTableFences(old, { "shop.returns": "cdc.shop.returns" }, (m) => logged.push(m)), {});
        assert.ok(!old.seen.some((s) => /pg_logical_emit_message|BEGIN/.test(s.text)));
        assert.match(logged[0], /PostgreSQL 13 cannot mark where the rows ADX holds of them end .*reconcile --table <t> --repair/);
    });

    it("the source connector passes on the stack's messages only, and its transform turns them into truncates", () => {
        const config = buildDebeziumSourceConfig({
            connectorName: "cdc-postgres-source",
            database: {
                host: "pg",
                port: 5432,
                name: "app",
                user: "cdc_replicator",
                passwordReference: workerSecretReference("/opt/kafka/secrets", "postgresReplicationPassword"),
                sslMode: "require",
            },
            tables: ["shop.returns", '"Sales Dept"."Order/Items"'],
            topicPrefix: "cdc",
            slotName: "cdc_slot",
            publicationName: "cdc_pub",
            heartbeatTable: "cdc_meta.heartbeat_cdc",
            signalTable: "cdc_meta.signal_cdc",
        } as any);
        const include = new RegExp(`^(?:${config["message.prefix.include.list"]})$`);
        assert.ok(include.test(REPLACED_TABLE_MESSAGE_PREFIX));
        assert.ok(!include.test("pg-adx-cdcXreplaced-table") && !include.test("outbox") && !include.test(""), "the prefix is matched exactly, nothing else passes");
        assert.equal(config["transforms.truncates.replaced.table.message.prefix"], REPLACED_TABLE_MESSAGE_PREFIX);
        // A re-read's end: Debezium's notifications go into the record stream, where the transform finds each table's topic.
        assert.equal(config["notification.enabled.channels"], "sink");
        assert.equal(config["transforms.truncates.reread.field"], REREAD_FIELD);
        assert.equal(config["transforms.truncates.reread.topics"], "shop/returns=cdc.shop.returns,Sales%20Dept/Order%2FItems=cdc.Sales_Dept.Order_Items");
    });
});
