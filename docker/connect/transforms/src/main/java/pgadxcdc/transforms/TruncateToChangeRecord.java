package pgadxcdc.transforms;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a Debezium TRUNCATE event (op "t": no before, no after) into a flat record that carries the
 * same metadata fields ExtractNewRecordState adds to every other change ("__op", "__lsn", ...) and
 * the delete flag. Placed before ExtractNewRecordState, which drops truncate events: a flat record is
 * no Debezium envelope, so that transform passes it on unchanged. ADX then sees the truncate as a row
 * of the table's change stream and hides every row committed before it (kql/adxModel.ts).
 * A logical decoding message whose prefix is `replaced.table.message.prefix` (the stack's fence before it reads
 * a table again: a replaced table, a partition detached, dropped or truncated alone) becomes the same TRUNCATE
 * row on the topic its content names: the table's rows end at the message's position, as a truncate's do.
 * When the content names the re-read's signal too (a second line), the row carries it in `reread.field`: ADX
 * holds such a fence pending, hiding nothing, until the re-read has read the whole table.
 * That end is Debezium's TABLE_SCAN_COMPLETED notification (notification channel "sink": emitted into the
 * task's record stream after the table's last read, in order): for a table `reread.topics` names, with status
 * SUCCEEDED or EMPTY, it becomes a keyless TRUNCATE row without an LSN or a time (the one kind of TRUNCATE row
 * without them, so it hides nothing by itself) on the table's topic, so ADX sees the end after every read of the
 * re-read; but not while another read of the same table is queued after it (its `data_collections` names the table
 * again): a read under way when a fenced re-read was requested (one started before, or reconcile --repair's filtered
 * one) would otherwise apply the fence before the re-read has brought the rows. Every other notification is dropped (the stack reads none; they are in the worker log), and every
 * other record passes through untouched.
 */
