package pgadxcdc.transforms;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns a Debezium TRUNCATE event (op "t": no before, no after) into a flat record that carries the
 * same metadata fields ExtractNewRecordState adds to every other change ("__op", "__lsn", ...) and
 * the delete flag. Placed before ExtractNewRecordState, which drops truncate events: a flat record is
 * no Debezium envelope, so that transform passes it on unchanged. ADX then sees the truncate as a row
 * of the table's change stream and hides every row committed before it (kql/adxModel.ts).
 * A logical decoding message whose prefix is `replaced.table.message.prefix` (the stack writes one when a
 * captured table was dropped and created again under its name) becomes the same TRUNCATE row on the topic
 * its content names: the replaced table's rows end at the message's position, as a truncate's do.
 * Every other record passes through untouched.
 */
public class TruncateToChangeRecord<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    public static final String ADD_FIELDS = "add.fields";
    public static final String FIELD_PREFIX = "add.fields.prefix";
    public static final String DELETED_FIELD = "deleted.field";
    public static final String REPLACED_TABLE_MESSAGE_PREFIX = "replaced.table.message.prefix";
    private static final String TRUNCATE_OP = "t";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(ADD_FIELDS, ConfigDef.Type.LIST, "op,lsn,source.ts_ms", ConfigDef.Importance.HIGH,
                    "Envelope fields to copy, as ExtractNewRecordState's add.fields names them (\"source.x\" for a source field)")
            .define(FIELD_PREFIX, ConfigDef.Type.STRING, "__", ConfigDef.Importance.MEDIUM, "Prefix of the copied fields' names; dots become underscores")
            .define(DELETED_FIELD, ConfigDef.Type.STRING, "__deleted", ConfigDef.Importance.MEDIUM, "Field set to \"true\": a truncate removes rows")
            .define(REPLACED_TABLE_MESSAGE_PREFIX, ConfigDef.Type.STRING, "", ConfigDef.Importance.MEDIUM,
                    "Prefix of the logical decoding messages that stand for a TRUNCATE of the topic their content names; empty: none");

    public TruncateToChangeRecord() {
        super(CONFIG);
    }

    @Override
    protected R apply(R record, Struct envelope) {
        Schema schema = envelope.schema();
        if (schema.field("op") == null || schema.field("source") == null) {
            return record;
        }
        Object op = envelope.get("op");
        String topic = record.topic();
        Object key = record.key();
        Schema keySchema = record.keySchema();
        if ("m".equals(op)) {
            topic = replacedTableTopic(envelope);
            if (topic == null) {
                return record;
            }
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
        Schema flatSchema = builder.build();
        Struct flat = new Struct(flatSchema);
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null) {
                flat.put(names[i], values[i]);
            }
        }
        flat.put(deletedField, "true");
        return record.newRecord(topic, record.kafkaPartition(), keySchema, key, flatSchema, flat, record.timestamp());
    }

    /** The topic a replaced-table message names, or null for any other message. */
    private String replacedTableTopic(Struct envelope) {
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
        String topic = bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8).trim();
        return topic.isEmpty() ? null : topic;
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
