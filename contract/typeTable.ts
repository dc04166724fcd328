// The one type table: PostgreSQL type → what Debezium puts in the flat JSON record (with the
// converter settings below) → Kusto column type and mapping transform. The ADX model generator,
// the e2e value-by-value checks and docs/types.md all read this table; nothing else maps types.
import { parseTableName } from "./identifiers";

/** A column as the catalog describes it (postgres/catalog.ts). */
export interface CatalogColumn {
    name: string;
    /** `format_type()` of the column, e.g. "numeric(10,2)", "character varying(20)", "integer[]". */
    declaredType: string;
    /** For a domain, its base type as format_type writes it (e.g. "integer[]" for a domain over integer[]). */
    baseDeclaredType?: string;
    /** For a domain, its own pg_type.typname: the type name Debezium gives the column (typeName is the base's). */
    domainTypeName?: string;
    /** pg_type.typname after resolving a domain to its base type, e.g. "numeric", "_int4". */
    typeName: string;
    /** pg_type.typtype/typcategory folded: a base type, an enum, or an array of `elementTypeName`. */
    kind: "base" | "enum" | "array" | "other";
    elementTypeName?: string;
    elementKind?: "base" | "enum" | "array" | "other";
    /** numeric(p,s): precision and scale from the type modifier; undefined for unconstrained numeric. */
    numericPrecision?: number;
    /**
     * An array column declared with more than one dimension (integer[][]: pg_attribute.attndims 2);
     * absent otherwise. PostgreSQL enforces no dimensions: the declaration is the user's statement of intent.
     */
    dimensions?: number;
    /**
     * An enum column's labels (or an enum array's element labels) in their sort order. A label renamed
     * (ALTER TYPE ... RENAME VALUE, or the type re-created under its name with ALTER COLUMN ... USING)
     * changes the value of every row that holds it without a change event.
     */
    enumLabels?: string[];
    /**
     * The composite types a column's values are made of (its own, an array's element, a domain's base, and their
     * attributes' in turn), each with its attributes: "addr(street text, no integer)". An attribute added or
     * dropped (ALTER TYPE ... ADD/DROP ATTRIBUTE, or ALTER TABLE of a table used as a type) changes the text of
     * every value without a change event.
     */
    compositeShape?: string;
    notNull: boolean;
}

/** A captured table as PostgreSQL's catalog describes it (postgres/catalog.ts reads it). */
export interface CatalogTable {
    /** "schema.table" as captured, in its canonical spelling (contract/identifiers.ts): what to_regclass reads. */
    qualifiedName: string;
    /**
     * The table's relation (pg_class OID): another one under the same name means the table was dropped and
     * created again, and its ADX rows belong to the table it replaced (postgres/tableFence.ts).
     */
    relationId?: string;
    /**
     * A partitioned table's leaf partitions (pg_partition_tree), identity → "schema.name": the relation OID,
     * with the newest TRUNCATE PostgreSQL did not publish ("16390@7", postgres/partitionTruncations.ts). One gone
     * since the last deployment (DETACH, DROP) or truncated since took its rows away without a change event,
     * and one attached with rows brought rows that never streamed (postgres/incrementalSnapshot.ts). Absent
     * for a plain table.
     */
    partitions?: Record<string, string>;
    columns: CatalogColumn[];
    /** Primary key columns in key order; empty when the table has none. */
    primaryKey: string[];
    /**
     * A table without a primary key: the key columns of its narrowest unique index over NOT NULL columns
     * (no expression, no predicate), which identify a row as a primary key would; absent otherwise.
     */
    uniqueKey?: string[];
    replicaIdentity: "default" | "full" | "index" | "nothing";
    /**
     * Generated columns, left out of `columns`: PostgreSQL before 18 does not publish them to logical
     * replication, so the stream would carry them as null while a snapshot reads their values. ADX has
     * no column for them (compute them in a KQL function); present only when the table has one.
     */
    generatedColumns?: string[];
}

export type KustoScalarType = "int" | "long" | "real" | "decimal" | "bool" | "string" | "guid" | "datetime" | "timespan" | "dynamic";

export interface TypeRule {
    /** Stable id, e.g. "numeric-exact"; docs and tests refer to it. */
    id: string;
    /** The PostgreSQL types this rule covers, as a reader writes them. */
    postgres: string;
    /**
     * Column types the e2e all-types table declares for this rule, each with SQL literals at the type's
     * edges (NULL is always added), and the extension that provides the type, when one does.
     */
    examples: { type: string; values: string[]; extension?: string }[];
    matches(column: CatalogColumn): boolean;
    /** What the flat Debezium record carries for it (converter settings in DEBEZIUM_TYPE_SETTINGS). */
    debeziumJson: string;
    kusto: KustoScalarType;
    /** Ingestion mapping transform, when the JSON value needs one. */
    transform?: string;
    /** How the current-state function presents the column, when not as stored (`{c}` is the column). */
    currentStateExpression?: string;
    /** What is kept when Kusto has no exact type, and how to query it. */
    note: string;
    /**
     * SQL that is true when `$1` (the value ADX holds, as text) is the source value `{c}`: the e2e asks
     * PostgreSQL itself, so "arrives exactly" means PostgreSQL reads the ADX value back as the same value.
     */
    sameValueSql: string;
    /**
     * Where the typed column cannot hold every value (it is then null or ""): SQL that is true when `$1`,
     * the value as the `record` column holds it (Debezium's JSON text), is the source value `{c}`.
     */
    recordSameValueSql?: string;
    /** The current-state function's Kusto type for the column, where its expression changes it (date → datetime). */
    currentStateKusto?: KustoScalarType;
    /** Like sameValueSql, for the value the current-state function returns, where that differs from the stored one. */
    currentSameValueSql?: string;
    /**
     * Reconcile's canonical text of the source value `{c}` ({type}: its declared type): equal to what
     * canonicalKql (kql/reconcileQueries.ts) gives for the value ADX's current state holds, so equal rows
     * give equal digests. NULL_TEXT where the typed column holds null (SQL NULL, or a value Kusto's type
     * cannot hold); "" for NULL in a Kusto string. A form that differs only costs a row-by-row check of
     * that bucket, never a wrong verdict: differing buckets are settled by sameValueSql.
     */
    canonicalSql: string;
    /**
     * Why canonicalSql can differ from ADX's text for an equal value (then such a row's bucket is settled
     * row by row by sameValueSql: slower, never a wrong verdict); absent where the two agree exactly.
     */
    canonicalApproximate?: string;
}

