package pgadxcdc.converters;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;

/**
 * PostgreSQL values Debezium 3.7 does not carry exactly, written the same through the snapshot and the
 * stream (each is registered by column type in the source connector config, connectors/debeziumSource.ts
 * through contract/typeTable.ts):
 * - date, date[]: Debezium 3.7's
 * own date conversion (time.precision.mode=isostring) reads a snapshot's dates through
 * java.sql.Date, which drops the era (4713-01-01 BC arrives as the AD date 4713-01-01Z) and turns
 * 'infinity'/'-infinity' into years 292278994 and 292269055 (both positive), while the stream
 * sends the proleptic ISO date (-4712-01-01Z) and other sentinels (+5877611-06-21Z); date arrays
 * lose the era and the infinities on both paths. This converter writes every date in Debezium's
 * form, ISO 8601 proleptic Gregorian with a Z ("2024-02-29Z", "-4712-01-01Z" for 4713 BC,
 * "+294276-12-31Z"), and the infinities as PostgreSQL spells them: "infinity", "-infinity".
 * - time, time[]: PostgreSQL's text with Debezium's Z, so 24:00:00 stays 24:00:00Z.
 * - numeric[]: a null array in Debezium 3.7 when an element is NaN or ±Infinity.
 * - Every type the type table carries as PostgreSQL's own text (its "text-form" rule: tsvector, xml,
 *   ranges, geometric types, bit strings, extension and composite types, arrays of them): the column
 *   types named in `text.types` (the connector config lists those of the captured columns). Debezium
 *   3.7 drops most of them (unknown types), or writes a struct (point) or bytes (bit); both paths hand
 *   this converter the value as text, as a pgjdbc PGobject or as a java.sql.Array, each of which holds
 *   PostgreSQL's text.
 * - Arrays of the types Debezium 3.7 converts itself (integer[], boolean[], uuid[], jsonb[], bytea[], ...:
 *   `typed.array.types`), written element by element as Debezium writes them, so that the converter sees
 *   every array's text.
 * - Every array value PostgreSQL accepts in a column declared one-dimensional but that is not a plain
 *   one-dimensional array ('{{1,2},{3,4}}', '[0:2]={1,2,3}'): an IrregularArray holding PostgreSQL's text,
 *   which the IrregularArraysToText transform writes as that text. Debezium 3.7 writes null elements, Java
 *   object names or the elements without their bounds.
 */
