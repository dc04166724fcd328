package pgadxcdc.transforms;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every flat change record under a size budget instead of letting one large row fail the
 * source task for good (RecordTooLargeException: the task stops, every later change of every table
 * waits, the slot holds WAL). When a record's JSON would exceed max.bytes, its largest values are
 * replaced, largest first, by a marker naming the value's size and SHA-256, until it fits; the field
 * named by oversized.field lists the replaced columns with their sizes. The row, its key and every
 * other value still arrive; the replaced value stays in PostgreSQL, where the digest identifies it.
 * Records within the budget pass through untouched.
 */
public class OversizedValuesToMarkers<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    private static final Logger LOGGER = LoggerFactory.getLogger(OversizedValuesToMarkers.class);
    public static final String MAX_BYTES = "max.bytes";
    public static final String MARKER_PREFIX = "marker.prefix";
    public static final String OVERSIZED_FIELD = "oversized.field";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(MAX_BYTES, ConfigDef.Type.INT, 900_000, ConfigDef.Importance.HIGH, "Largest JSON record, in bytes, estimated as UTF-8")
            .define(MARKER_PREFIX, ConfigDef.Type.STRING, "__pg_adx_cdc_oversized__", ConfigDef.Importance.MEDIUM, "Start of a marker value")
            .define(OVERSIZED_FIELD, ConfigDef.Type.STRING, "__oversized", ConfigDef.Importance.MEDIUM, "Field listing the replaced columns");

    public OversizedValuesToMarkers() {
        super(CONFIG);
    }

    @Override
    protected R apply(R record, Struct value) {
        int maxBytes = settings().getInt(MAX_BYTES);
        Schema schema = value.schema();
        long total = 2;
        Map<String, Long> sizes = new HashMap<>();
        for (Field field : schema.fields()) {
            long size = estimate(value.get(field));
            sizes.put(field.name(), size);
            total += utf8Length(field.name()) + 4 + size;
        }
        if (total <= maxBytes) {
            return record;
        }
        List<Field> candidates = new ArrayList<>();
        for (Field field : schema.fields()) {
            Object v = value.get(field);
            if (v instanceof String || v instanceof byte[] || v instanceof List || v instanceof Map || v instanceof Struct) {
                candidates.add(field);
            }
        }
        candidates.sort(Comparator.comparingLong((Field f) -> sizes.get(f.name())).reversed());
        Map<String, String> markers = new HashMap<>();
        StringBuilder replaced = new StringBuilder();
        for (Field field : candidates) {
            if (total <= maxBytes) {
                break;
            }
            Object v = value.get(field);
            long size = v instanceof String ? ((String) v).getBytes(StandardCharsets.UTF_8).length : sizes.get(field.name());
            String marker = settings().getString(MARKER_PREFIX) + " bytes=" + size + (v instanceof String ? " sha256=" + sha256((String) v) : "");
            markers.put(field.name(), marker);
            total += utf8Length(marker) + 2 - sizes.get(field.name());
            if (replaced.length() > 0) {
                replaced.append(',');
            }
            replaced.append(field.name()).append(':').append(size);
        }
        SchemaBuilder builder = SchemaBuilder.struct().name(schema.name()).optional();
        for (Field field : schema.fields()) {
            builder.field(field.name(), markers.containsKey(field.name()) ? Schema.OPTIONAL_STRING_SCHEMA : field.schema());
        }
        builder.field(settings().getString(OVERSIZED_FIELD), Schema.OPTIONAL_STRING_SCHEMA);
        Schema newSchema = builder.build();
        Struct newValue = new Struct(newSchema);
        for (Field field : schema.fields()) {
            newValue.put(field.name(), markers.containsKey(field.name()) ? markers.get(field.name()) : value.get(field));
        }
        newValue.put(settings().getString(OVERSIZED_FIELD), replaced.toString());
        LOGGER.warn("Record on topic {} with key {} is larger than {} bytes: values replaced by markers ({})", record.topic(), record.key(), maxBytes, replaced);
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(), newSchema, newValue, record.timestamp());
    }

    /** The value's size in the record's JSON, estimated from above (escapes are rare and small). */
    private static long estimate(Object v) {
        if (v == null) {
            return 4;
        }
        if (v instanceof String) {
            return utf8Length((String) v) + 2;
        }
        if (v instanceof byte[]) {
            return ((byte[]) v).length * 4L / 3 + 4;
        }
        if (v instanceof List) {
            long size = 2;
            for (Object item : (List<?>) v) {
                size += estimate(item) + 1;
            }
            return size;
        }
        if (v instanceof Map) {
            long size = 2;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) v).entrySet()) {
                size += estimate(String.valueOf(entry.getKey())) + estimate(entry.getValue()) + 2;
            }
            return size;
        }
        if (v instanceof Struct) {
            long size = 2;
            Struct struct = (Struct) v;
            for (Field field : struct.schema().fields()) {
                size += utf8Length(field.name()) + 4 + estimate(struct.get(field));
            }
            return size;
        }
        return 24;
    }

    private static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += (c == '"' || c == '\\' || c < 0x20) ? 2 : 1;
            }
            else if (c < 0x800) {
                bytes += 2;
            }
            else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            }
            else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : digest) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