/** The canonical text of a null typed value, on both sides. */
export const NULL_TEXT = "null";
const orNull = (sql: string) => `COALESCE(${sql}, '${NULL_TEXT}')`;
/** A datetime as format_datetime(c, "yyyy-MM-dd HH:mm:ss.fffffff") writes it; null beyond Kusto's years 1 to 9999. */
const DATETIME_CANONICAL = (utc: string) => `CASE WHEN {c} >= '0001-01-01' AND {c} < '10000-01-01' THEN to_char(${utc}, 'YYYY-MM-DD HH24:MI:SS.US') || '0' ELSE '${NULL_TEXT}' END`;

/**
 * Debezium converter settings the table assumes; the source connector config takes them from here.
 * - decimal.handling.mode=string: numeric keeps every digit (double would round, precise needs schemas).
 * - time.precision.mode=isostring: every temporal type as an ISO 8601 string with its full microsecond
 *   precision, the form Kusto's datetime/timespan parsers read directly, at any date (adaptive's
 *   epoch numbers need a transform per type and lose sub-millisecond digits in DateTimeFromUnixMilliseconds).
 * - interval.handling.mode=string: ISO 8601 duration keeps months as months (numeric would approximate
 *   a month as 30.4375 days).
 * - binary.handling.mode=base64: bytea as base64 text.
 * - hstore.handling.mode=json: an hstore as a JSON object of its keys (both paths), dynamic in ADX.
 * - converters: pg-adx-cdc's converter (docker/connect/transforms) writes date, time and the arrays of
 *   date, time, numeric and timestamps itself: Debezium 3.7 drops a BC date's era in the snapshot, turns
 *   the infinities into dates 292 million years away (not the same ones on both paths), 24:00:00 into
 *   00:00:00, and a numeric[] holding NaN into null. It also writes every type of the "text-form" rule
 *   as PostgreSQL's text; the connector config names those types (`TEXT_FORM_TYPES_SETTING`).
 */
/**
 * What the record holds for a TOASTed value an update left unchanged and the stream did not carry (a
 * table or partition without REPLICA IDENTITY FULL: one created after the bootstrap); Debezium's
 * reselect post-processor replaces it with the row's value (connectors/debeziumSource.ts).
 */
export const UNAVAILABLE_VALUE_PLACEHOLDER = "__debezium_unavailable_value";

export const DEBEZIUM_TYPE_SETTINGS: Readonly<Record<string, string>> = {
    "decimal.handling.mode": "string",
    "hstore.handling.mode": "json",
    // The stream hands a type Debezium does not know (tsquery, pg_lsn, composite and multirange types,
    // extension types) to the converter as PostgreSQL's text only with this; without it, as null.
    "include.unknown.datatypes": "true",
    "time.precision.mode": "isostring",
    "interval.handling.mode": "string",
    "binary.handling.mode": "base64",
    // Every value read as PostgreSQL's text, as the initial snapshot's plain query and the stream read it. A precaution:
    // pgjdbc may read a statement run five times (an incremental snapshot's chunk query) in binary form, where an
    // array's text would lose its bounds; anyTable's re-read of 7,015 rows found every value equal with it on and off.
    "driver.binaryTransfer": "false",
    "unavailable.value.placeholder": UNAVAILABLE_VALUE_PLACEHOLDER,
    converters: "pgValues",
    "pgValues.type": "pgadxcdc.converters.PostgresSpecialValues",
    "pgValues.unavailable.value.placeholder": UNAVAILABLE_VALUE_PLACEHOLDER,
};

/** The type table's last rule: every type no other rule maps, carried as PostgreSQL's text. */
export const TEXT_FORM_RULE_ID = "text-form";
/** The source connector setting that names the text-form column types for pg-adx-cdc's converter. */
export const TEXT_FORM_TYPES_SETTING = "pgValues.text.types";

/** Largest precision Kusto's decimal holds exactly (34 significant digits, IEEE 754 decimal128). */
export const KUSTO_DECIMAL_MAX_PRECISION = 34;

const base =
    (...names: string[]) =>
    (c: CatalogColumn) =>
        c.kind === "base" && names.includes(c.typeName);
/** PostgreSQL reads the ADX value back as the column's own type and compares. */
const SAME = "$1::{type} = {c}";
/** Debezium's names for numeric's special values (decimal.handling.mode=string), as PostgreSQL spells them. */
const NUMERIC_FROM_DEBEZIUM = "(CASE $1 WHEN 'NAN' THEN 'NaN' WHEN 'POSITIVE_INFINITY' THEN 'Infinity' WHEN 'NEGATIVE_INFINITY' THEN '-Infinity' ELSE $1 END)";
/** Fields of an ISO 8601 proleptic date or timestamp text ("-4712-01-01Z", "+294276-12-31T23:59:59.999999Z"). */
const ISO_FIELDS = "(regexp_match($1, '^([+-]?\\d+)-(\\d{2})-(\\d{2})(?:T(\\d{2}):(\\d{2}):(\\d{2}(?:\\.\\d+)?))?'))";
/**
 * The PostgreSQL year of an ISO year (ISO 0 is 1 BC, which make_date writes as -1), kept within
 * PostgreSQL's range: the planner may evaluate make_timestamp for an infinity's year too, even where a
 * CASE or COALESCE never uses the result.
 */
const PG_YEAR = `LEAST(GREATEST(CASE WHEN ${ISO_FIELDS}[1]::int <= 0 THEN ${ISO_FIELDS}[1]::int - 1 ELSE ${ISO_FIELDS}[1]::int END, -4713), 294276)`;
/**
 * A time or timetz column as an interval since midnight, as the pipeline carries it: time as written
 * (24:00:00 stays 24:00:00), timetz in UTC as AT TIME ZONE 'UTC' gives it, except 24:00:00+00, which
 * Debezium 3.7 keeps as 24:00:00Z (where AT TIME ZONE wraps it to 00:00:00).
 */