public class TruncateToChangeRecord<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    public static final String ADD_FIELDS = "add.fields";
    public static final String FIELD_PREFIX = "add.fields.prefix";
    public static final String DELETED_FIELD = "deleted.field";
    public static final String REPLACED_TABLE_MESSAGE_PREFIX = "replaced.table.message.prefix";
    public static final String REREAD_FIELD = "reread.field";
    public static final String REREAD_TOPICS = "reread.topics";
    private static final String TRUNCATE_OP = "t";
    /**
     * The partition of every keyless row this transform writes: one every topic has. Left to the producer, a keyless
     * record's partition comes from its cached metadata, which after a topic was created again (a lost broker volume,
     * event hubs deleted) can name a partition the new topic lacks: the row then waits out the delivery timeout while
     * keyed records flow (seen in operations.test.ts: fences and re-read ends never reached the re-created topic).
     */
    private static final Integer KEYLESS_PARTITION = 0;
    private static final Logger LOG = LoggerFactory.getLogger(TruncateToChangeRecord.class);
    /** Debezium's notification value fields (io.debezium.pipeline.notification.Notification). */
    private static final Set<String> NOTIFICATION_FIELDS = Set.of("id", "aggregate_type", "type", "additional_data");
    /** The statuses of a table scan that read the whole table (an empty one included). */
    private static final Set<String> COMPLETE_SCANS = Set.of("SUCCEEDED", "EMPTY");

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(ADD_FIELDS, ConfigDef.Type.LIST, "op,lsn,source.ts_ms", ConfigDef.Importance.HIGH,
                    "Envelope fields to copy, as ExtractNewRecordState's add.fields names them (\"source.x\" for a source field)")
            .define(FIELD_PREFIX, ConfigDef.Type.STRING, "__", ConfigDef.Importance.MEDIUM, "Prefix of the copied fields' names; dots become underscores")
            .define(DELETED_FIELD, ConfigDef.Type.STRING, "__deleted", ConfigDef.Importance.MEDIUM, "Field set to \"true\": a truncate removes rows")
            .define(REPLACED_TABLE_MESSAGE_PREFIX, ConfigDef.Type.STRING, "", ConfigDef.Importance.MEDIUM,
                    "Prefix of the logical decoding messages that stand for a TRUNCATE of the topic their content names; empty: none")
            .define(REREAD_FIELD, ConfigDef.Type.STRING, "__reread", ConfigDef.Importance.MEDIUM,
                    "Field holding the re-read signal a fence waits for, and on a re-read's end row the notification's id")
            .define(REREAD_TOPICS, ConfigDef.Type.LIST, "", TruncateToChangeRecord::validateRereadTopics, ConfigDef.Importance.MEDIUM,
                    "The captured tables' topics: schema/table=topic, schema and table percent-encoded; a re-read of another table gets no end row");

    /** Refuses a malformed REREAD_TOPICS when Connect validates or configures the transform, not at the first re-read's end. */
    private static void validateRereadTopics(String name, Object value) {
        try {
            parseRereadTopics(value == null ? List.of() : (List<?>) value);
        }
        catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
        }
    }

    /** REREAD_TOPICS decoded: Debezium's "schema.table" identifier of each table → its topic. */
    static Map<String, String> parseRereadTopics(List<?> entries) {
        Map<String, String> topics = new HashMap<>();
        for (Object item : entries) {
            String entry = String.valueOf(item);
            int equals = entry.lastIndexOf('=');
            String[] table = equals <= 0 ? new String[0] : entry.substring(0, equals).split("/", -1);
            if (table.length != 2 || entry.substring(equals + 1).isBlank()) {
                throw new IllegalArgumentException("not schema/table=topic: " + entry);
            }
            topics.put(decode(table[0]) + "." + decode(table[1]), entry.substring(equals + 1).trim());
        }
        return topics;
    }

    /** REREAD_TOPICS decoded (parseRereadTopics), once. */
    private Map<String, String> rereadTopics;

    public TruncateToChangeRecord() {
        super(CONFIG);
    }

    @Override
    protected R apply(R record, Struct envelope) {
        Schema schema = envelope.schema();
        if (NOTIFICATION_FIELDS.stream().allMatch(f -> schema.field(f) != null)) {
            return rereadEnd(record, envelope);
        }
        if (schema.field("op") == null || schema.field("source") == null) {
            return record;
        }
        Object op = envelope.get("op");
        String topic = record.topic();
        Object key = record.key();
        Schema keySchema = record.keySchema();
        String reread = null;
        if ("m".equals(op)) {
            String[] fence = fenceContent(envelope);
            if (fence == null) {
                return record;
            }
            topic = fence[0];
            reread = fence.length > 1 ? fence[1] : null;
            // Keyless, as Debezium's own truncate events are.
            key = null;
            keySchema = null;
        } else if (!TRUNCATE_OP.equals(op)) {
            return record;
        }
        List<String> fields = settings().getList(ADD_FIELDS);
        String prefix = settings().getString(FIELD_PREFIX);
        String deletedField = settings().getString(DELETED_FIELD);
        SchemaBuilder builder = SchemaBuilder.struct().name(topic + ".Truncate").optional();
        Object[] values = new Object[fields.size()];
        String[] names = new String[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            String spec = fields.get(i).trim();
            // As ExtractNewRecordState reads add.fields: "source.x" from the source block, a name the
            // envelope has (op, ts_ms) from the envelope, any other (lsn, table, ...) from the source block.
            Struct owner = envelope;
            String fieldName = spec;
            if (spec.startsWith("source.")) {
                owner = envelope.getStruct("source");
                fieldName = spec.substring("source.".length());
            } else if (schema.field(spec) == null) {
                owner = envelope.getStruct("source");
            }
            Field field = owner == null ? null : owner.schema().field(fieldName);
            names[i] = prefix + spec.replace('.', '_');
            values[i] = field == null ? null : "op".equals(spec) ? TRUNCATE_OP : owner.get(field);
            builder.field(names[i], field == null ? Schema.OPTIONAL_STRING_SCHEMA : optional(field.schema()));
        }
        builder.field(deletedField, Schema.STRING_SCHEMA);
        String rereadField = settings().getString(REREAD_FIELD);
        if (reread != null) {
            builder.field(rereadField, Schema.STRING_SCHEMA);
        }
        Schema flatSchema = builder.build();
        Struct flat = new Struct(flatSchema);
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null) {
                flat.put(names[i], values[i]);
            }
        }
        flat.put(deletedField, "true");
        if (reread != null) {
            flat.put(rereadField, reread);
        }
        return record.newRecord(topic, KEYLESS_PARTITION, keySchema, key, flatSchema, flat, record.timestamp());
    }

    /**
     * A notification: a completed scan of a table `reread.topics` names becomes its end row (op, delete flag and the
     * notification's id, as a fence row carries them); any other is dropped.
     */
    private R rereadEnd(R record, Struct notification) {
        if (!"Incremental Snapshot".equals(notification.get("aggregate_type")) || !"TABLE_SCAN_COMPLETED".equals(notification.get("type"))) {
            return null;
        }
        Map<?, ?> data = notification.get("additional_data") instanceof Map<?, ?> m ? m : Map.of();
        Object scanned = data.get("scanned_collection");
        String topic = scanned == null ? null : topicOf(scanned.toString());
        Object status = data.get("status");
        if (topic == null || !COMPLETE_SCANS.contains(String.valueOf(status))) {
            LOG.warn("pg-adx-cdc: the incremental snapshot of {} ended with status {}: a fence that waits for it stays pending (ADX hides no row of it)", scanned, status);
            return null;
        }
        Object queued = data.get("data_collections");
        if (queued != null && occurrences(queued.toString(), scanned.toString()) > 1) {
            // Another read of the table is queued after this one (a fenced re-read requested while this one, maybe filtered, ran):
            // only the last read's end may apply the fences, or rows that read has yet to bring would be hidden meanwhile.
            LOG.info("pg-adx-cdc: a read of {} ended with another read of it queued ({}); the last one's end applies the fences waiting for a whole read", scanned, queued);
            return null;
        }
        String prefix = settings().getString(FIELD_PREFIX);
        String rereadField = settings().getString(REREAD_FIELD);
        String deletedField = settings().getString(DELETED_FIELD);
        Schema flatSchema = SchemaBuilder.struct().name(topic + ".RereadEnd").optional()
                .field(prefix + "op", Schema.STRING_SCHEMA)
                .field(deletedField, Schema.STRING_SCHEMA)
                .field(rereadField, Schema.STRING_SCHEMA)
                .build();
        Struct flat = new Struct(flatSchema)
                .put(prefix + "op", TRUNCATE_OP)
                .put(deletedField, "true")
                .put(rereadField, String.valueOf(notification.get("id")));
        return record.newRecord(topic, KEYLESS_PARTITION, null, null, flatSchema, flat, record.timestamp());
    }

    /**
     * How often `identifier` is an entry of Debezium's comma-joined list of the data collections still to read
     * (at a TABLE_SCAN_COMPLETED: the one just read first, then those queued after it).
     */
    static int occurrences(String list, String identifier) {
        int count = 0;
        for (int at = list.indexOf(identifier); at >= 0; at = list.indexOf(identifier, at + 1)) {
            int end = at + identifier.length();
            if ((at == 0 || list.charAt(at - 1) == ',') && (end == list.length() || list.charAt(end) == ',')) count++;
        }
        return count;
    }

    /** The topic of Debezium's identifier of a table ("schema.table", or with the database before it). */
    private String topicOf(String identifier) {
        if (rereadTopics == null) {
            rereadTopics = parseRereadTopics(settings().getList(REREAD_TOPICS));
        }
        for (int from = 0;;) {
            String topic = rereadTopics.get(identifier.substring(from));
            if (topic != null) {
                return topic;
            }
            int dot = identifier.indexOf('.', from);
            if (dot < 0) {
                return null;
            }
            from = dot + 1;
        }
    }

    private static String decode(String part) {
        return URLDecoder.decode(part.trim(), StandardCharsets.UTF_8);
    }

    /** A fence message's topic, and the re-read signal it waits for when it names one; null for any other message. */
    private String[] fenceContent(Struct envelope) {
        String wanted = settings().getString(REPLACED_TABLE_MESSAGE_PREFIX);
        if (wanted.isEmpty() || envelope.schema().field("message") == null) {
            return null;
        }
        Struct message = envelope.getStruct("message");
        if (message == null || !wanted.equals(message.get("prefix"))) {
            return null;
        }
        // The content is bytes, or the text binary.handling.mode made of them (base64: the stack's setting).
        Object content = message.get("content");
        byte[] bytes = content instanceof ByteBuffer ? toArray((ByteBuffer) content)
                : content instanceof byte[] ? (byte[]) content
                : content instanceof String ? fromBase64((String) content) : null;
        String[] lines = (bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8)).trim().split("\n", 2);
        String topic = lines[0].trim();
        if (topic.isEmpty()) {
            return null;
        }
        return lines.length > 1 && !lines[1].trim().isEmpty() ? new String[] { topic, lines[1].trim() } : new String[] { topic };
    }

    private static byte[] fromBase64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException notBase64) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static Schema optional(Schema schema) {
        if (schema.isOptional()) {
            return schema;
        }
        SchemaBuilder copy = new SchemaBuilder(schema.type()).optional();
        if (schema.name() != null) {
            copy.name(schema.name());
        }
        if (schema.version() != null) {
            copy.version(schema.version());
        }
        return copy.build();
    }

}
