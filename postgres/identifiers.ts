// The one rule for PostgreSQL names the stack writes into SQL unquoted (schemas, tables, roles,
// publications): lower-case, unquoted-safe identifiers of at most 63 bytes, and "schema.table".
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export const QUALIFIED_TABLE = /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/;

export function isPgIdentifier(name: string): boolean {
    return PG_IDENTIFIER.test(name);
}

export function isQualifiedTable(name: string): boolean {
    return QUALIFIED_TABLE.test(name);
}
