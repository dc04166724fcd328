package pgadxcdc.transforms;

import java.time.Clock;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * Stamps every flat change record with the moment the source task emitted it: microseconds since the
 * Unix epoch, made strictly increasing within the task (the larger of the clock and the previous stamp
 * plus one), so a clock that steps back or two records in one microsecond still get increasing stamps.
 * The current state in ADX orders a key's changes by this stamp: the Kafka offset does the same within one
 * topic, but starts again at 0 when a topic is created again (a lost broker volume, an event hub deleted
 * by hand), after which the old topic's rows would win over every new change. Records pass through in
 * the order Debezium emitted them, so a stamp is larger than every stamp of an earlier change; a task
 * started again (a restart, a move to another worker) stamps from its worker's clock, which has passed
 * the previous task's last stamp unless the clocks differ by more than the time a restart takes.
 */
public class EmissionStamp<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    public static final String FIELD = "field";
    private static final int SCHEMA_CACHE_SIZE = 1024;

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(FIELD, ConfigDef.Type.STRING, "__emission_stamp", ConfigDef.Importance.HIGH, "Field that holds the stamp (int64, microseconds since the Unix epoch)");

    private final Clock clock;
    private long last = Long.MIN_VALUE;
    // Debezium reuses one value schema per table until the table changes: the stamped schema is built once each.
    private final Map<Schema, Schema> stampedSchemas = new IdentityHashMap<>();

    public EmissionStamp() {
        this(Clock.systemUTC());
    }

    EmissionStamp(Clock clock) {
        super(CONFIG);
        this.clock = clock;
    }

    /** The next stamp: the clock in microseconds, or one more than the last stamp if the clock has not passed it. */
    synchronized long nextStamp() {
        Instant now = clock.instant();
        long micros = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
        last = Math.max(micros, last == Long.MIN_VALUE ? micros : last + 1);
        return last;
    }

    @Override
    protected R apply(R record, Struct value) {
        String name = settings().getString(FIELD);
        Schema schema = value.schema();
        Schema stamped = stampedSchema(schema, name);
        Struct out = new Struct(stamped);
        for (Field field : schema.fields()) {
            if (!field.name().equals(name)) {
                out.put(field.name(), value.get(field));
            }
        }
        out.put(name, nextStamp());
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(), stamped, out, record.timestamp());
    }

    private synchronized Schema stampedSchema(Schema schema, String name) {
        Schema cached = stampedSchemas.get(schema);
        if (cached != null) {
            return cached;
        }
        SchemaBuilder builder = SchemaBuilder.struct().name(schema.name()).version(schema.version()).doc(schema.doc());
        if (schema.isOptional()) {
            builder.optional();
        }
        for (Field field : schema.fields()) {
            if (!field.name().equals(name)) {
                builder.field(field.name(), field.schema());
            }
        }
        builder.field(name, Schema.INT64_SCHEMA);
        Schema built = builder.build();
        if (stampedSchemas.size() >= SCHEMA_CACHE_SIZE) {
            stampedSchemas.clear();
        }
        stampedSchemas.put(schema, built);
        return built;
    }
}
