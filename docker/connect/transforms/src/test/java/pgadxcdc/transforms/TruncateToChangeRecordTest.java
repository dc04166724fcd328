package pgadxcdc.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
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
                "replaced.table.message.prefix", PREFIX));
        return t;
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
        Struct row = (Struct) out.value();
        assertEquals("t", row.get("__op"));
        assertEquals(26282736L, row.get("__lsn"));
        assertEquals(1796414116355L, row.get("__source_ts_ms"));
        assertEquals("true", row.get("__deleted"));
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
