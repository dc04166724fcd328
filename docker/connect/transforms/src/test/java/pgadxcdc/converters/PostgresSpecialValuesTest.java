package pgadxcdc.converters;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;

/** Array values as both paths hand them over: pgjdbc's java.sql.Array, whose text is PostgreSQL's own. */
class PostgresSpecialValuesTest {
    private static RelationalColumn column(String typeName) {
        return (RelationalColumn) Proxy.newProxyInstance(RelationalColumn.class.getClassLoader(), new Class<?>[] { RelationalColumn.class }, (proxy, method, args) -> switch (method.getName()) {
            case "name" -> "c";
            case "typeName" -> typeName;
            case "dataCollection" -> "shop.t";
            case "isOptional" -> true;
            default -> null;
        });
    }

    /** A java.sql.Array whose text is `literal`, as pgjdbc's PgArray is. */
    private static java.sql.Array pgArray(String literal) {
        return (java.sql.Array) Proxy.newProxyInstance(java.sql.Array.class.getClassLoader(), new Class<?>[] { java.sql.Array.class }, (proxy, method, args) -> {
            if (method.getName().equals("toString")) return literal;
            throw new UnsupportedOperationException(method.getName());
        });
    }

    /** The value the converter writes for `typeName` columns, configured as the stack configures it. */
    private static Object convert(String typeName, Object value) {
        PostgresSpecialValues converter = new PostgresSpecialValues();
        Properties props = new Properties();
        props.setProperty(PostgresSpecialValues.UNAVAILABLE_PLACEHOLDER_PROPERTY, "__debezium_unavailable_value");
        props.setProperty(PostgresSpecialValues.ELEMENT_TEXT_ARRAY_TYPES_PROPERTY, "_mood,_text");
        converter.configure(props);
        AtomicReference<CustomConverter.Converter> registered = new AtomicReference<>();
        converter.converterFor(column(typeName), new CustomConverter.ConverterRegistration<SchemaBuilder>() {
            @Override
            public void register(SchemaBuilder schema, CustomConverter.Converter c) {
                registered.set(c);
            }
        });
        return registered.get().convert(value);
    }

    @Test
    void parsesQuotedNullAndEscapedElements() {
        assertEquals(Arrays.asList("a", "b c", null, "NULL", "x\"y\\z", ""), PostgresSpecialValues.parseArrayLiteral(column("_text"), "{a,\"b c\",NULL,\"NULL\",\"x\\\"y\\\\z\",\"\"}"));
        assertEquals(List.of(), PostgresSpecialValues.parseArrayLiteral(column("_text"), "{}"));
    }

    @Test
    void skipsBoundsAndKeepsSubArraysAsTheirText() {
        assertEquals(List.of("1", "2", "3"), PostgresSpecialValues.parseArrayLiteral(column("_int4"), "[0:2]={1,2,3}"));
        assertEquals(List.of(new PostgresSpecialValues.SubArray("{1,2}"), new PostgresSpecialValues.SubArray("{3,NULL}")),
                PostgresSpecialValues.parseArrayLiteral(column("_int4"), "{{1,2},{3,NULL}}"));
        assertEquals(List.of(new PostgresSpecialValues.SubArray("{\"a}\",b}"), new PostgresSpecialValues.SubArray("{c,\"d\\\"}\"}")),
                PostgresSpecialValues.parseArrayLiteral(column("_text"), "[1:2][1:2]={{\"a}\",b},{c,\"d\\\"}\"}}"));
    }

    @Test
    void aMultiDimensionalValueInAOneDimensionalColumnKeepsEverySubArrayInsteadOfFailing() {
        assertEquals(List.of("{2024-02-29,infinity}", "{\"4713-01-01 BC\",NULL}"), convert("_date", pgArray("{{2024-02-29,infinity},{\"4713-01-01 BC\",NULL}}")));
        assertEquals(List.of("{a,b}", "{c,NULL}"), convert("_text", pgArray("{{a,b},{c,NULL}}")));
        assertEquals(List.of("{sad,happy}"), convert("_mood", pgArray("{{sad,happy}}")));
        assertEquals(List.of("NAN", "{1.5,2}"), convert("_numeric", pgArray("{NaN,{1.5,2}}")));
    }

    @Test
    void datesAreReadFromPostgresText() {
        // The days the Julian calendar skipped exist in PostgreSQL's proleptic calendar; a java.sql.Date cannot tell them from ten days later.
        assertEquals(Arrays.asList("1582-10-05Z", "1582-10-15Z", "-4712-01-01Z", "infinity", "-infinity", "+294276-12-31Z", null),
                convert("_date", pgArray("{1582-10-05,1582-10-15,\"4713-01-01 BC\",infinity,-infinity,294276-12-31,NULL}")));
        assertEquals(List.of("2024-02-29Z"), convert("_date", pgArray("[0:0]={2024-02-29}")));
        assertEquals(Arrays.asList("ab   ", "x", null), convert("_text", pgArray("{\"ab   \",x,NULL}")));
    }
}