const TIME_OF_DAY_SQL =
    "(CASE WHEN pg_typeof({c}) = 'time'::regtype THEN {c}::text::time::interval " +
    "WHEN {c}::text::timetz = '24:00:00+00'::timetz THEN interval '24:00:00' " +
    "ELSE ({c}::text::timetz AT TIME ZONE 'UTC')::time::interval END)";
/**
 * A timestamp's infinities: Debezium gives a scalar 'infinity'/'-infinity' years 292278994 and -292275055
 * (beyond any PostgreSQL timestamp, 4713 BC to 294276 AD); pg-adx-cdc's converter writes an array's as text.
 */
const TIMESTAMP_INFINITY_SQL = `CASE WHEN $1 IN ('infinity', '-infinity') THEN $1 WHEN ${ISO_FIELDS}[1]::int > 294276 THEN 'infinity' WHEN ${ISO_FIELDS}[1]::int < -4712 THEN '-infinity' END`;
const TIMESTAMP_FIELDS = `${PG_YEAR}, ${ISO_FIELDS}[2]::int, ${ISO_FIELDS}[3]::int, ${ISO_FIELDS}[4]::int, ${ISO_FIELDS}[5]::int, ${ISO_FIELDS}[6]::float8`;

/** SQL true for an array value that is no plain one-dimensional array: more dimensions, or a lower bound other than 1. */
const IRREGULAR_ARRAY_SQL = "(array_ndims({c}) > 1 OR array_lower({c}, 1) <> 1)";

