import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { writeReplacedTableFences } from "../../postgres/tableFence";
import { buildDebeziumSourceConfig } from "../../connectors/debeziumSource";
import { workerSecretReference } from "../../connectors/workerSettings";
import { REPLACED_TABLE_MESSAGE_PREFIX } from "../../contract/recordFields";

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
    it("writes one transactional message per replaced table, naming its topic, in one transaction", async () => {
        const client = fakeClient(160011);
        const logged: string[] = [];
        const fences = await writeReplacedTableFences(client, { "shop.returns": "cdc.shop.returns", '"Sales"."Orders"': "cdc.Sales.Orders" }, (m) => logged.push(m));
        assert.deepEqual(fences, { "shop.returns": "0/1000", '"Sales"."Orders"': "0/1001" });
        const statements = client.seen.map((s) => s.text.split(" ")[0]);
        assert.deepEqual(statements, ["SELECT", "BEGIN", "SELECT", "SELECT", "COMMIT"]);
        const messages = client.seen.filter((s) => /pg_logical_emit_message\(true,/.test(s.text));
        assert.deepEqual(
            messages.map((m) => m.values),
            [
                [REPLACED_TABLE_MESSAGE_PREFIX, "cdc.shop.returns"],
                [REPLACED_TABLE_MESSAGE_PREFIX, "cdc.Sales.Orders"],
            ],
        );
        assert.match(logged.join("\n"), /shop\.returns, "Sales"\."Orders": fenced, ADX hides every row it holds of them from 0\/1000, 0\/1001 on/);
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
            tables: ["shop.returns"],
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
    });
});