public class PostgresSpecialValues implements CustomConverter<SchemaBuilder, RelationalColumn> {
    public static final String POSITIVE_INFINITY = "infinity";
    public static final String NEGATIVE_INFINITY = "-infinity";
    /** pgjdbc's java.sql.Date millis for 'infinity' and '-infinity' (PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY). */
    private static final long JDBC_POSITIVE_INFINITY = 9223372036825200000L;
    private static final long JDBC_NEGATIVE_INFINITY = -9223372036832400000L;
    /** Debezium's LocalDate sentinels for 'infinity' and '-infinity' in the stream. */
    private static final LocalDate STREAM_POSITIVE_INFINITY = LocalDate.parse("+5877611-06-21");
    private static final LocalDate STREAM_NEGATIVE_INFINITY = LocalDate.parse("-5877611-06-22");
    /** PostgreSQL's text of a date (DateStyle ISO), e.g. "2024-02-29" or "4713-01-01 BC". */
    private static final Pattern POSTGRES_DATE = Pattern.compile("(\\d{4,})-(\\d{2})-(\\d{2})( BC)?");
    /** Column types written as PostgreSQL's text (pg_type.typname, comma-separated). */
    public static final String TEXT_TYPES_PROPERTY = "text.types";
    /**
     * Single columns written as PostgreSQL's text whatever their type (arrays declared with more than one
     * dimension, whose type's other columns stay JSON arrays): schema/table/column, each part
     * percent-encoded, comma-separated.
     */
    public static final String TEXT_COLUMNS_PROPERTY = "text.columns";
    /**
     * Domains of the captured columns and their base types, "domain:base" (pg_type.typname of each),
     * comma-separated: Debezium names a domain column's type by the domain, and this converter treats it
     * as its base type (a domain over date keeps its infinities and BC dates as a date column does).
     */
    public static final String DOMAIN_TYPES_PROPERTY = "domain.types";
    /** The connector's unavailable.value.placeholder, written for a TOASTed value the stream did not carry. */
    public static final String UNAVAILABLE_PLACEHOLDER_PROPERTY = "unavailable.value.placeholder";
    private final Set<String> textTypes = new HashSet<>();
    /** TEXT_COLUMNS_PROPERTY decoded: "schema.table" (Debezium's data collection) and the column, joined by a NUL. */
    private final Set<String> textColumns = new HashSet<>();
    private String unavailablePlaceholder;
    /**
     * One-dimensional array types whose elements Debezium 3.7 drops (the whole array arrives null: arrays
     * of an enum, of interval), pg_type.typname, comma-separated: written as JSON arrays of each element's
     * PostgreSQL text, on both paths.
     */
    public static final String ELEMENT_TEXT_ARRAY_TYPES_PROPERTY = "element.text.array.types";
    private final Set<String> elementTextArrayTypes = new HashSet<>();
    /**
     * One-dimensional array types Debezium 3.7 converts itself, "type:form" (pg_type.typname and the element's
     * form: int16, int32, int64, float32, float64, boolean, string, base64), comma-separated: written here
     * element by element as Debezium writes them, so that an irregular value reaches IrregularArray. Debezium's
     * own array types (BUILT_IN_TYPED_ARRAYS) need no entry, so a column of one added while capture runs is
     * written alike; the setting names the others (arrays of a domain over one of them).
     */
    public static final String TYPED_ARRAY_TYPES_PROPERTY = "typed.array.types";
    private final Map<String, ElementForm> typedArrayTypes = new HashMap<>();
    /** The array types Debezium 3.7 converts element by element itself (PostgresValueConverter), by pg_type.typname. */
    private static final Map<String, String> BUILT_IN_TYPED_ARRAYS = Map.ofEntries(Map.entry("_int2", "int16"), Map.entry("_int4", "int32"),
            Map.entry("_int8", "int64"), Map.entry("_float4", "float32"), Map.entry("_float8", "float64"), Map.entry("_bool", "boolean"),
            Map.entry("_uuid", "string"), Map.entry("_json", "string"), Map.entry("_jsonb", "string"), Map.entry("_inet", "string"),
            Map.entry("_cidr", "string"), Map.entry("_macaddr", "string"), Map.entry("_bytea", "base64"), Map.entry("_timetz", "timetz"));
    /** DOMAIN_TYPES_PROPERTY: domain → base type. */
    private final Map<String, String> domainBases = new HashMap<>();

