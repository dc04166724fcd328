// PostgreSQL names as PostgreSQL reads them. A captured table is named in config the way a user writes
// it in SQL: unquoted parts fold to lower case (Retail.Orders is retail.orders), "quoted" parts keep
// their case, spaces, dots and any other character ("" is a quote), as Npgsql/EF Core's "Orders" needs.
// Everything the stack derives from a table starts from its canonical form: each part quoted exactly
// when PostgreSQL's quote_ident would quote it, so plain lower-case names stay as they are.

/** Names the stack writes into SQL unquoted (roles, publications, databases, its own tables): lower-case, at most 63 bytes. */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function isPgIdentifier(name: string): boolean {
    return PG_IDENTIFIER.test(name);
}

/** PostgreSQL 15's keywords that are not unreserved (`pg_get_keywords()` where catcode <> 'U'): quote_ident quotes them. */
const QUOTED_KEYWORDS = new Set(
    (
        "all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case cast char character check coalesce collate " +
        "collation column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp current_user " +
        "dec decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full grant greatest group grouping " +
        "having ilike in initially inner inout int integer intersect interval into is isnull join lateral leading least left like limit localtime localtimestamp " +
        "national natural nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay placing position precision primary " +
        "real references returning right row select session_user setof similar smallint some substring symmetric table tablesample then time timestamp to trailing " +
        "treat trim true union unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest " +
        "xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable"
    ).split(" "),
);

/** PostgreSQL's identifier length limit, in bytes (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/** An identifier as SQL text: bare when PostgreSQL would read it back unchanged, else double-quoted. */
export function quoteIdent(name: string): string {
    return /^[a-z_][a-z0-9_$]*$/.test(name) && !QUOTED_KEYWORDS.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A table by its exact schema and table names (as pg_class holds them). */
export interface TableName {
    schema: string;
    table: string;
}

/**
 * Reads "schema.table" with PostgreSQL's rules; throws an error that says what is wrong and how to
 * write the name. A schema is required: the stack never depends on a search_path.
 */
export function parseTableName(text: string): TableName {
    const parts: string[] = [];
    let i = 0;
    const fail = (why: string): never => {
        throw new Error(
            `"${text}" is not a table name PostgreSQL would read: ${why}. Write it as in SQL: schema.table (unquoted parts are folded to lower case), or "Schema"."Table Name" for upper case, spaces or other characters`,
        );
    };
    while (true) {
        let part = "";
        if (text[i] === '"') {
            i++;
            for (;;) {
                if (i >= text.length) fail("a quoted part is not closed");
                if (text[i] === '"') {
                    if (text[i + 1] === '"') {
                        part += '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                part += text[i++];
            }
            if (part === "") fail('"" is not a name');
        } else {
            const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i));
            if (!m) fail(i >= text.length ? "a part is missing" : `unexpected ${JSON.stringify(text[i])} at position ${i + 1}`);
            part = m![0].toLowerCase();
            i += m![0].length;
        }
        if (Buffer.byteLength(part, "utf8") > MAX_IDENTIFIER_BYTES) fail(`"${part}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES} bytes`);
        parts.push(part);
        if (i >= text.length) break;
        if (text[i] !== ".") fail(`unexpected ${JSON.stringify(text[i])} at position ${i + 1}`);
        i++;
    }
    if (parts.length !== 2) fail(parts.length === 1 ? "the schema is missing (public.orders, not orders)" : "a name has at most two parts, schema.table");
    return { schema: parts[0], table: parts[1] };
}

/** schema.table as SQL text: each part quoted when it must be. */
export function formatTableName(name: TableName): string {
    return `${quoteIdent(name.schema)}.${quoteIdent(name.table)}`;
}

/** The one spelling of a table the stack uses everywhere (config keys, SQL, resource names): `Retail.Orders` and `retail.orders` are one table. */
export function canonicalTableName(text: string): string {
    return formatTableName(parseTableName(text));
}

/** True for a name parseTableName accepts. */
export function isTableName(text: string): boolean {
    try {
        parseTableName(text);
        return true;
    } catch {
        return false;
    }
}

/** A Java regex that matches `text` literally; a dot is written [.] so that \. stays the schema/table separator. */
function javaRegexLiteral(text: string): string {
    return text.replace(/[\\^$|?*+()[\]{}]/g, "\\$&").replace(/\./g, "[.]");
}

/** Characters Debezium's table and column lists use as separators, so a name holding one cannot be listed. */
export const DEBEZIUM_LIST_SEPARATORS = /[,;:]/;

/**
 * The pattern that names exactly this table in Debezium's lists (`table.include.list`, the table part of
 * `message.key.columns`, an incremental snapshot's `data-collections`): Java regexes matched against
 * "schema.table", case-insensitively unless told otherwise, so every character is escaped and
 * `(?-i)` keeps "Orders" from also matching "orders".
 */
export function debeziumTablePattern(name: string): string {
    const { schema, table } = parseTableName(name);
    return `(?-i)${javaRegexLiteral(schema)}\\.${javaRegexLiteral(table)}`;
}

/**
 * How an incremental snapshot's signal names a table (`data-collections`). Debezium matches each entry as a
 * regex against its tables' "schema.table" and parses what matched as a table id, which fails for a name
 * with a space or a character outside [A-Za-z0-9_] ("Unable to parse table identifier ... Skipping it": the
 * table is silently not read). Such a table is named "schema"."table" instead: it matches no table as a
 * regex (no table id holds a quote), so Debezium parses the entry itself, quotes and all.
 */
export function debeziumSnapshotCollection(name: string): string {
    const { schema, table } = parseTableName(name);
    const plain = (part: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part);
    return plain(schema) && plain(table) ? debeziumTablePattern(name) : `"${schema}"."${table}"`;
}

/** The regex an `additional-conditions` entry names its table by: it must match the data-collection entry itself. */
export function debeziumSnapshotConditionPattern(name: string): string {
    const collection = debeziumSnapshotCollection(name);
    return collection.startsWith('"') ? `\\Q${collection}\\E` : collection;
}

/** The table a debeziumTablePattern or debeziumSnapshotCollection names (for showing it); undefined for any other pattern. */
export function tableFromDebeziumPattern(pattern: string): string | undefined {
    if (pattern.startsWith('"') && isTableName(pattern)) return canonicalTableName(pattern);
    if (!pattern.startsWith("(?-i)")) return undefined;
    const parts = ["", ""];
    let part = 0;
    const body = pattern.slice("(?-i)".length);
    for (let i = 0; i < body.length; i++) {
        if (body.startsWith("[.]", i)) {
            parts[part] += ".";
            i += 2;
        } else if (body[i] === "\\" && body[i + 1] === ".") {
            if (part === 1) return undefined;
            part = 1;
            i++;
        } else if (body[i] === "\\") parts[part] += body[++i];
        else parts[part] += body[i];
    }
    return part === 1 ? formatTableName({ schema: parts[0], table: parts[1] }) : undefined;
}

/** A column in `message.key.columns` (a regex after the table's pattern). */
export function debeziumColumnPattern(column: string): string {
    return javaRegexLiteral(column);
}

/** Debezium's topic name for a table: prefix.schema.table, each character Kafka does not allow replaced by "_" (its default topic naming), at most 249 characters. */
export function debeziumTopicName(topicPrefix: string, name: string): string {
    const { schema, table } = parseTableName(name);
    let topic = "";
    for (const ch of `${topicPrefix}.${schema}.${table}`.split("")) topic += /[A-Za-z0-9._-]/.test(ch) ? ch : "_";
    return topic.slice(0, 249);
}
