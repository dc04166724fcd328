package pgadxcdc.transforms;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

import pgadxcdc.converters.IrregularArray;

/**
 * Writes each irregular array value of a flat change record (more dimensions than its column declares, or bounds
 * other than 1: pg-adx-cdc's converter hands an IrregularArray) as PostgreSQL's text of it, a JSON string in the
 * array's place, as a column declared integer[][] arrives. Its ADX column is dynamic, so the row holds the value
 * exactly, and the record's other values are untouched. Records without one pass through as they came.
 */
public class IrregularArraysToText<R extends ConnectRecord<R>> extends StructValueTransformation<R> {
    private static final ConfigDef CONFIG = new ConfigDef();
    /** The schema of a record with text in place of the arrays named, per record schema and set of fields. */
    private final Map<Schema, Map<Set<String>, Schema>> schemas = new HashMap<>();

    public IrregularArraysToText() {
        super(CONFIG);
    }

    @Override
    protected R apply(R record, Struct value) {
        Struct rewrittenValue = rewritten(value);
        if (rewrittenValue == null) return record;
        // A key column holds the same value (an array key, rare): the Kafka key carries its text too.
        Struct rewrittenKey = record.key() instanceof Struct key ? rewritten(key) : null;
        return record.newRecord(record.topic(), record.kafkaPartition(), rewrittenKey == null ? record.keySchema() : rewrittenKey.schema(),
                rewrittenKey == null ? record.key() : rewrittenKey, rewrittenValue.schema(), rewrittenValue, record.timestamp());
    }

    /** The struct with each IrregularArray as its text, or null when it holds none. */
    private Struct rewritten(Struct struct) {
        Set<String> irregular = null;
        for (Field field : struct.schema().fields()) {
            if (struct.get(field) instanceof IrregularArray) {
                if (irregular == null) irregular = new HashSet<>();
                irregular.add(field.name());
            }
        }
        if (irregular == null) return null;
        Schema schema = textSchema(struct.schema(), irregular);
        Struct rewritten = new Struct(schema);
        for (Field field : struct.schema().fields()) {
            Object v = struct.get(field);
            rewritten.put(field.name(), v instanceof IrregularArray array ? array.text() : v);
        }
        return rewritten;
    }

    private synchronized Schema textSchema(Schema schema, Set<String> irregular) {
        return schemas.computeIfAbsent(schema, s -> new HashMap<>()).computeIfAbsent(irregular, names -> {
            SchemaBuilder builder = SchemaBuilder.struct().name(schema.name()).version(schema.version()).doc(schema.doc());
            if (schema.isOptional()) builder.optional();
            for (Field field : schema.fields()) builder.field(field.name(), names.contains(field.name()) ? Schema.OPTIONAL_STRING_SCHEMA : field.schema());
            return builder.build();
        });
    }
}
