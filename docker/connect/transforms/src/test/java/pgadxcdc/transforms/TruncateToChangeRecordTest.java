package pgadxcdc.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * Debezium's truncate and logical-decoding-message envelopes as the PostgreSQL connector writes them (op,
 * ts_ms, source with lsn and ts_ms; a message block with prefix and content), through the transform as the
 * stack configures it.
 */
class TruncateToChangeRecordTest {
    private static final String PREFIX = "pg-adx-cdc.replaced-table";
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA).field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema MESSAGE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Message")
            .field("prefix", Schema.STRING_SCHEMA).field("content", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema MESSAGE_ENVELOPE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.MessageValue")
            .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).field("source", SOURCE).field("message", MESSAGE).build();
    private static final Schema TRUNCATE_ENVELOPE = SchemaBuilder.struct().name("cdc.shop.items.Envelope")
            .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).field("source", SOURCE).build();

    private static TruncateToChangeRecord<SourceRecord> transform() {
        TruncateToChangeRecord<SourceRecord> t = new TruncateToChangeRecord<>();
        t.configure(Map.of("add.fields", "op,lsn,source.ts_ms,source.snapshot", "add.fields.prefix", "__", "deleted.field", "__deleted",
                "replaced.table.message.prefix", PREFIX, "reread.topics", "shop/items=cdc.shop.items,Sales%20Dept/Order%2CItems.v2=cdc.Sales_Dept.Order_Items.v2"));
        return t;
    }

    /** Debezium's notification value (io.debezium.pipeline.notification.Notification, sink channel). */
    private static final Schema NOTIFICATION = SchemaBuilder.struct().name("io.debezium.connector.common.Notification")
            .field("id", Schema.STRING_SCHEMA).field("aggregate_type", Schema.STRING_SCHEMA).field("type", Schema.STRING_SCHEMA)
            .field("additional_data", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).optional().build())
            .field("timestamp", Schema.INT64_SCHEMA).build();

    private static SourceRecord notification(String aggregate, String type, Map<String, String> data) {
        Struct value = new Struct(NOTIFICATION).put("id", "pg-adx-cdc-2026-12-05T08:00:00.000Z-abc123").put("aggregate_type", aggregate).put("type", type)
                .put("additional_data", data).put("timestamp", 1796414116999L);
        return new SourceRecord(Map.of(), Map.of(), "cdc.__notifications", null, null, null, NOTIFICATION, value);
    }

    private static Struct source(long lsn) {
        return new Struct(SOURCE).put("lsn", lsn).put("ts_ms", 1796414116355L).put("snapshot", "false");
    }

    private static SourceRecord message(String prefix, String content) {
        Struct value = new Struct(MESSAGE_ENVELOPE).put("op", "m").put("ts_ms", 1L).put("source", source(26282736L))
                .put("message", new Struct(MESSAGE).put("prefix", prefix).put("content", content));
        Schema keySchema = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).build();
        return new SourceRecord(Map.of(), Map.of(), "cdc.message", null, keySchema, new Struct(keySchema).put("prefix", prefix), MESSAGE_ENVELOPE, value);
    }

    @Test
    void aReplacedTableMessageBecomesATruncateRowOnTheTopicItNames() {
        String topic = "cdc.shop.items";
        SourceRecord out = transform().apply(message(PREFIX, Base64.getEncoder().encodeToString(topic.getBytes(StandardCharsets.UTF_8))));
        assertEquals(topic, out.topic());
        assertNull(out.key(), "keyless, as Debezium's truncate events are");
        assertEquals(0, out.kafkaPartition(), "in the partition every topic has");
        Struct row = (Struct) out.value();
        assertEquals("t", row.get("__op"));
        assertEquals(26282736L, row.get("__lsn"));
        assertEquals(1796414116355L, row.get("__source_ts_ms"));
        assertEquals("true", row.get("__deleted"));
    }

    @Test
    void aFenceThatNamesItsReReadCarriesTheSignal() {
        String content = "cdc.shop.items\npg-adx-cdc-2026-12-05T08:00:00.000Z-abc123";
        SourceRecord out = transform().apply(message(PREFIX, Base64.getEncoder().encodeToString(content.getBytes(StandardCharsets.UTF_8))));
        assertEquals("cdc.shop.items", out.topic());
        Struct row = (Struct) out.value();
        assertEquals("t", row.get("__op"));
        assertEquals(26282736L, row.get("__lsn"));
        assertEquals("pg-adx-cdc-2026-12-05T08:00:00.000Z-abc123", row.get("__reread"));
    }

    @Test
    void aCompletedTableScanBecomesTheEndRowOnTheTablesTopic() {
        for (String status : new String[] { "SUCCEEDED", "EMPTY" }) {
            SourceRecord out = transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED",
                    Map.of("scanned_collection", "shop.items", "status", status, "total_rows_scanned", "12", "data_collections", "shop.items,shop.orders")));
            assertEquals("cdc.shop.items", out.topic());
            assertNull(out.key(), "keyless, as a fence row is");
            assertEquals(0, out.kafkaPartition());
            Struct row = (Struct) out.value();
            assertEquals("t", row.get("__op"));
            assertNull(row.schema().field("__lsn"), "no LSN: the one TRUNCATE row without one, which hides nothing by itself");
            assertNull(row.schema().field("__source_ts_ms"));
            assertEquals("true", row.get("__deleted"));
            assertEquals("pg-adx-cdc-2026-12-05T08:00:00.000Z-abc123", row.get("__reread"));
        }
        // Named with its database before it, and a table whose name needs encoding in the setting.
        assertEquals("cdc.shop.items", transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED",
                Map.of("scanned_collection", "retail.shop.items", "status", "SUCCEEDED"))).topic());
        assertEquals("cdc.Sales_Dept.Order_Items.v2", transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED",
                Map.of("scanned_collection", "Sales Dept.Order,Items.v2", "status", "SUCCEEDED"))).topic());
    }

    @Test
    void aReadWithAnotherReadOfItsTableQueuedEndsNothing() {
        // reconcile --repair's filtered read (or a whole read started earlier) ends while a fenced re-read of the same table
        // waits behind it: Debezium lists the table again after itself. Only the last read's end applies the fence.
        assertNull(transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED",
                Map.of("scanned_collection", "shop.items", "status", "SUCCEEDED", "data_collections", "shop.items,shop.orders,shop.items"))));
        assertEquals("cdc.shop.items", transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED",
                Map.of("scanned_collection", "shop.items", "status", "SUCCEEDED", "data_collections", "shop.items,shop.items_archive,myshop.items"))).topic());
        assertEquals(2, TruncateToChangeRecord.occurrences("shop.items,shop.items", "shop.items"));
        assertEquals(1, TruncateToChangeRecord.occurrences("xshop.items,shop.items2,shop.items", "shop.items"));
        assertEquals(1, TruncateToChangeRecord.occurrences("Sales Dept.Order,Items.v2", "Sales Dept.Order,Items.v2"));
        assertEquals(0, TruncateToChangeRecord.occurrences("", "shop.items"));
    }

    @Test
    void anIncompleteScanAndEveryOtherNotificationAreDropped() {
        assertNull(transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED", Map.of("scanned_collection", "shop.items", "status", "SQL_EXCEPTION"))));
        assertNull(transform().apply(notification("Incremental Snapshot", "TABLE_SCAN_COMPLETED", Map.of("scanned_collection", "other.table", "status", "SUCCEEDED"))));
        assertNull(transform().apply(notification("Incremental Snapshot", "IN_PROGRESS", Map.of("current_collection_in_progress", "shop.items"))));
        assertNull(transform().apply(notification("Initial Snapshot", "TABLE_SCAN_COMPLETED", Map.of("scanned_collection", "shop.items", "status", "SUCCEEDED"))));
    }

    @Test
    void aMalformedTopicListIsRefusedWhenConfiguredNamingTheEntry() {
        for (String malformed : new String[]{ "shop.items=cdc.shop.items", "shop/items", "shop/items=", "shop/%zz=cdc.x" }) {
            ConfigException e = assertThrows(ConfigException.class, () -> new TruncateToChangeRecord<SourceRecord>().configure(Map.of("reread.topics", malformed)));
            assertTrue(e.getMessage().contains("reread.topics"), e.getMessage());
        }
        assertTrue(new TruncateToChangeRecord<SourceRecord>().config().configKeys().get("reread.topics").validator != null);
    }

    @Test
    void anyOtherMessageAndAnyOtherChangePassUntouched() {
        SourceRecord other = message("outbox", Base64.getEncoder().encodeToString("cdc.shop.items".getBytes(StandardCharsets.UTF_8)));
        assertSame(other, transform().apply(other));
        Schema rowSchema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        Schema envelope = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", SOURCE).field("after", rowSchema).build();
        SourceRecord insert = new SourceRecord(Map.of(), Map.of(), "cdc.shop.items", envelope,
                new Struct(envelope).put("op", "c").put("source", source(1L)).put("after", new Struct(rowSchema).put("id", 1)));
        assertSame(insert, transform().apply(insert));
    }

    @Test
    void aTruncateStaysOnItsTopicWithTheSameFields() {
        Struct value = new Struct(TRUNCATE_ENVELOPE).put("op", "t").put("ts_ms", 1L).put("source", source(42L));
        SourceRecord out = transform().apply(new SourceRecord(Map.of(), Map.of(), "cdc.shop.items", TRUNCATE_ENVELOPE, value));
        assertEquals("cdc.shop.items", out.topic());
        assertEquals("t", ((Struct) out.value()).get("__op"));
        assertEquals(42L, ((Struct) out.value()).get("__lsn"));
    }
}
