package pgadxcdc.converters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        props.setProperty(PostgresSpecialValues.TYPED_ARRAY_TYPES_PROPERTY, "_posint:int32");
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
    void aValueThatIsNoPlainOneDimensionalArrayArrivesAsItsTextWhateverTheElementType() {
        // More dimensions than the column declares, or bounds other than 1: PostgreSQL accepts both in integer[].
        for (String type : List.of("_date", "_text", "_mood", "_numeric", "_int4", "_int8", "_bool", "_uuid", "_jsonb", "_bytea", "_float8")) {
            assertEquals(new IrregularArray("{{1,2},{3,NULL}}"), convert(type, pgArray("{{1,2},{3,NULL}}")), type);
            assertEquals(new IrregularArray("[0:2]={1,2,3}"), convert(type, pgArray("[0:2]={1,2,3}")), type);
            assertEquals(new IrregularArray("[0:1][1:1]={{\"a}\"},{b}}"), convert(type, pgArray("[0:1][1:1]={{\"a}\"},{b}}")), type);
        }
        assertThrows(IllegalArgumentException.class, () -> PostgresSpecialValues.parseArrayLiteral(column("_int4"), "{{1,2}}"));
    }

    @Test
    void arraysDebeziumConvertsItselfAreWrittenAsDebeziumWritesThem() {
        assertEquals(Arrays.asList((short) -32768, null, (short) 7), convert("_int2", pgArray("{-32768,NULL,7}")));
        assertEquals(Arrays.asList(1, null, -3), convert("_int4", pgArray("{1,NULL,-3}")));
        assertEquals(List.of(Long.MIN_VALUE, Long.MAX_VALUE), convert("_int8", pgArray("{-9223372036854775808,9223372036854775807}")));
        assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 4.9e-324), convert("_float8", pgArray("{NaN,Infinity,-Infinity,-0,5e-324}")));
        assertEquals(Arrays.asList(true, false, null), convert("_bool", pgArray("{t,f,NULL}")));
        assertEquals(Arrays.asList("{\"a\": [1, {\"b\": null}]}", "null", null, "\"s\""), convert("_jsonb", pgArray("{\"{\\\"a\\\": [1, {\\\"b\\\": null}]}\",\"null\",NULL,\"\\\"s\\\"\"}")));
        assertEquals(Arrays.asList("AP8=", null, ""), convert("_bytea", pgArray("{\"\\\\x00ff\",NULL,\"\\\\x\"}")));
        assertArrayEquals(new byte[] { 'a', 0, '\\' }, PostgresSpecialValues.byteaBytes("a\\000\\\\"));
        assertEquals(List.of(), convert("_uuid", pgArray("{}")));
        assertEquals(Arrays.asList("07:04:56.789Z", "24:00:00Z", "19:00:00Z", "00:00:00Z", "01:00:00.000001Z", null),
                convert("_timetz", pgArray("{12:34:56.789+05:30,24:00:00+00,24:00:00+05,23:00:00-01,00:00:00.000001-01,NULL}")));
        // An array of a domain over integer, named by the setting.
        assertEquals(Arrays.asList(5, null), convert("_posint", pgArray("{5,NULL}")));
    }

    @Test
    void anUnchangedToastedArrayIsWrittenAsTheReselectPostProcessorFindsIt() {
        Object marker = new Object();
        assertEquals(List.of("__debezium_unavailable_value"), convert("_jsonb", marker));
        assertEquals(List.of("__debezium_unavailable_value"), convert("_bytea", marker));
        assertEquals((int) '_', ((List<?>) convert("_int4", marker)).get(0));
        assertEquals((long) '_', ((List<?>) convert("_int8", marker)).get(0));
        assertEquals(new IrregularArray("__debezium_unavailable_value"), convert("_bool", marker));
    }

    @Test
    void datesAreReadFromPostgresText() {
        // The days the Julian calendar skipped exist in PostgreSQL's proleptic calendar; a java.sql.Date cannot tell them from ten days later.
        assertEquals(Arrays.asList("1582-10-05Z", "1582-10-15Z", "-4712-01-01Z", "infinity", "-infinity", "+294276-12-31Z", null),
                convert("_date", pgArray("{1582-10-05,1582-10-15,\"4713-01-01 BC\",infinity,-infinity,294276-12-31,NULL}")));
        assertEquals(Arrays.asList("ab   ", "x", null), convert("_text", pgArray("{\"ab   \",x,NULL}")));
    }
}
