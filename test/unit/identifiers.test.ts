// Table names as PostgreSQL reads them, and everything derived from them: SQL, Debezium's patterns and
// topic, ADX names. The names an ORM creates ("Orders"), spaces, quotes, dots and non-ASCII included.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { canonicalTableName, debeziumTablePattern, debeziumTopicName, parseTableName, quoteIdent, tableFromDebeziumPattern } from "../../contract/identifiers";
import { adxNamesFor, findAdxNameCollisions } from "../../kql/adxModel";
import { parseStackConfig } from "../../config/stackConfig";

describe("PostgreSQL table names", () => {
    it("folds unquoted parts to lower case and keeps quoted ones exactly", () => {
        assert.deepEqual(parseTableName("Retail.Orders_Info"), { schema: "retail", table: "orders_info" });
        assert.deepEqual(parseTableName('public."Orders"'), { schema: "public", table: "Orders" });
        assert.deepEqual(parseTableName('"Sales"."Order Items"'), { schema: "Sales", table: "Order Items" });
        assert.deepEqual(parseTableName('"a.b"."say ""hi"""'), { schema: "a.b", table: 'say "hi"' });
        assert.deepEqual(parseTableName('ventes."Commandes été"'), { schema: "ventes", table: "Commandes été" });
    });

    it("quotes exactly where quote_ident would", () => {
        assert.equal(quoteIdent("orders_info"), "orders_info");
        assert.equal(quoteIdent("Orders"), '"Orders"');
        assert.equal(quoteIdent("order"), '"order"', "a reserved keyword");
        assert.equal(quoteIdent('say "hi"'), '"say ""hi"""');
        assert.equal(canonicalTableName("Retail.Orders_Info"), "retail.orders_info");
        assert.equal(canonicalTableName('"Sales"."Order Items"'), '"Sales"."Order Items"');
        assert.equal(canonicalTableName('"public"."orders"'), "public.orders", "needless quotes go");
    });

    it("refuses what PostgreSQL would not read, saying how to write it", () => {
        for (const [text, why] of [
            ["orders", /the schema is missing/],
            ["a.b.c", /at most two parts/],
            ['public."Orders', /quoted part is not closed/],
            ["public.Order Items", /unexpected " " at position 13.*"Schema"\."Table Name"/],
            ["public.", /a part is missing/],
            [`public.${"x".repeat(64)}`, /longer than PostgreSQL's 63 bytes/],
        ] as const)
            assert.throws(() => parseTableName(text), why, text);
    });

    it("Debezium's patterns name exactly the table, case-sensitively, and read back", () => {
        assert.equal(debeziumTablePattern("retail.orders_info"), "(?-i)retail\\.orders_info");
        assert.equal(debeziumTablePattern('"Sales"."Order (old) Items"'), "(?-i)Sales\\.Order \\(old\\) Items");
        assert.equal(debeziumTablePattern('"a.b".c'), "(?-i)a[.]b\\.c");
        for (const name of ["retail.orders_info", '"Sales"."Order (old) Items"', '"a.b"."c.d"', 'x."q\\\\w"']) {
            assert.equal(tableFromDebeziumPattern(debeziumTablePattern(name)), canonicalTableName(name));
            const { schema, table } = parseTableName(name);
            assert.match(`${schema}.${table}`, new RegExp(`^${debeziumTablePattern(name).replace("(?-i)", "")}$`), name);
        }
    });

    it("the topic is Debezium's: characters Kafka does not allow become _", () => {
        assert.equal(debeziumTopicName("cdc", "retail.orders_info"), "cdc.retail.orders_info");
        assert.equal(debeziumTopicName("cdc", '"Sales"."Order Items"'), "cdc.Sales.Order_Items");
        assert.equal(debeziumTopicName("cdc", 'ventes."Commandes été"'), "cdc.ventes.Commandes__t_");
    });

    it("ADX names: unchanged for plain names, unique and valid for the others", () => {
        assert.equal(adxNamesFor("retail.orders_info").changes, "retail_orders_info_changes");
        assert.equal(adxNamesFor('public."Orders"').changes, "public_Orders_changes");
        const spaced = adxNamesFor('"Sales"."Order Items"').changes;
        assert.match(spaced, /^Sales_Order_Items_[0-9a-f]{6}_changes$/);
        assert.notEqual(spaced, adxNamesFor('"Sales"."Order_Items"').changes);
        assert.match(adxNamesFor('"2024".sales').changes, /^t_2024_sales_[0-9a-f]{6}_changes$/);
        assert.deepEqual(findAdxNameCollisions(['"Sales"."Order Items"', '"Sales"."Order_Items"', 'public."Orders"', "public.orders"]), []);
    });

    it("config keeps each captured table in its canonical spelling, so two spellings of one table are one", () => {
        const config = parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ['"Sales"."Order Items"', "Retail.Orders_Info"] } }, "dev");
        assert.deepEqual(config.capture.tables, ['"Sales"."Order Items"', "retail.orders_info"]);
        assert.throws(
            () => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ["retail.orders_info", "Retail.ORDERS_INFO"] } }, "dev"),
            /lists retail\.orders_info more than once/,
        );
        assert.throws(
            () => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ['ventes."Commandes été"', 'ventes."Commandes__t_"'] } }, "dev"),
            /ventes\."Commandes été" and ventes\."Commandes__t_" would both be written to Kafka topic cdc\.ventes\.Commandes__t_/,
        );
        // Kafka refuses a topic that equals another once "." and "_" are one: the second table's records could never be written.
        assert.throws(
            () => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ['sales."order.items"', "sales.order_items"] } }, "dev"),
            /sales\."order\.items" and sales\.order_items would be written to topics cdc\.sales\.order\.items and cdc\.sales\.order_items, which Kafka refuses to hold both of/,
        );
        assert.throws(
            () => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ['public."say ""hi"""'] } }, "dev"),
            /has a double quote inside a name, which Debezium's snapshot cannot read; rename the table/,
        );
        assert.throws(
            () => parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] }, capture: { tables: ['public."a,b"'] } }, "dev"),
            /holds , ; or :, which Debezium's table lists cannot express/,
        );
    });
});