export const TYPE_TABLE: readonly TypeRule[] = [
    {
        id: "smallint",
        postgres: "smallint",
        examples: [{ type: "smallint", values: ["-32768", "32767"] }],
        matches: base("int2"),
        debeziumJson: "number",
        // long, not int: widening the column in PostgreSQL (smallint → integer → bigint) then changes nothing in ADX.
        kusto: "long",
        note: "exact; long, so widening to integer or bigint needs no ADX change",
        canonicalSql: orNull("{c}::text"),
        sameValueSql: SAME,
    },
    {
        id: "integer",
        postgres: "integer, serial",
        examples: [
            { type: "integer", values: ["-2147483648", "2147483647"] },
            { type: "serial", values: ["1", "2147483647"] },
        ],
        matches: base("int4"),
        debeziumJson: "number",
        kusto: "long",
        note: "exact; long, so widening to bigint needs no ADX change",
        canonicalSql: orNull("{c}::text"),
        sameValueSql: SAME,
    },
    {
        id: "bigint",
        postgres: "bigint, bigserial",
        examples: [
            { type: "bigint", values: ["-9223372036854775808", "9223372036854775807"] },
            { type: "bigserial", values: ["1", "9223372036854775807"] },
        ],
        matches: base("int8"),
        debeziumJson: "number (all 64 bits)",
        kusto: "long",
        note: "exact",
        canonicalSql: orNull("{c}::text"),
        sameValueSql: SAME,
    },
    {
        id: "numeric-exact",
        postgres: `numeric(p,s) with p ≤ ${KUSTO_DECIMAL_MAX_PRECISION}`,
        examples: [
            { type: "numeric(30,8)", values: ["-1234567890123456789012.12345678", "0.00000001", "0", "'NaN'"] },
            // A negative scale rounds to hundreds (PostgreSQL 15+); a scale above the precision holds only fractions.
            { type: "numeric(5,-2)", values: ["1234500", "-100"] },
            { type: "numeric(3,5)", values: ["0.00123", "-0.00999"] },
        ],
        matches: (c) => base("numeric")(c) && c.numericPrecision !== undefined && c.numericPrecision <= KUSTO_DECIMAL_MAX_PRECISION,
        debeziumJson: 'string, every digit, e.g. "12.50"; NaN as "NAN"',
        kusto: "decimal",
        note: 'exact; NaN (which numeric(p,s) also accepts) is not a Kusto decimal: null in the typed column, "NAN" in `record`',
        canonicalSql: orNull("CASE WHEN {c}::text IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE {c}::text END"),
        sameValueSql: SAME,
        recordSameValueSql: `${NUMERIC_FROM_DEBEZIUM}::numeric = {c}::numeric`,
    },
    {
        id: "numeric-text",
        postgres: `numeric without precision, or p > ${KUSTO_DECIMAL_MAX_PRECISION}`,
        examples: [
            {
                type: "numeric",
                values: ["12345678901234567890123456789012345678901.5", "-0.000000000000000000000000000000000000001", "'NaN'", "'Infinity'", "'-Infinity'"],
            },
        ],
        matches: (c) => base("numeric")(c) && (c.numericPrecision === undefined || c.numericPrecision > KUSTO_DECIMAL_MAX_PRECISION),
        debeziumJson: 'string, every digit; NaN, Infinity, -Infinity as "NAN", "POSITIVE_INFINITY", "NEGATIVE_INFINITY"',
        kusto: "string",
        note: "the exact digits as text (Kusto's decimal holds 34), the special values by Debezium's names; todecimal(c) in a query where 34 digits suffice",
        canonicalSql: "COALESCE(CASE {c}::text WHEN 'NaN' THEN 'NAN' WHEN 'Infinity' THEN 'POSITIVE_INFINITY' WHEN '-Infinity' THEN 'NEGATIVE_INFINITY' ELSE {c}::text END, '')",
        sameValueSql: `${NUMERIC_FROM_DEBEZIUM}::numeric = {c}`,
    },
    {
        id: "real",
        postgres: "real",
        examples: [{ type: "real", values: ["0.1", "-3.4e38", "1e-37", "'NaN'", "'Infinity'", "'-Infinity'"] }],
        matches: base("float4"),
        debeziumJson: 'number; NaN, Infinity, -Infinity as the strings "NaN", "Infinity", "-Infinity"',
        kusto: "real",
        note: "the same float, widened to 64 bits; NaN and ±Infinity are Kusto reals too",
        canonicalSql: orNull("CASE WHEN {c}::text IN ('NaN', 'Infinity', '-Infinity') THEN {c}::text ELSE upper({c}::text) END"),
        sameValueSql: SAME,
    },
    {
        id: "double",
        postgres: "double precision",
        examples: [{ type: "double precision", values: ["0.1", "1.7976931348623157e308", "-5e-324", "'NaN'", "'Infinity'", "'-Infinity'"] }],
        matches: base("float8"),
        debeziumJson: 'number; NaN, Infinity, -Infinity as the strings "NaN", "Infinity", "-Infinity"',
        kusto: "real",
        note: "exact; NaN and ±Infinity are Kusto reals too",
        canonicalSql: orNull("CASE WHEN {c}::text IN ('NaN', 'Infinity', '-Infinity') THEN {c}::text ELSE upper({c}::text) END"),
        sameValueSql: SAME,
    },
    {
        id: "money",
        postgres: "money",
        examples: [{ type: "money", values: ["-92233720368547758.08", "1234.56"] }],
        matches: base("money"),
        debeziumJson: 'string, e.g. "1234.56"',
        kusto: "decimal",
        note: "exact amount; the currency symbol (lc_monetary) is not part of the value",
        canonicalSql: orNull("{c}::numeric::text"),
        sameValueSql: "$1::numeric = {c}::numeric",
    },
    {
        id: "boolean",
        postgres: "boolean",
        examples: [{ type: "boolean", values: ["true", "false"] }],
        matches: base("bool"),
        debeziumJson: "true/false",
        kusto: "bool",
        note: "exact",
        canonicalSql: orNull("{c}::text"),
        sameValueSql: SAME,
    },
    {
        id: "text",
        postgres: "text, varchar(n), char(n)",
        examples: [
            { type: "text", values: ["''", "'héllo wörld 🌍 ''single'' \"double\" \\ back'", "E'line\\nbreak\\ttab'"] },
            { type: "varchar(20)", values: ["'日本語のテキスト'", "'12345678901234567890'"] },
            { type: "char(5)", values: ["'ab'", "'abcde'"] },
        ],
        matches: base("text", "varchar", "bpchar", "name"),
        debeziumJson: "string (char(n) keeps its padding)",
        kusto: "string",
        note: "exact",
        canonicalSql: "concat({c})",
        sameValueSql: SAME,
    },
    {
        id: "uuid",
        postgres: "uuid",
        examples: [{ type: "uuid", values: ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'"] }],
        matches: base("uuid"),
        debeziumJson: "string",
        kusto: "guid",
        note: "exact",
        canonicalSql: orNull("{c}::text"),
        sameValueSql: SAME,
    },
    {
        id: "date",
        postgres: "date",
        examples: [{ type: "date", values: ["'0001-01-01'", "'1900-02-28'", "'2199-12-31'", "'infinity'", "'-infinity'", "'4713-01-01 BC'", "'294276-12-31'"] }],
        matches: base("date"),
        debeziumJson: 'string "YYYY-MM-DDZ", ISO 8601 proleptic ("-4712-01-01Z" is 4713 BC, "+294276-12-31Z"); "infinity", "-infinity" (pg-adx-cdc\'s converter, both paths)',
        kusto: "string",
        currentStateExpression: "todatetime(substring({c}, 0, 10))",
        note:
            "exact text in the change table; a datetime (midnight UTC) in the current state, null where Kusto's datetime (years 1 to 9999) cannot hold it (BC, infinity), the text staying in `record`. " +
            "Known limit: 1582-10-05 to 1582-10-14 (days the Gregorian reform skipped, valid in PostgreSQL's proleptic calendar) arrive 10 days later through a snapshot, whose JDBC date cannot tell them from 1582-10-15 to 10-24 (in a date[] they arrive exactly: the converter reads arrays from PostgreSQL's text); the stream carries them exactly and `reconcile` reports them",
        canonicalSql: `CASE WHEN {c} >= '0001-01-01' AND {c} < '10000-01-01' THEN to_char({c}, 'YYYY-MM-DD') || ' 00:00:00.0000000' ELSE '${NULL_TEXT}' END`,
        currentStateKusto: "datetime",
        sameValueSql: `(CASE WHEN $1 IN ('infinity', '-infinity') THEN $1::date ELSE make_date(${PG_YEAR}, ${ISO_FIELDS}[2]::int, ${ISO_FIELDS}[3]::int) END) = {c}`,
    },
    {
        id: "time",
        postgres: "time, time with time zone",
        examples: [
            { type: "time", values: ["'00:00:00'", "'23:59:59.999999'", "'24:00:00'"] },
            { type: "timetz", values: ["'12:34:56.789+05:30'", "'00:00:00Z'", "'24:00:00+00'", "'24:00:00+05'", "'23:00:00-01'"] },
        ],
        matches: base("time", "timetz"),
        debeziumJson:
            "string \"HH:MM:SS.ffffffZ\" (timetz converted to UTC as PostgreSQL's AT TIME ZONE 'UTC' does, except that 24:00:00+00 stays 24:00:00Z; time keeps 24:00:00 through pg-adx-cdc's converter)",
        kusto: "string",
        currentStateExpression: 'totimespan(trim_end("Z", {c}))',
        note: "Kusto has no time-of-day type: text in the change table, a timespan since midnight (UTC for timetz) in the current state",
        // As Kusto prints the timespan: 24:00:00 is one day ("1.00:00:00"), the fraction only when not zero.
        canonicalSql: orNull(
            `CASE WHEN ${TIME_OF_DAY_SQL} = interval '24:00:00' THEN '1.00:00:00' ELSE to_char(${TIME_OF_DAY_SQL}, 'HH24:MI:SS') || ` +
                `CASE WHEN extract(microsecond from {c}::timetz)::bigint % 1000000 = 0 THEN '' ELSE '.' || lpad((extract(microsecond from {c}::timetz)::bigint % 1000000 * 10)::text, 7, '0') END END`,
        ),
        currentStateKusto: "timespan",
        // $1 is Debezium's text ("24:00:00Z", "19:00:00.5Z") or the current state's timespan ("1.00:00:00", "19:00:00.5000000").
        sameValueSql: `(CASE WHEN $1 ~ '^1\\.00:00:00(\\.0*)?$' THEN interval '24:00:00' ELSE rtrim($1, 'Z')::interval END) = ${TIME_OF_DAY_SQL}`,
    },
    {
        id: "timestamp",
        postgres: "timestamp",
        examples: [
            {
                type: "timestamp",
                values: ["'1899-12-31 23:59:59.123456'", "'2150-06-01 12:00:00'", "'infinity'", "'-infinity'", "'4713-01-01 00:00:00 BC'", "'294276-12-31 23:59:59.999999'"],
            },
        ],
        matches: base("timestamp"),
        debeziumJson: 'ISO 8601 proleptic string, "…Z" ("-4712-01-01T00:00:00Z" is 4713 BC); infinity and -infinity as years 292278994 and -292275055',
        kusto: "datetime",
        note: "exact, read as UTC (PostgreSQL stores no zone); null where Kusto's datetime (years 1 to 9999) cannot hold it (BC, infinity), the text staying in `record`",
        canonicalSql: DATETIME_CANONICAL("{c}"),
        sameValueSql: SAME,
        recordSameValueSql: `COALESCE(${TIMESTAMP_INFINITY_SQL}::timestamp, make_timestamp(${TIMESTAMP_FIELDS})) = {c}`,
    },
    {
        id: "timestamptz",
        postgres: "timestamp with time zone",
        examples: [
            {
                type: "timestamptz",
                values: [
                    "'1969-12-31 23:59:59.999999+00'",
                    "'2150-06-01 12:00:00.5+02'",
                    "'infinity'",
                    "'-infinity'",
                    "'4713-01-01 00:00:00+00 BC'",
                    "'294276-12-31 23:59:59.999999+00'",
                ],
            },
        ],
        matches: base("timestamptz"),
        debeziumJson: 'ISO 8601 proleptic string in UTC, "…Z"; "infinity", "-infinity"',
        kusto: "datetime",
        note: "exact, UTC; null where Kusto's datetime (years 1 to 9999) cannot hold it (BC, infinity), the text staying in `record`",
        canonicalSql: DATETIME_CANONICAL("{c} AT TIME ZONE 'UTC'"),
        sameValueSql: SAME,
        recordSameValueSql: `(CASE WHEN $1 IN ('infinity', '-infinity') THEN $1::timestamptz ELSE make_timestamptz(${TIMESTAMP_FIELDS}, 'UTC') END) = {c}`,
    },
    {
        id: "interval",
        postgres: "interval",
        examples: [{ type: "interval", values: ["'1 year 2 months 3 days 04:05:06.789'", "'-00:00:01'", "'0'"] }],
        matches: base("interval"),
        debeziumJson: 'ISO 8601 duration string, e.g. "P1Y2M3DT4H5M6.789S"',
        kusto: "string",
        note: "Kusto's timespan has no months: the ISO 8601 duration as text, months kept",
        canonicalSql:
            "CASE WHEN {c} IS NULL THEN '' ELSE format('P%sY%sM%sDT%sH%sM%sS', extract(year from {c}), extract(month from {c}), extract(day from {c}), extract(hour from {c}), extract(minute from {c}), trim_scale(extract(second from {c}))) END",
        sameValueSql: SAME,
    },
    {
        id: "json",
        postgres: "json, jsonb",
        examples: [
            { type: "json", values: [`'{"b": 1,  "a": [1, 2.5, null]}'`] },
            { type: "jsonb", values: [`'{"b": 1, "a": [1, 2.5, null], "s": "ü"}'`, "'\"just a string\"'", "'null'"] },
        ],
        matches: base("json", "jsonb"),
        debeziumJson: "string holding PostgreSQL's JSON text",
        kusto: "string",
        currentStateExpression: "parse_json({c})",
        note: "the exact JSON text in the change table; dynamic in the current state",
        // As Kusto's tostring() of the dynamic: compact (white space outside the JSON's strings removed), and a
        // JSON string as its bare text.
        canonicalSql: orNull(
            `CASE WHEN jsonb_typeof({c}::jsonb) = 'string' THEN {c}::jsonb #>> '{}' ELSE (SELECT string_agg(COALESCE(m.part[1], regexp_replace(m.part[2], '\\s', '', 'g')), '' ORDER BY m.i) FROM regexp_matches({c}::text, '("(?:[^"\\\\]|\\\\.)*")|([^"]+)', 'g') WITH ORDINALITY AS m(part, i)) END`,
        ),
        currentStateKusto: "dynamic",
        // ADX's parse_json of SQL NULL's "" is "" (or null), never JSON.
        currentSameValueSql: "CASE WHEN $1 = '' THEN {c} IS NULL ELSE $1::jsonb = {c}::jsonb END",
        sameValueSql: "$1 = {c}::text",
    },
    {
        id: "bytea",
        postgres: "bytea",
        examples: [{ type: "bytea", values: ["'\\x00ff10'", "''"] }],
        matches: base("bytea"),
        debeziumJson: "base64 string",
        kusto: "string",
        note: "base64 text; base64_decode_toarray(c) gives the bytes",
        canonicalSql: "COALESCE(replace(encode({c}, 'base64'), E'\\n', ''), '')",
        sameValueSql: "decode($1, 'base64') = {c}",
    },
    {
        id: "array",
        postgres: "arrays of the types above declared with one dimension (e.g. integer[], text[]); integer[][] is text-form",
        examples: [
            // PostgreSQL accepts more dimensions, and other bounds, in a column declared one-dimensional.
            { type: "integer[]", values: ["'{1,NULL,-3}'", "'{}'", "'{{1,2},{3,NULL}}'", "'[0:2]={7,8,9}'"] },
            { type: "text[]", values: [`'{"a","b c",NULL}'`, `'[-1:0][1:2]={{"a}",b},{NULL,"d e"}}'`] },
            // Arrays Debezium 3.7 drops whole (null): the converter writes each element as PostgreSQL's text.
            { type: "{enum}[]", values: ["'{sad,happy,NULL}'", "'{}'"] },
            { type: "interval[]", values: [`'{"1 year 2 mons",-00:00:01,NULL}'`] },
            { type: "boolean[]", values: ["'{t,f,NULL}'", "'{{t},{f}}'"] },
            { type: "bigint[]", values: ["'{-9223372036854775808,9223372036854775807,NULL}'"] },
            { type: "double precision[]", values: ["'{NaN,Infinity,-Infinity,-0,5e-324,0.1}'"] },
            { type: "real[]", values: ["'{NaN,-Infinity,1e-45,3.4e38}'"] },
            { type: "uuid[]", values: ["'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'", "'[5:5]={a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'"] },
            { type: "jsonb[]", values: [`ARRAY['{"a": [1, {"b": null}]}'::jsonb, 'null', NULL, '"s"']`] },
            { type: "bytea[]", values: ["ARRAY['\\x00ff'::bytea, NULL, '']", "ARRAY[['\\x00'::bytea], [NULL]]"] },
            { type: "inet[]", values: ["'{192.168.0.1/24,::1,10.0.0.1}'"] },
            { type: "timetz[]", values: ["'{12:34:56.789+05:30,24:00:00+00,24:00:00+05,NULL}'", "'{{23:00:00-01},{00:00:00.5+00}}'"] },
        ],
        matches: (c) =>
            c.kind === "array" &&
            !isMultiDimensionalArray(c) &&
            !!c.elementTypeName &&
            c.elementKind !== "array" &&
            TYPE_TABLE.some((r) => !NOT_ARRAY_ELEMENT_RULES.has(r.id) && r.matches(arrayElementColumn(c))),
        debeziumJson:
            'JSON array of the element\'s form (date, time, numeric, timestamp and timestamptz elements written by pg-adx-cdc\'s converter, which keeps BC, the infinities, NaN and 24:00:00; enum and interval elements, which Debezium 3.7 drops, as PostgreSQL\'s text: "sad", "1 year 2 mons")',
        kusto: "dynamic",
        note: "a dynamic array; mv-expand or c[0] in a query. PostgreSQL accepts in a column declared one-dimensional a value with more dimensions ('{{1,2},{3,4}}' in integer[]) or with other bounds ('[0:2]={7,8,9}'): such a value arrives as a JSON string in the dynamic column, PostgreSQL's text of it, exact (gettype(c) == \"string\"; pg-adx-cdc's converter and transform, where Debezium 3.7 writes null elements or drops the bounds). A column declared with more dimensions (integer[][]) is text-form: PostgreSQL's array text.",
        // Element by element, each read back by its own rule's SQL ({element}, with $1 the element's text and {c} the element);
        // a value with more dimensions or other bounds as PostgreSQL's text, which Kusto's tostring() gives bare and this
        // session reads back as the column's type and writes again (its DateStyle, TimeZone, ... on both sides).
        canonicalSql: orNull(`CASE WHEN ${IRREGULAR_ARRAY_SQL} THEN {c}::text ELSE array_to_json({c})::text END`),
        sameValueSql:
            `CASE WHEN jsonb_typeof($1::jsonb) = 'string' THEN COALESCE(${IRREGULAR_ARRAY_SQL}, false) AND (($1::jsonb #>> '{}')::{type})::text = {c}::text ` +
            "ELSE NOT COALESCE(" +
            IRREGULAR_ARRAY_SQL +
            ", false) AND jsonb_array_length($1::jsonb) = cardinality({c}) AND COALESCE((SELECT bool_and(CASE WHEN a.v IS NULL THEN e.v IS NULL ELSE COALESCE({element}, false) END) " +
            "FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY a(v, i) JOIN unnest({c}) WITH ORDINALITY e(v, i) ON a.i = e.i), true) END",
    },
    {
        id: "enum",
        postgres: "enum types",
        examples: [{ type: "{enum}", values: ["'sad'", "'happy'"] }],
        matches: (c) => c.kind === "enum",
        debeziumJson: "string (the label)",
        kusto: "string",
        note: "the label",
        canonicalSql: "concat({c})",
        sameValueSql: "$1 = {c}::text",
    },
    {
        id: "network",
        postgres: "inet, cidr, macaddr",
        examples: [
            { type: "inet", values: ["'192.168.0.1/24'", "'2001:db8::1'"] },
            { type: "cidr", values: ["'10.0.0.0/8'"] },
            { type: "macaddr", values: ["'08:00:2b:01:02:03'"] },
        ],
        matches: base("inet", "cidr", "macaddr"),
        debeziumJson: "string",
        kusto: "string",
        note: "Debezium's text form (a host address without its /32 or /128); parse_ipv4/parse_ipv6 in a query",
        canonicalSql: "concat({c})",
        sameValueSql: SAME,
    },
    {
        id: "hstore",
        postgres: "hstore (extension)",
        examples: [{ type: "hstore", values: [`'"a"=>"1", "b"=>NULL, "with space"=>"quote\\" and \\\\ back"'`, "''"], extension: "hstore" }],
        matches: base("hstore"),
        debeziumJson: 'string holding a JSON object of the keys, e.g. {"a":"1","b":null} (hstore.handling.mode=json, both paths)',
        kusto: "string",
        currentStateExpression: "parse_json({c})",
        note: "the keys as JSON text in the change table; a dynamic property bag in the current state",
        canonicalSql: orNull("hstore_to_json({c})::text"),
        canonicalApproximate: "Debezium writes the keys in a hash map's order, PostgreSQL by length",
        currentStateKusto: "dynamic",
        currentSameValueSql: "CASE WHEN $1 = '' THEN {c} IS NULL ELSE $1::jsonb = hstore_to_jsonb({c}) END",
        sameValueSql: "$1::jsonb = hstore_to_jsonb({c})",
    },
    {
        id: TEXT_FORM_RULE_ID,
        postgres:
            "every other type: tsvector, tsquery, xml, bit, varbit, ranges and multiranges, point, line, lseg, box, path, polygon, circle, macaddr8, pg_lsn, oid, jsonpath, extension types (citext, ltree, ...), composite types, arrays of these, money[] (its text writes each amount in lc_monetary's format), and arrays declared with more than one dimension (integer[][])",
        examples: [
            { type: "tsvector", values: ["'a fat cat sat on a mat'", "''"] },
            { type: "tsquery", values: ["'fat & (rat | !cat)'"] },
            { type: "xml", values: [`'<order id="1">a &amp; b</order>'`, "'just text'"] },
            { type: "bit(3)", values: ["B'101'"] },
            { type: "varbit", values: ["B'1101'", "B''"] },
            { type: "int4range", values: ["'[1,10)'", "'empty'", "'(,5]'"] },
            { type: "tstzrange", values: ["'[2024-01-01 00:00:00+02,infinity)'"] },
            { type: "int8multirange", values: ["'{[1,3),[5,7)}'", "'{}'"] },
            { type: "point", values: ["'(1.5,-2)'", "'(1e300,0)'"] },
            { type: "polygon", values: ["'((0,0),(1,1),(1,0))'"] },
            { type: "circle", values: ["'<(0,0),2.5>'"] },
            { type: "path", values: ["'[(0,0),(1,1)]'"] },
            { type: "macaddr8", values: ["'08:00:2b:01:02:03:04:05'"] },
            { type: "pg_lsn", values: ["'16/B374D848'"] },
            { type: "oid", values: ["4294967295"] },
            { type: "citext", values: ["'MiXeD Case'"], extension: "citext" },
            { type: "ltree", values: ["'Top.Science.Astronomy'"], extension: "ltree" },
            { type: "{composite}", values: ["ROW('Main St, \"1\"', 12345)", "ROW(NULL, NULL)"] },
            { type: "point[]", values: ["ARRAY['(1,2)'::point, NULL]"] },
            { type: "money[]", values: ["'{1.50,-2,NULL}'"] },
            { type: "integer[][]", values: ["'{{1,2},{3,NULL}}'", "'{7,8}'", "'{}'"] },
            { type: "date[][]", values: [`'{{infinity,"4713-01-01 BC"},{2024-02-29,NULL}}'`] },
        ],
        matches: (c) => !TYPE_TABLE.some((r) => r.id !== TEXT_FORM_RULE_ID && r.matches(c)),
        debeziumJson: "string: PostgreSQL's text output of the value (pg-adx-cdc's converter, both paths)",
        kusto: "string",
        note: "PostgreSQL's text of the value (its input form: `c::<type>` reads it back); geometric types with Java's digits (1.5,-2.0)",
        canonicalSql: "concat({c})",
        canonicalApproximate:
            "geometric types carry Java's digits ((1.5,-2.0) for (1.5,-2)), and a tstzrange or a composite with a timestamptz the offsets of the session that read it",
        sameValueSql: "$1::{type}::text = {c}::text",
    },
];

/**
 * Rules an array rule's element may not take: the array rule itself, hstore (Debezium writes no hstore[])
 * and the text form (an array of such types is text-form as a whole: PostgreSQL's array text).
 */
/**
 * Element rules an array column is not carried by as a JSON array: those of the array itself, hstore and
 * text-form, and money (an array's text writes each amount in lc_monetary's currency format, which no
 * element rule reads back; money[] is text-form, exact).
 */
const NOT_ARRAY_ELEMENT_RULES = new Set(["array", "hstore", "money", TEXT_FORM_RULE_ID]);

/**
 * Element rules whose arrays the converter writes as JSON arrays of each element's PostgreSQL text: those Debezium
 * 3.7 drops whole (null: enum, interval), and text (the same strings Debezium writes; the converter sees each value's
 * text, so one with more dimensions or other bounds arrives as that text where Debezium writes Java object names).
 */
const ELEMENT_TEXT_ARRAY_RULES = new Set(["enum", "interval", "text"]);

/** The source connector setting that names those array types (ELEMENT_TEXT_ARRAY_RULES) for pg-adx-cdc's converter. */
export const ELEMENT_TEXT_ARRAY_TYPES_SETTING = "pgValues.element.text.array.types";

/** ELEMENT_TEXT_ARRAY_TYPES_SETTING's entries: the captured one-dimensional array columns' types (pg_type.typname) whose element rule is one of ELEMENT_TEXT_ARRAY_RULES. */
export function elementTextArrayTypeNames(tables: readonly CatalogTable[]): string[] {
    const names = new Set<string>();
    for (const table of tables)
        for (const column of table.columns)
            if (typeRuleFor(table.qualifiedName, column).id === "array" && ELEMENT_TEXT_ARRAY_RULES.has(typeRuleFor(table.qualifiedName, arrayElementColumn(column)).id))
                names.add(column.typeName);
    return [...names].sort();
}

/**
 * Element rules whose arrays Debezium 3.7 converts itself, and the form it writes each element in (the converter's
 * element forms): the converter writes these arrays as Debezium does, so that it sees each value's text and writes
 * one with more dimensions or other bounds as that text.
 */
const TYPED_ARRAY_ELEMENT_FORMS: Readonly<Record<string, string>> = {
    smallint: "int16",
    integer: "int32",
    bigint: "int64",
    real: "float32",
    double: "float64",
    boolean: "boolean",
    uuid: "string",
    json: "string",
    network: "string",
    // binary.handling.mode=base64
    bytea: "base64",
    // timetz (Debezium's ZonedTime; time[] is the converter's own, 24:00:00 kept)
    time: "timetz",
};

/** The source connector setting that names those array types for pg-adx-cdc's converter, "type:form". */
export const TYPED_ARRAY_TYPES_SETTING = "pgValues.typed.array.types";

/** TYPED_ARRAY_TYPES_SETTING's entries: the captured one-dimensional array columns' types (pg_type.typname) whose element rule Debezium converts, with the element's form. */
export function typedArrayTypes(tables: readonly CatalogTable[]): string[] {
    const entries = new Set<string>();
    for (const table of tables)
        for (const column of table.columns) {
            if (typeRuleFor(table.qualifiedName, column).id !== "array") continue;
            const element = arrayElementColumn(column);
            const form = TYPED_ARRAY_ELEMENT_FORMS[typeRuleFor(table.qualifiedName, element).id];
            if (form && (form !== "timetz" || element.typeName === "timetz")) entries.add(`${column.typeName}:${form}`);
        }
    return [...entries].sort();
}

/** An array column declared with more than one dimension: text-form by its declaration, not by its type. */
function isMultiDimensionalArray(column: CatalogColumn): boolean {
    return column.kind === "array" && (column.dimensions ?? 0) > 1;
}

/**
 * The column types the converter writes as PostgreSQL's text (the text-form rule), as Debezium names
 * them (pg_type.typname); the source connector config lists them in TEXT_FORM_TYPES_SETTING. An array
 * declared with more dimensions is named by column instead (textFormColumns): its type's other columns
 * stay JSON arrays.
 */
export function textFormTypeNames(tables: readonly CatalogTable[]): string[] {
    const names = new Set<string>();
    for (const table of tables)
        for (const column of table.columns) if (typeRuleFor(table.qualifiedName, column).id === TEXT_FORM_RULE_ID && !isMultiDimensionalArray(column)) names.add(column.typeName);
    return [...names].sort();
}

/** The source connector setting that maps the captured columns' domains to their base types, for pg-adx-cdc's converter. */
export const DOMAIN_TYPES_SETTING = "pgValues.domain.types";

/**
 * DOMAIN_TYPES_SETTING's entries, "domain:base" (pg_type.typname of each): Debezium names a domain
 * column's type by the domain, so without them the converter would leave a domain over date, time,
 * numeric[] or a text-form type to Debezium's own conversion, which loses what the converter keeps.
 * Two domains of one name over different types (in two schemas) cannot be told apart there: refused.
 */
export function domainBaseTypes(tables: readonly CatalogTable[]): string[] {
    const bases = new Map<string, { base: string; where: string }>();
    for (const table of tables)
        for (const column of table.columns) {
            if (!column.domainTypeName) continue;
            const where = `${table.qualifiedName}.${column.name} (${column.declaredType})`;
            const seen = bases.get(column.domainTypeName);
            if (seen && seen.base !== column.typeName)
                throw new Error(
                    `domains named ${column.domainTypeName} over different types, ${seen.base} at ${seen.where} and ${column.typeName} at ${where}: ` +
                        `Debezium names a domain column's type without its schema, so their values could not be converted apart; rename one domain (ALTER DOMAIN ... RENAME TO ...), or leave one table out of pg-adx-cdc:capture.tables`,
                );
            bases.set(column.domainTypeName, { base: column.typeName, where });
        }
    return [...bases].map(([domain, { base }]) => `${domain}:${base}`).sort();
}

/** The source connector setting that names single text-form columns (TEXT_FORM_COLUMNS_SETTING entries). */
export const TEXT_FORM_COLUMNS_SETTING = "pgValues.text.columns";

/**
 * The columns the converter writes as PostgreSQL's text one by one (multi-dimensional arrays), for
 * TEXT_FORM_COLUMNS_SETTING: schema/table/column, each part percent-encoded (encodeURIComponent, which
 * the converter's URLDecoder reads), comma-separated.
 */
export function textFormColumns(tables: readonly CatalogTable[]): string[] {
    const entries: string[] = [];
    for (const table of tables) {
        const { schema, table: name } = parseTableName(table.qualifiedName);
        for (const column of table.columns)
            if (typeRuleFor(table.qualifiedName, column).id === TEXT_FORM_RULE_ID && isMultiDimensionalArray(column))
                entries.push([schema, name, column.name].map(encodeURIComponent).join("/"));
    }
    return entries.sort();
}

/** For an array column: its element as a column of its own (the element's rule reads each element back). */
export function arrayElementColumn(column: CatalogColumn): CatalogColumn {
    return {
        ...column,
        kind: column.elementKind ?? "base",
        typeName: column.elementTypeName!,
        declaredType: (column.baseDeclaredType ?? column.declaredType).replace(/\[\]$/, ""),
        baseDeclaredType: undefined,
        domainTypeName: undefined,
        numericPrecision: undefined,
    };
}

/** The rule for a column, or an error that names the column, its type and what to do. */
/**
 * A type rule's SQL template with its placeholders filled: `$1` the value read back, `{type}` the
 * column's declared type, `{c}` the column, and `{element}` (an array rule) the element's SQL. In one
 * pass, as literal text: neither the filled values nor the SQL ever act as replacement patterns
 * (`$'` in a regular expression of a rule's SQL would otherwise splice in the rest of the string).
 */
export function fillTypeSql(template: string, values: { value?: string; type: string; column: string; element?: string }): string {
    return template.replace(/\$1|\{type\}|\{c\}|\{element\}/g, (placeholder) => {
        if (placeholder === "$1") return values.value ?? placeholder;
        if (placeholder === "{type}") return values.type;
        if (placeholder === "{c}") return values.column;
        return values.element ?? placeholder;
    });
}

/**
 * SQL that is true when `value` (a SQL expression: ADX's value as text) is the column's value, by one
 * of a rule's read-back templates; `column` is the SQL that names the source column. An array's
 * template takes its element's rule for each element, and an element is Debezium's text as the
 * record holds it, not a typed Kusto value.
 */
export function readBackSql(template: string, value: string, column: { catalog: CatalogColumn; sql: string }, table: string): string {
    const filled = { value, type: column.catalog.declaredType, column: column.sql };
    if (!template.includes("{element}")) return fillTypeSql(template, filled);
    const element = arrayElementColumn(column.catalog);
    const rule = typeRuleFor(table, element);
    return fillTypeSql(template, { ...filled, element: readBackSql(rule.recordSameValueSql ?? rule.sameValueSql, "a.v", { catalog: element, sql: "e.v" }, table) });
}

export function typeRuleFor(table: string, column: CatalogColumn): TypeRule {
    const rule = TYPE_TABLE.find((r) => r.matches(column));
    if (!rule) {
        throw new Error(
            `column ${JSON.stringify(column.name)} of ${table} has type ${column.declaredType}, which has no mapping to ADX ` +
                `(supported: ${TYPE_TABLE.map((r) => r.postgres).join("; ")}). ` +
                `Change the column's type, or leave ${table} out of pg-adx-cdc:capture.tables (docs/types.md lists every mapping)`,
        );
    }
    return rule;
}