    @Override
    public void configure(Properties props) {
        String listed = props.getProperty(TEXT_TYPES_PROPERTY, "");
        for (String type : listed.split(",")) {
            if (!type.isBlank()) textTypes.add(type.trim());
        }
        for (String entry : props.getProperty(TEXT_COLUMNS_PROPERTY, "").split(",")) {
            if (entry.isBlank()) continue;
            String[] parts = entry.trim().split("/", -1);
            if (parts.length != 3) throw new IllegalArgumentException(TEXT_COLUMNS_PROPERTY + ": not schema/table/column: " + entry);
            textColumns.add(decode(parts[0]) + "." + decode(parts[1]) + "\u0000" + decode(parts[2]));
        }
        for (String type : props.getProperty(ELEMENT_TEXT_ARRAY_TYPES_PROPERTY, "").split(",")) {
            if (!type.isBlank()) elementTextArrayTypes.add(type.trim());
        }
        BUILT_IN_TYPED_ARRAYS.forEach((type, form) -> typedArrayTypes.put(type, ElementForm.named(form)));
        for (String entry : props.getProperty(TYPED_ARRAY_TYPES_PROPERTY, "").split(",")) {
            if (entry.isBlank()) continue;
            int colon = entry.lastIndexOf(':');
            ElementForm form = colon <= 0 ? null : ElementForm.named(entry.substring(colon + 1).trim());
            if (form == null) throw new IllegalArgumentException(TYPED_ARRAY_TYPES_PROPERTY + ": not type:form (form one of " + ElementForm.names() + "): " + entry);
            typedArrayTypes.put(entry.substring(0, colon).trim(), form);
        }
        for (String entry : props.getProperty(DOMAIN_TYPES_PROPERTY, "").split(",")) {
            if (entry.isBlank()) continue;
            int colon = entry.lastIndexOf(':');
            if (colon <= 0 || colon == entry.length() - 1) throw new IllegalArgumentException(DOMAIN_TYPES_PROPERTY + ": not domain:base: " + entry);
            domainBases.put(entry.substring(0, colon).trim(), entry.substring(colon + 1).trim());
        }
        unavailablePlaceholder = props.getProperty(UNAVAILABLE_PLACEHOLDER_PROPERTY);
        if (unavailablePlaceholder == null || unavailablePlaceholder.isEmpty())
            throw new IllegalArgumentException("pg-adx-cdc's converter needs " + UNAVAILABLE_PLACEHOLDER_PROPERTY + " (the connector's own)");
    }

    private static String decode(String part) {
        return URLDecoder.decode(part, StandardCharsets.UTF_8);
    }

    /**
     * Whether a column is named in TEXT_COLUMNS_PROPERTY. Debezium names the column's table "schema.table",
     * or "database.schema.table" where the JDBC metadata gives a catalog.
     */
    private boolean isTextColumn(RelationalColumn column) {
        String collection = column.dataCollection();
        if (collection == null || textColumns.isEmpty()) return false;
        for (int from = 0;;) {
            if (textColumns.contains(collection.substring(from) + "\u0000" + column.name())) return true;
            int dot = collection.indexOf('.', from);
            if (dot < 0) return false;
            from = dot + 1;
        }
    }

    /**
     * An update that leaves a TOASTed value unchanged, in a table without REPLICA IDENTITY FULL (a partition
     * created after the bootstrap), does not carry the value: the stream hands a converter one of Debezium's
     * marker objects (plain java.lang.Object instances) instead. Debezium's own converters write the
     * placeholder then; this one writes it too, as text or as a one-element array, where the reselect
     * post-processor (connectors/debeziumSource.ts) finds it and reads the value back from the table.
     */
    private static boolean isUnchangedToastMarker(Object value) {
        return value.getClass() == Object.class;
    }

