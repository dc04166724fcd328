// What PostgreSQL's catalog says about the captured tables: columns in order, their types
// (domains resolved to their base type), nullability, the primary key, the replica identity and a
// partitioned table's partitions.
// The ADX model is generated from this, never from config. Pure parts here; the query runs in
// the SourceCatalog provider (postgres/sourceCatalogResource.ts) and in the e2e harness.
import { CatalogColumn, CatalogTable } from "../contract/typeTable";
import { DEBEZIUM_LIST_SEPARATORS } from "../contract/identifiers";
import { partitionKey, readUnpublishedTruncations, UnpublishedTruncation } from "./partitionTruncations";

/**
 * One row per column of the listed tables ($1: text[] of "schema.table"), plus one row with a null
 * column for a table that has no columns; a listed name with no row does not exist.
 */
export const CATALOG_QUERY = `
WITH wanted AS (SELECT unnest($1::text[]) AS qualified_name)
SELECT w.qualified_name,
       c.oid::text AS relation_id,
       c.relreplident AS replica_identity,
       a.attname AS column_name,
       a.attnotnull AS not_null,
       format_type(a.atttypid, a.atttypmod) AS declared_type,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_declared_type,
       CASE WHEN t.typtype = 'd' THEN t.typname END AS domain_type_name,
       bt.typname AS type_name,
       bt.typtype AS type_type,
       bt.typcategory AS type_category,
       et.typname AS element_type_name,
       et.typtype AS element_type_type,
       CASE WHEN bt.typname = 'numeric' AND COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) >= 4
            THEN ((COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) - 4) >> 16) & 65535 END AS numeric_precision,
       COALESCE(array_position(pk.conkey, a.attnum), 0) AS key_position,
       a.attgenerated <> '' AS generated,
       a.attndims AS dimensions,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = CASE WHEN bt.typtype = 'e' THEN bt.oid WHEN et.typtype = 'e' THEN et.oid END) AS enum_labels,
       -- Every composite type the column's values are made of (its type, an array's element, a domain's base,
       -- and recursively their attributes'), with their attributes: ALTER TYPE ... ADD or DROP ATTRIBUTE (or
       -- ALTER TABLE of a table whose row type it is) changes every such value's text without a change event.
       (WITH RECURSIVE reach(type_oid) AS (
            SELECT x.oid FROM pg_type x WHERE x.oid IN (bt.oid, et.oid) AND x.typtype = 'c'
          UNION
            SELECT n.oid
              FROM reach r
              JOIN pg_type rt ON rt.oid = r.type_oid
              JOIN pg_attribute ra ON ra.attrelid = rt.typrelid AND ra.attnum > 0 AND NOT ra.attisdropped
              JOIN pg_type at ON at.oid = ra.atttypid
              JOIN pg_type abt ON abt.oid = CASE WHEN at.typtype = 'd' THEN at.typbasetype ELSE at.oid END
              LEFT JOIN pg_type aet ON aet.oid = abt.typelem AND abt.typcategory = 'A'
              JOIN pg_type n ON n.oid IN (abt.oid, aet.oid) AND n.typtype = 'c')
        SELECT string_agg(format('%s(%s)', format_type(r.type_oid, NULL),
                 (SELECT string_agg(format('%I %s', ra.attname, format_type(ra.atttypid, ra.atttypmod)), ', ' ORDER BY ra.attnum)
                    FROM pg_type rt JOIN pg_attribute ra ON ra.attrelid = rt.typrelid AND ra.attnum > 0 AND NOT ra.attisdropped
                   WHERE rt.oid = r.type_oid)), '; ' ORDER BY format_type(r.type_oid, NULL))
          FROM reach r) AS composite_shape,
       uk.columns AS unique_key,
       CASE WHEN c.relkind = 'p' THEN
         (SELECT COALESCE(jsonb_object_agg(pt.relid::oid::text, format('%I.%I', pn.nspname, pc.relname)), '{}'::jsonb)
            FROM pg_partition_tree(c.oid) pt JOIN pg_class pc ON pc.oid = pt.relid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
           WHERE pt.isleaf) END AS partitions
FROM wanted w
JOIN pg_class c ON c.oid = to_regclass(w.qualified_name) AND c.relkind IN ('r', 'p')
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
-- The narrowest unique index whose key columns are all NOT NULL (no expression, no predicate): it
-- identifies a row as a primary key would (what REPLICA IDENTITY USING INDEX accepts).
LEFT JOIN LATERAL (
  SELECT array_agg(ka.attname::text ORDER BY k.ord) AS columns
  FROM (SELECT i.indkey, i.indnkeyatts FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
          AND NOT EXISTS (SELECT FROM unnest(i.indkey::int2[]) WITH ORDINALITY x(n, ord) JOIN pg_attribute xa ON xa.attrelid = c.oid AND xa.attnum = x.n
                          WHERE x.ord <= i.indnkeyatts AND (NOT xa.attnotnull OR xa.attgenerated <> ''))
        ORDER BY i.indnkeyatts, ic.relname LIMIT 1) best
  CROSS JOIN LATERAL unnest(best.indkey::int2[]) WITH ORDINALITY k(n, ord)
  JOIN pg_attribute ka ON ka.attrelid = c.oid AND ka.attnum = k.n
  WHERE k.ord <= best.indnkeyatts
) uk ON true
ORDER BY w.qualified_name, a.attnum`;

