package pgadxcdc.converters;

import java.util.AbstractList;

/**
 * An array value PostgreSQL accepts in a column declared one-dimensional that is not a plain one-dimensional
 * array: more dimensions ('{{1,2},{3,4}}') or other bounds ('[0:2]={1,2,3}'). The column's schema is an array
 * of the element type, which cannot hold it; so the converter hands this empty list, holding PostgreSQL's text
 * of the value, and the IrregularArraysToText transform writes that text in the array's place.
 */
public final class IrregularArray extends AbstractList<Object> {
    private final String text;

    public IrregularArray(String text) {
        this.text = text;
    }

    /** PostgreSQL's text of the value, bounds included where they are not the default. */
    public String text() {
        return text;
    }

    /**
     * Whether PostgreSQL's text of an array is not a plain one-dimensional array: it writes the bounds in front
     * only when one is not 1, and a sub-array as the first element only when there are more dimensions (an empty
     * array has none).
     */
    public static boolean isIrregular(String literal) {
        String text = literal.trim();
        return text.startsWith("[") || text.startsWith("{{");
    }

    @Override
    public Object get(int index) {
        throw new IndexOutOfBoundsException(index);
    }

    @Override
    public int size() {
        return 0;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IrregularArray irregular && irregular.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