    /** The column's type, a domain resolved to its base type. */
    private String typeOf(RelationalColumn column) {
        return domainBases.getOrDefault(column.typeName(), column.typeName());
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = typeOf(column);
        if (textTypes.contains(type) || isTextColumn(column)) {
            SchemaBuilder schema = SchemaBuilder.string();
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? unavailablePlaceholder : postgresText(value));
        }
        else if ("date".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.string();
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : dateText(column, value));
        }
        else if ("time".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.string();
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : timeText(column, value));
        }
        else if ("_time".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA);
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? List.of(unavailablePlaceholder) : arrayOf(type, column, value, e -> timeText(column, e)));
        }
        else if ("_timestamp".equals(type) || "_timestamptz".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA);
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? List.of(unavailablePlaceholder) : arrayOf(type, column, value, e -> timestampText(column, e.toString())));
        }
        else if ("_numeric".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA);
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? List.of(unavailablePlaceholder) : arrayOf(type, column, value, e -> numericText(column, e)));
        }
        else if (elementTextArrayTypes.contains(type)) {
            SchemaBuilder schema = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA);
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? List.of(unavailablePlaceholder) : arrayOf(type, column, value, PostgresSpecialValues::postgresText));
        }
        else if ("_date".equals(type)) {
            SchemaBuilder schema = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA);
            if (column.isOptional()) schema.optional();
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? List.of(unavailablePlaceholder) : arrayOf(type, column, value, e -> dateText(column, e)));
        }
        else if (typedArrayTypes.containsKey(type)) {
            ElementForm form = typedArrayTypes.get(type);
            SchemaBuilder schema = SchemaBuilder.array(form.schema);
            if (column.isOptional()) schema.optional();
            // An unchanged TOASTed array Debezium marks with the placeholder as its only element, in the element's form
            // where one can hold it (its bytes' base64, as Debezium's own array converters do); the reselect
            // post-processor reads such a value back from the table.
            registration.register(schema, value -> value == null ? null : isUnchangedToastMarker(value) ? form.unavailable(unavailablePlaceholder) : arrayOf(type, column, value, e -> form.parse(e.toString())));
        }
    }

    /** How Debezium 3.7 writes an element of an array type it converts itself, from the element's PostgreSQL text. */
    enum ElementForm {
        INT16(Schema.OPTIONAL_INT16_SCHEMA, Short::valueOf),
        INT32(Schema.OPTIONAL_INT32_SCHEMA, Integer::valueOf),
        INT64(Schema.OPTIONAL_INT64_SCHEMA, Long::valueOf),
        FLOAT32(Schema.OPTIONAL_FLOAT32_SCHEMA, Float::valueOf),
        FLOAT64(Schema.OPTIONAL_FLOAT64_SCHEMA, Double::valueOf),
        BOOLEAN(Schema.OPTIONAL_BOOLEAN_SCHEMA, text -> "t".equals(text) || "true".equals(text)),
        /** uuid, json, jsonb, inet, cidr, macaddr: the text as it is. */
        STRING(Schema.OPTIONAL_STRING_SCHEMA, text -> text),
        /** bytea with binary.handling.mode=base64. */
        BASE64(Schema.OPTIONAL_STRING_SCHEMA, text -> java.util.Base64.getEncoder().encodeToString(byteaBytes(text))),
        /** timetz in UTC, "HH:MM:SS[.f]Z" (Debezium's ZonedTime). */
        TIMETZ(Schema.OPTIONAL_STRING_SCHEMA, PostgresSpecialValues::timetzText);

        final Schema schema;
        private final Function<String, Object> parser;

        ElementForm(Schema schema, Function<String, Object> parser) {
            this.schema = schema;
            this.parser = parser;
        }

        Object parse(String text) {
            return parser.apply(text);
        }

        /**
         * An unchanged TOASTed array as Debezium's reselect post-processor recognizes it (and reads the value back
         * from the table): the placeholder as the only element of a string array, its bytes as the elements of an
         * integer or bigint array. An array of another form has none: the placeholder's text then arrives in its
         * place (IrregularArray), shown rather than a silent null.
         */
        List<?> unavailable(String placeholder) {
            byte[] bytes = placeholder.getBytes(StandardCharsets.UTF_8);
            switch (this) {
                case STRING:
                case BASE64:
                    return List.of(placeholder);
                case INT32: {
                    List<Integer> ints = new ArrayList<>(bytes.length);
                    for (byte b : bytes) ints.add((int) b);
                    return ints;
                }
                case INT64: {
                    List<Long> longs = new ArrayList<>(bytes.length);
                    for (byte b : bytes) longs.add((long) b);
                    return longs;
                }
                default:
                    return new IrregularArray(placeholder);
            }
        }

        static ElementForm named(String name) {
            for (ElementForm form : values())
                if (form.name().equalsIgnoreCase(name)) return form;
            return null;
        }

        static String names() {
            return java.util.Arrays.stream(values()).map(f -> f.name().toLowerCase()).collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /** PostgreSQL's text of a timetz (DateStyle ISO), e.g. "12:34:56.789+05:30" or "24:00:00+00". */
    private static final Pattern POSTGRES_TIMETZ = Pattern.compile("(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?([+-])(\\d{2})(?::?(\\d{2}))?(?::?(\\d{2}))?");

    /**
     * A timetz as Debezium writes one: the time of day in UTC with a Z, the fraction as long as it needs to be
     * ("07:04:56.789Z"), a time that crosses midnight wrapped as PostgreSQL's AT TIME ZONE 'UTC' wraps it, and
     * 24:00:00+00 kept as 24:00:00Z.
     */
    static String timetzText(String text) {
        Matcher m = POSTGRES_TIMETZ.matcher(text.trim());
        if (!m.matches()) throw new IllegalArgumentException("timetz element: unexpected value " + text);
        long micros = ((Long.parseLong(m.group(1)) * 60 + Long.parseLong(m.group(2))) * 60 + Long.parseLong(m.group(3))) * 1_000_000L
                + (m.group(4) == null ? 0 : Long.parseLong((m.group(4).substring(1) + "000000").substring(0, 6)));
        long offsetSeconds = (Long.parseLong(m.group(6)) * 60 + (m.group(7) == null ? 0 : Long.parseLong(m.group(7)))) * 60 + (m.group(8) == null ? 0 : Long.parseLong(m.group(8)));
        if ("-".equals(m.group(5))) offsetSeconds = -offsetSeconds;
        long day = 86_400_000_000L;
        long utc = micros == day && offsetSeconds == 0 ? day : Math.floorMod(micros - offsetSeconds * 1_000_000L, day);
        String fraction = utc % 1_000_000 == 0 ? "" : String.format(".%06d", utc % 1_000_000).replaceAll("0+$", "");
        return String.format("%02d:%02d:%02d%sZ", utc / 3_600_000_000L, utc / 60_000_000 % 60, utc / 1_000_000 % 60, fraction);
    }

    /** A bytea's bytes from PostgreSQL's text of it: hex ("\\x00ff", bytea_output's default) or escape ("a\\000b"). */
    static byte[] byteaBytes(String text) {
        if (text.startsWith("\\x")) {
            byte[] bytes = new byte[(text.length() - 2) / 2];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) Integer.parseInt(text.substring(2 + 2 * i, 4 + 2 * i), 16);
            return bytes;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\') bytes.write(c);
            else if (text.charAt(i + 1) == '\\') bytes.write(text.charAt(++i));
            else {
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 4), 8));
                i += 3;
            }
        }
        return bytes.toByteArray();
    }

    /**
     * PostgreSQL's text of a value, from what either path hands over: the stream's text (pgoutput sends
     * every value as text; Debezium passes unknown types through with include.unknown.datatypes), the
     * snapshot's JDBC object (a PGobject, or one of its geometric subclasses, whose getValue() is the
     * text), an array (pgjdbc keeps the array's text), an xml value, or a number (oid).
     */
    static String postgresText(Object value) {
        if (value instanceof String text) return text;
        if (value instanceof java.sql.Array array) return array.toString();
        if (value instanceof java.sql.SQLXML xml) {
            try {
                return xml.getString();
            }
            catch (SQLException e) {
                throw new IllegalArgumentException("cannot read an xml value", e);
            }
        }
        if (value instanceof byte[] bytes) return new String(bytes, StandardCharsets.UTF_8);
        for (Class<?> c = value.getClass(); c != null; c = c.getSuperclass()) {
            if ("org.postgresql.util.PGobject".equals(c.getName())) {
                try {
                    return (String) value.getClass().getMethod("getValue").invoke(value);
                }
                catch (ReflectiveOperationException e) {
                    throw new IllegalArgumentException("cannot read " + value.getClass().getName(), e);
                }
            }
        }
        return value.toString();
    }

    /**
     * A one-dimensional array's elements, each written by `element` (NULL stays null); `type` is the column's (base)
     * type. A value PostgreSQL accepts in a column declared one-dimensional but that is no plain one-dimensional
     * array ('{{1,2},{3,4}}', '[0:2]={1,2,3}') is an IrregularArray of its text: nothing of it is lost, where
     * Debezium 3.7 writes null elements, Java object names, or the elements without their bounds.
     */
    private static List<?> arrayOf(String type, RelationalColumn column, Object value, Function<Object, ?> element) {
        Object[] elements;
        if (value instanceof java.sql.Array || value instanceof String) {
            // pgjdbc's array holds PostgreSQL's own text of the array on both paths; reading that text keeps
            // values its element parser cannot hold (NaN, Infinity, 24:00:00, a date of the days the Julian
            // calendar skipped, 1582-10-05 to 10-14), sub-arrays and bounds.
            String literal = value.toString();
            if (IrregularArray.isIrregular(literal)) return new IrregularArray(literal);
            elements = parseArrayLiteral(column, literal).toArray();
        }
        else if (value instanceof List<?> list) {
            elements = list.toArray();
        }
        else if (value instanceof Object[] array) {
            elements = array;
        }
        else {
            throw new IllegalArgumentException("date[] column " + column.name() + ": unexpected " + value.getClass().getName());
        }
        List<Object> converted = new ArrayList<>(elements.length);
        for (Object e : elements) converted.add(e == null ? null : element.apply(e));
        return converted;
    }

    /**
     * The elements of a one-dimensional array literal as PostgreSQL writes it, with its default bounds:
     * {a,"b c",NULL} gives a, "b c" and null.
     */
    static List<Object> parseArrayLiteral(RelationalColumn column, String literal) {
        String text = literal.trim();
        if (IrregularArray.isIrregular(text) || !text.startsWith("{") || !text.endsWith("}"))
            throw new IllegalArgumentException("array column " + column.name() + ": not a one-dimensional array literal: " + literal);
        List<Object> elements = new ArrayList<>();
        String body = text.substring(1, text.length() - 1);
        if (body.isEmpty()) return elements;
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (quoted) {
                if (c == '\\') current.append(body.charAt(++i));
                else if (c == '"') quoted = false;
                else current.append(c);
            }
            else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            }
            else if (c == ',') {
                elements.add(!wasQuoted && "NULL".equals(current.toString()) ? null : current.toString());
                current.setLength(0);
                wasQuoted = false;
            }
            else current.append(c);
        }
        elements.add(!wasQuoted && "NULL".equals(current.toString()) ? null : current.toString());
        return elements;
    }

    /**
     * A time of day as PostgreSQL writes it, with Debezium's Z ("23:59:59.999999Z"); Debezium 3.7
     * turns the 24:00:00 PostgreSQL allows into 00:00:00.
     */
    static String timeText(RelationalColumn column, Object value) {
        if (value instanceof String text) return text.trim() + "Z";
        if (value instanceof java.time.LocalTime time) return time + "Z";
        if (value instanceof java.time.Duration duration) {
            long micros = duration.toNanos() / 1000;
            String fraction = micros % 1_000_000 == 0 ? "" : String.format(".%06d", micros % 1_000_000).replaceAll("0+$", "");
            return String.format("%02d:%02d:%02d%sZ", micros / 3_600_000_000L, micros / 60_000_000 % 60, micros / 1_000_000 % 60, fraction);
        }
        throw new IllegalArgumentException("time column " + column.name() + ": unexpected value " + value + " (" + value.getClass().getName() + ")");
    }

    /** PostgreSQL's text of a timestamp or timestamptz (DateStyle ISO), e.g. "2020-01-01 10:00:00.5+02" or "4713-01-01 00:00:00 BC". */
    private static final Pattern POSTGRES_TIMESTAMP = Pattern.compile("(\\d{4,})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?([+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)?( BC)?");

    /**
     * A timestamp[] or timestamptz[] element in UTC, ISO 8601 proleptic Gregorian with a Z (as Debezium
     * writes the scalar types), or "infinity"/"-infinity". Debezium 3.7 shifts a BC element by the
     * Julian calendar and turns the infinities into far dates.
     */
    static String timestampText(RelationalColumn column, String text) {
        String t = text.trim();
        if (POSITIVE_INFINITY.equals(t) || NEGATIVE_INFINITY.equals(t)) return t;
        Matcher m = POSTGRES_TIMESTAMP.matcher(t);
        if (!m.matches()) throw new IllegalArgumentException("timestamp column " + column.name() + ": unexpected element " + text);
        int year = Integer.parseInt(m.group(1));
        int nanos = m.group(7) == null ? 0 : Integer.parseInt((m.group(7).substring(1) + "000000000").substring(0, 9));
        java.time.LocalDateTime local = java.time.LocalDateTime.of(m.group(9) != null ? 1 - year : year, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), nanos);
        if (m.group(8) != null) {
            String offset = m.group(8).replace(":", "");
            int seconds = Integer.parseInt(offset.substring(1, 3)) * 3600 + (offset.length() >= 5 ? Integer.parseInt(offset.substring(3, 5)) * 60 : 0)
                    + (offset.length() >= 7 ? Integer.parseInt(offset.substring(5, 7)) : 0);
            local = local.minusSeconds(offset.charAt(0) == '-' ? -seconds : seconds);
        }
        String fraction = local.getNano() == 0 ? "" : String.format(".%09d", local.getNano()).replaceAll("0+$", "");
        return String.format("%sT%02d:%02d:%02d%sZ", local.toLocalDate(), local.getHour(), local.getMinute(), local.getSecond(), fraction);
    }

    /**
     * A numeric array element as Debezium writes a numeric with decimal.handling.mode=string: every
     * digit, and its names for the special values (NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY), so a
     * numeric and a numeric[] spell them alike. Debezium 3.7 writes a null array when one is present.
     */
    static String numericText(RelationalColumn column, Object value) {
        String text = value.toString().trim();
        switch (text) {
            case "NaN":
                return "NAN";
            case "Infinity":
                return "POSITIVE_INFINITY";
            case "-Infinity":
                return "NEGATIVE_INFINITY";
            default:
                return new java.math.BigDecimal(text).toPlainString();
        }
    }

    static String dateText(RelationalColumn column, Object value) {
        if (value instanceof java.sql.Date date) {
            if (date.getTime() == JDBC_POSITIVE_INFINITY) return POSITIVE_INFINITY;
            if (date.getTime() == JDBC_NEGATIVE_INFINITY) return NEGATIVE_INFINITY;
            // pgjdbc put PostgreSQL's fields (era, year, month, day) into the JVM's default calendar:
            // reading the same fields back, era included, gives the date PostgreSQL holds.
            Calendar calendar = new GregorianCalendar();
            calendar.setTime(date);
            int year = calendar.get(Calendar.YEAR);
            int isoYear = calendar.get(Calendar.ERA) == GregorianCalendar.BC ? 1 - year : year;
            return isoDate(LocalDate.of(isoYear, calendar.get(Calendar.MONTH) + 1, calendar.get(Calendar.DAY_OF_MONTH)));
        }
        if (value instanceof LocalDate date) {
            if (date.equals(STREAM_POSITIVE_INFINITY) || date.equals(LocalDate.MAX)) return POSITIVE_INFINITY;
            if (date.equals(STREAM_NEGATIVE_INFINITY) || date.equals(LocalDate.MIN)) return NEGATIVE_INFINITY;
            return isoDate(date);
        }
        if (value instanceof String text) {
            if (POSITIVE_INFINITY.equals(text) || NEGATIVE_INFINITY.equals(text)) return text;
            Matcher m = POSTGRES_DATE.matcher(text.trim());
            if (m.matches()) {
                int year = Integer.parseInt(m.group(1));
                return isoDate(LocalDate.of(m.group(4) != null ? 1 - year : year, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
            }
        }
        if (value instanceof Number days) return isoDate(LocalDate.ofEpochDay(days.longValue()));
        throw new IllegalArgumentException("date column " + column.name() + ": unexpected value " + value + " (" + value.getClass().getName() + ")");
    }

    private static String isoDate(LocalDate date) {
        return date + "Z";
    }
}