export interface CatalogRow {
    qualified_name: string;
    /** The table's pg_class OID as text; absent in rows from before it was read. */
    relation_id?: string | null;
    replica_identity: string;
    column_name: string | null;
    not_null: boolean | null;
    declared_type: string | null;
    /** A domain's base type as format_type writes it; null for other columns. */
    base_declared_type?: string | null;
    /** A domain's own pg_type.typname (what Debezium names the column's type); null for other columns. */
    domain_type_name?: string | null;
    type_name: string | null;
    type_type: string | null;
    type_category: string | null;
    element_type_name: string | null;
    element_type_type: string | null;
    numeric_precision: number | null;
    key_position: number;
    /** A generated column (pg_attribute.attgenerated); absent before PostgreSQL 12. */
    generated?: boolean | null;
    /** Declared array dimensions (pg_attribute.attndims): 2 for integer[][], 0 or 1 otherwise. */
    dimensions?: number | null;
    /** Key columns of the table's narrowest unique index over NOT NULL columns, if it has one. */
    unique_key?: string[] | null;
    /** An enum column's (or enum array's element) labels in sort order; null for other columns. */
    enum_labels?: string[] | null;
    /** The composite types a column's values are made of, with their attributes ("addr(street text, no integer)"); null for other columns. */
    composite_shape?: string | null;
    /** A partitioned table's leaf partitions, relation OID → "schema.name" (empty for a plain table). */
    partitions?: Record<string, string> | null;
}

function kindOf(typtype: string | null, category: string | null): CatalogColumn["kind"] {
    if (category === "A") return "array";
    if (typtype === "e") return "enum";
    if (typtype === "b") return "base";
    return "other";
}

const REPLICA_IDENTITY: Record<string, CatalogTable["replicaIdentity"]> = { d: "default", f: "full", i: "index", n: "nothing" };

/**
 * Folds the catalog rows into tables, in the order of `tables`; a table with no row is reported missing. A
 * leaf partition with a TRUNCATE PostgreSQL did not publish (`truncations`) is recorded under its new identity.
 */
export function catalogTablesFromRows(
    tables: string[],
    rows: CatalogRow[],
    truncations: Pick<UnpublishedTruncation, "captured" | "relation" | "truncation">[] = [],
): { tables: CatalogTable[]; missing: string[] } {
    const found: CatalogTable[] = [];
    const missing: string[] = [];
    for (const name of tables) {
        const own = rows.filter((r) => r.qualified_name === name);
        if (own.length === 0) {
            missing.push(name);
            continue;
        }
        const columns = own.filter((r) => r.column_name !== null && !r.generated);
        const generated = own.filter((r) => r.column_name !== null && r.generated).map((r) => r.column_name!);
        const elementKind = (r: CatalogRow) => (r.element_type_name ? kindOf(r.element_type_type, null) : undefined);
        found.push({
            qualifiedName: name,
            ...(own[0].relation_id ? { relationId: String(own[0].relation_id) } : {}),
            ...(own[0].relation_id && own[0].partitions
                ? {
                      partitions: partitionIdentities(
                          own[0].partitions,
                          truncations.filter((t) => t.captured === name),
                      ),
                  }
                : {}),
            replicaIdentity: REPLICA_IDENTITY[own[0].replica_identity] ?? "default",
            columns: columns.map((r) => ({
                name: r.column_name!,
                declaredType: r.declared_type!,
                ...(r.base_declared_type ? { baseDeclaredType: r.base_declared_type, domainTypeName: r.domain_type_name! } : {}),
                typeName: r.type_name!,
                kind: kindOf(r.type_type, r.type_category),
                ...(r.element_type_name ? { elementTypeName: r.element_type_name, elementKind: elementKind(r) } : {}),
                ...(r.numeric_precision !== null && r.numeric_precision !== undefined ? { numericPrecision: Number(r.numeric_precision) } : {}),
                ...(Number(r.dimensions ?? 0) > 1 ? { dimensions: Number(r.dimensions) } : {}),
                ...(r.enum_labels?.length ? { enumLabels: r.enum_labels } : {}),
                ...(r.composite_shape ? { compositeShape: r.composite_shape } : {}),
                notNull: !!r.not_null,
            })),
            primaryKey: own
                .filter((r) => r.column_name !== null && Number(r.key_position) > 0)
                .sort((a, b) => Number(a.key_position) - Number(b.key_position))
                .map((r) => r.column_name!),
            ...(generated.length ? { generatedColumns: generated } : {}),
        });
        const table = found[found.length - 1];
        if (!table.primaryKey.length && own[0].unique_key?.length) table.uniqueKey = own[0].unique_key;
    }
    return { tables: found, missing };
}

