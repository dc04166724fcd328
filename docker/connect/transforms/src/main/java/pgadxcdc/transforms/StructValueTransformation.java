package pgadxcdc.transforms;

import java.util.Map;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * What the stack's transforms share: settings read from one ConfigDef, and only records whose value
 * is a Struct looked at (a tombstone or a schemaless value passes through untouched).
 */
public abstract class StructValueTransformation<R extends ConnectRecord<R>> implements Transformation<R> {
    private final ConfigDef definition;
    private AbstractConfig settings;

    protected StructValueTransformation(ConfigDef definition) {
        this.definition = definition;
    }

    /** This transform's settings, validated against its ConfigDef when Connect configured it. */
    protected final AbstractConfig settings() {
        return settings;
    }

    /** The record, or the record that replaces it; `value` is its Struct value. */
    protected abstract R apply(R record, Struct value);

    @Override
    public final void configure(Map<String, ?> props) {
        settings = new AbstractConfig(definition, props);
    }

    @Override
    public final R apply(R record) {
        return record.value() instanceof Struct ? apply(record, (Struct) record.value()) : record;
    }

    @Override
    public final ConfigDef config() {
        return definition;
    }

    @Override
    public void close() {
    }
}
