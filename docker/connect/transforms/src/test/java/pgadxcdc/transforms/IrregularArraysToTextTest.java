package pgadxcdc.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import pgadxcdc.converters.IrregularArray;

/** Flat change records as ExtractNewRecordState leaves them, through the transform. */
class IrregularArraysToTextTest {
    private static final Schema ROW = SchemaBuilder.struct().name("cdc.shop.grid.Value").optional()
            .field("id", Schema.INT32_SCHEMA)
            .field("cells", SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).optional().build())
            .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
            .build();

    private static SourceRecord record(Object cells, Object tags) {
        Struct value = new Struct(ROW).put("id", 7).put("cells", cells).put("tags", tags);
        return new SourceRecord(Map.of(), Map.of(), "cdc.shop.grid", 0, null, 7, ROW, value);
    }

    /** The record's value as the worker's JsonConverter writes it (schemas disabled): field, schema type, value. */
    private static String fields(SourceRecord record) {
        Struct value = (Struct) record.value();
        StringBuilder out = new StringBuilder();
        for (org.apache.kafka.connect.data.Field f : record.valueSchema().fields()) out.append(f.name()).append(':').append(f.schema().type()).append('=').append(value.get(f)).append(';');
        return out.toString();
    }

    @Test
    void anIrregularArrayArrivesAsPostgresTextAndTheOtherValuesAsTheyCame() {
        IrregularArraysToText<SourceRecord> transform = new IrregularArraysToText<>();
        transform.configure(Map.of());
        SourceRecord out = transform.apply(record(new IrregularArray("[0:1][1:2]={{1,2},{3,NULL}}"), List.of("a")));
        assertEquals("id:INT32=7;cells:STRING=[0:1][1:2]={{1,2},{3,NULL}};tags:ARRAY=[a];", fields(out));
        assertEquals(String.class, ((Struct) out.value()).get("cells").getClass());
        // The next record of the table with a plain array keeps the table's schema.
        SourceRecord plain = record(List.of(1, 2), new IrregularArray("{{a},{b}}"));
        assertEquals("id:INT32=7;cells:ARRAY=[1, 2];tags:STRING={{a},{b}};", fields(transform.apply(plain)));
        SourceRecord untouched = record(List.of(1), null);
        assertSame(untouched, transform.apply(untouched));
    }

    @Test
    void anArrayKeyCarriesTheTextToo() {
        Schema keySchema = SchemaBuilder.struct().name("cdc.shop.grid.Key").field("cells", SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build()).build();
        IrregularArray cells = new IrregularArray("{{1,2}}");
        Struct value = new Struct(ROW).put("id", 7).put("cells", cells);
        SourceRecord record = new SourceRecord(Map.of(), Map.of(), "cdc.shop.grid", 0, keySchema, new Struct(keySchema).put("cells", cells), ROW, value);
        IrregularArraysToText<SourceRecord> transform = new IrregularArraysToText<>();
        transform.configure(Map.of());
        SourceRecord out = transform.apply(record);
        assertEquals("{{1,2}}", ((Struct) out.key()).get("cells"));
        assertEquals(Schema.Type.STRING, out.keySchema().field("cells").schema().type());
    }
}
