package pgadxcdc.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** Flat change records as ExtractNewRecordState leaves them, through the transform as the stack configures it. */
class EmissionStampTest {
    private static final Schema ROW = SchemaBuilder.struct().name("cdc.shop.items.Value").optional()
            .field("id", Schema.INT32_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA).field("__op", Schema.OPTIONAL_STRING_SCHEMA).build();

    /** A clock the test moves: forward, back, or not at all. */
    private static final class SettableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-05T10:00:00.000001Z"));

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    private static EmissionStamp<SourceRecord> transform(Clock clock) {
        EmissionStamp<SourceRecord> t = new EmissionStamp<>(clock);
        t.configure(Map.of("field", "__emission_stamp"));
        return t;
    }

    private static SourceRecord row(int id, String name) {
        Struct value = new Struct(ROW).put("id", id).put("name", name).put("__op", "u");
        return new SourceRecord(Map.of(), Map.of(), "cdc.shop.items", 2, Schema.INT32_SCHEMA, id, ROW, value, 1796414116355L);
    }

    @Test
    void everyRecordKeepsItsValuesAndGetsTheClockInMicroseconds() {
        SourceRecord out = transform(new SettableClock()).apply(row(7, "a"));
        Struct value = (Struct) out.value();
        assertEquals(7, value.get("id"));
        assertEquals("a", value.get("name"));
        assertEquals("u", value.get("__op"));
        assertEquals(Instant.parse("2026-12-05T10:00:00.000001Z").getEpochSecond() * 1_000_000L + 1, value.get("__emission_stamp"));
        assertEquals("cdc.shop.items", out.topic());
        assertEquals(2, out.kafkaPartition());
        assertEquals(7, out.key());
        assertEquals(1796414116355L, out.timestamp());
        assertEquals("cdc.shop.items.Value", out.valueSchema().name());
    }

    @Test
    void stampsOnlyGrowThoughTheClockStandsStillOrStepsBack() {
        SettableClock clock = new SettableClock();
        EmissionStamp<SourceRecord> t = transform(clock);
        long first = (long) ((Struct) t.apply(row(1, "a")).value()).get("__emission_stamp");
        long second = (long) ((Struct) t.apply(row(1, "b")).value()).get("__emission_stamp");
        clock.now.set(clock.now.get().minusSeconds(30));
        long third = (long) ((Struct) t.apply(row(1, "c")).value()).get("__emission_stamp");
        clock.now.set(clock.now.get().plusSeconds(60));
        long fourth = (long) ((Struct) t.apply(row(1, "d")).value()).get("__emission_stamp");
        assertEquals(first + 1, second, "same microsecond: one more");
        assertEquals(second + 1, third, "clock stepped back: still one more");
        assertEquals(first + 30_000_000L, fourth, "the clock again once it has passed the last stamp");
    }

    @Test
    void oneStampedSchemaPerTableSchemaAndTombstonesPassUntouched() {
        EmissionStamp<SourceRecord> t = transform(new SettableClock());
        assertSame(t.apply(row(1, "a")).valueSchema(), t.apply(row(2, "b")).valueSchema());
        SourceRecord tombstone = new SourceRecord(Map.of(), Map.of(), "cdc.shop.items", 0, Schema.INT32_SCHEMA, 1, null, null);
        assertSame(tombstone, t.apply(tombstone));
        assertNull(t.apply(tombstone).value());
    }

    @Test
    void aValueThatAlreadyHasTheFieldIsStampedAgainNotDuplicated() {
        EmissionStamp<SourceRecord> t = transform(new SettableClock());
        SourceRecord once = t.apply(row(1, "a"));
        SourceRecord twice = t.apply(once);
        assertEquals(4, twice.valueSchema().fields().size());
        assertTrue((long) ((Struct) twice.value()).get("__emission_stamp") > (long) ((Struct) once.value()).get("__emission_stamp"));
    }
}