/**
 * Debezium's message key per table where it is not the primary key (Debezium's own default): the
 * configured keys and the unique-index keys, so every record's Kafka key is the current state's key.
 */
export function messageKeyColumns(described: (CatalogTable & { key: string[] })[]): Record<string, string[]> {
    return Object.fromEntries(
        described.filter((t) => t.key.length && (t.key.length !== t.primaryKey.length || t.key.some((k, i) => k !== t.primaryKey[i]))).map((t) => [t.qualifiedName, t.key]),
    );
}

/** Leaf partitions keyed by their identity (partitionKey): a truncated one's carries its newest unpublished truncation. */
function partitionIdentities(partitions: Record<string, string>, truncations: Pick<UnpublishedTruncation, "relation" | "truncation">[]): Record<string, string> {
    return Object.fromEntries(Object.entries(partitions).map(([oid, name]) => [partitionKey(oid, truncations.find((t) => t.relation === oid)?.truncation), name]));
}

/** Reads the catalog for `tables` over an open `pg` client. */
export async function readCatalogTables(
    client: { query(sql: string, params: unknown[]): Promise<{ rows: any[] }> },
    tables: string[],
): Promise<{ tables: CatalogTable[]; missing: string[] }> {
    const { rows } = await client.query(CATALOG_QUERY, [tables]);
    return catalogTablesFromRows(tables, rows, await readUnpublishedTruncations(client, tables));
}

/**
 * The key the current state is kept by: the configured key columns (pg-adx-cdc:capture.keys), else the
 * primary key, else the narrowest unique index over NOT NULL columns.
 */
export function currentStateKey(table: CatalogTable, configuredKey?: string[]): string[] {
    if (configuredKey && configuredKey.length > 0) {
        const unknown = configuredKey.filter((k) => !table.columns.some((c) => c.name === k));
        if (unknown.length)
            throw new Error(
                `pg-adx-cdc:capture.keys["${table.qualifiedName}"] names ${unknown.map((u) => JSON.stringify(u)).join(", ")}, which ${table.qualifiedName} does not have (its columns: ${table.columns.map((c) => c.name).join(", ")})`,
            );
        return configuredKey;
    }
    const generatedKey = table.primaryKey.filter((k) => table.generatedColumns?.includes(k));
    if (generatedKey.length)
        throw new Error(
            `${table.qualifiedName}'s primary key includes generated column(s) ${generatedKey.join(", ")}, which PostgreSQL before 18 does not publish to logical replication. ` +
                `Name the columns that identify a row: pulumi config set --path 'pg-adx-cdc:capture.keys["${table.qualifiedName}"][0]' <column>`,
        );
    if (table.primaryKey.length > 0) return table.primaryKey;
    // No primary key, but a unique index over NOT NULL columns (a join table an ORM made): those columns identify a row.
    // Debezium's message.key.columns cannot hold a name with its list separators (, ; :): such an index is no key here.
    const unusable = table.uniqueKey?.filter((c) => DEBEZIUM_LIST_SEPARATORS.test(c)) ?? [];
    if (table.uniqueKey?.length && unusable.length === 0) return table.uniqueKey;
    if (unusable.length)
        throw new Error(
            `${table.qualifiedName} has no primary key, and its unique index over (${table.uniqueKey!.join(", ")}) cannot key it: column name(s) ${unusable.map((c) => JSON.stringify(c)).join(", ")} ` +
                `hold , ; or :, which Debezium's message.key.columns cannot express. Add a primary key (ALTER TABLE ${table.qualifiedName} ADD PRIMARY KEY (...)), ` +
                `or rename those columns (ALTER TABLE ${table.qualifiedName} RENAME COLUMN ...)`,
        );
    throw new Error(
        `${table.qualifiedName} has no primary key and no unique index over NOT NULL columns, so no change can be matched to the row it changes. ` +
            `Add one (ALTER TABLE ${table.qualifiedName} ADD PRIMARY KEY (...)), or name the columns that identify a row: ` +
            `pulumi config set --path 'pg-adx-cdc:capture.keys["${table.qualifiedName}"][0]' <column> (the stack then sets REPLICA IDENTITY FULL so updates and deletes carry them)`,
    );
}
