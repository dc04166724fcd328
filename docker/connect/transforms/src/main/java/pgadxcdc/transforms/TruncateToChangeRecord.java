package pgadxcdc.transforms;

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
 * Every other record passes through untouched.
 */
public class TruncateToChangeRecord<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    public static final String ADD_FIELDS = "add.fields";
    public static final String FIELD_PREFIX = "add.fields.prefix";
    public static final String DELETED_FIELD = "deleted.field";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(ADD_FIELDS, ConfigDef.Type.LIST, "op,lsn,source.ts_ms", ConfigDef.Importance.HIGH,
                    "Envelope fields to copy, as ExtractNewRecordState's add.fields names them (\"source.x\" for a source field)")
            .define(FIELD_PREFIX, ConfigDef.Type.STRING, "__", ConfigDef.Importance.MEDIUM, "Prefix of the copied fields' names; dots become underscores")
            .define(DELETED_FIELD, ConfigDef.Type.STRING, "__deleted", ConfigDef.Importance.MEDIUM, "Field set to \"true\": a truncate removes rows");

    public TruncateToChangeRecord() {
        super(CONFIG);
    }

    @Override
    protected R apply(R record, Struct envelope) {
        Schema schema = envelope.schema();
        if (schema.field("op") == null || schema.field("source") == null || !"t".equals(envelope.get("op"))) {
            return record;
        }
        List<String> fields = settings().getList(ADD_FIELDS);
        String prefix = settings().getString(FIELD_PREFIX);
        String deletedField = settings().getString(DELETED_FIELD);
        SchemaBuilder builder = SchemaBuilder.struct().name(record.topic() + ".Truncate").optional();
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
            values[i] = field == null ? null : owner.get(field);
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
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(), flatSchema, flat, record.timestamp());
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
