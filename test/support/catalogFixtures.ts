// What PostgreSQL's catalog reports for the demo table and the Debezium cookbook's table, for tests
// that run without a database (mocks, KQL analysis). test/e2e/anyTable.test.ts reads the real
// catalog of the same DDL and asserts it equals these, so they cannot drift from PostgreSQL.
import type { CatalogTable } from "../../contract/typeTable";
import { KqlScript, loadOverlayScripts } from "../../kql/kqlModel";
import { adxModelScripts } from "../../kql/adxModel";

const column = (name: string, declaredType: string, typeName: string, notNull: boolean, numericPrecision?: number) => ({
    name,
    declaredType,
    typeName,
    kind: "base" as const,
    notNull,
    ...(numericPrecision ? { numericPrecision } : {}),
});

export const ORDERS_CATALOG: CatalogTable = {
    qualifiedName: "retail.orders_info",
    replicaIdentity: "full",
    primaryKey: ["orderid"],
    columns: [
        column("orderid", "bigint", "int8", true),
        column("custid", "integer", "int4", true),
        column("amount", "numeric(10,2)", "numeric", true, 10),
        column("city", "text", "text", true),
        column("purchase_time", "timestamp with time zone", "timestamptz", true),
    ],
};

/** The Debezium cookbook's table: inventory.products(id uuid primary key default gen_random_uuid(), name text not null, weight float8 not null, created_at timestamptz not null default now()). */
export const PRODUCTS_DDL =
    "CREATE TABLE inventory.products (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL, weight float8 NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";

export const PRODUCTS_CATALOG: CatalogTable = {
    qualifiedName: "inventory.products",
    replicaIdentity: "full",
    primaryKey: ["id"],
    columns: [
        column("id", "uuid", "uuid", true),
        column("name", "text", "text", true),
        column("weight", "double precision", "float8", true),
        column("created_at", "timestamp with time zone", "timestamptz", true),
    ],
};

export const CATALOG_FIXTURES: Record<string, CatalogTable> = { [ORDERS_CATALOG.qualifiedName]: ORDERS_CATALOG, [PRODUCTS_CATALOG.qualifiedName]: PRODUCTS_CATALOG };

/** The orders model as the stack deploys it: generated from the catalog, then the analytics overlay. */
export function ordersModelScripts(streamingIngestion = true): KqlScript[] {
    return adxModelScripts(ORDERS_CATALOG, { key: ORDERS_CATALOG.primaryKey, streamingIngestion }, loadOverlayScripts(ORDERS_CATALOG.qualifiedName));
}

/** The stack's heartbeat table (postgres/sourceSchema.ts creates it) as the catalog describes it. */
export function heartbeatCatalog(qualifiedName: string): CatalogTable {
    return {
        qualifiedName,
        replicaIdentity: "default",
        primaryKey: ["id"],
        columns: [column("id", "integer", "int4", true), column("beat_at", "timestamp with time zone", "timestamptz", true)],
    };
}
