// SourceCatalog: the captured tables as PostgreSQL's catalog describes them, read after the source
// bootstrap, as a Pulumi resource (dynamic provider). Its output feeds the ADX model generator, so
// the model follows the catalog, not config. `pulumi refresh` re-reads the catalog: a column added
// or changed in PostgreSQL shows up in the next preview as a change of the ADX model.
// Checks that every table can be captured correctly (exists, has a key, every type maps) and
// fails with the table, the column and the fix otherwise, before any ADX object or connector exists.
import * as pulumi from "@pulumi/pulumi";
import * as catalog from "./catalog";
import * as typeTable from "../contract/typeTable";
import { PostgresConnectionInputs, withClient } from "./sourceBootstrap";
import { CheckFailure, checkAnswer, configureAdminPassword, logProgress } from "../runtime/providerKit";

export interface SourceCatalogInputs {
    connection: PostgresConnectionInputs;
    /** Captured tables, "schema.table". */
    tables: string[];
    /** Key columns per table where the table has no primary key (pg-adx-cdc:capture.keys). */
    keys: Record<string, string[]>;
    /** Field names the flat change record already uses (Debezium's added fields, the delete flag, ...): a source column with one would be overwritten. */
    reservedColumns?: string[];
}

export interface SourceCatalogOutputs extends SourceCatalogInputs {
    /** Each captured table as the catalog describes it, in `tables` order, with the key its current state uses. */
    described: (typeTable.CatalogTable & { key: string[] })[];
}

/** One table's description; a table the catalog resource did not describe is a bug worth naming. */
export function describedTable(described: SourceCatalogOutputs["described"], qualifiedName: string): SourceCatalogOutputs["described"][number] {
    const table = described.find((t) => t.qualifiedName === qualifiedName);
    if (!table) throw new Error(`the catalog resource has no description of ${qualifiedName} (described: ${described.map((t) => t.qualifiedName).join(", ")})`);
    return table;
}

/** Everything that would make a table's capture wrong, as one message; empty when all can be captured. */
export function captureProblems(inputs: SourceCatalogInputs, found: { tables: typeTable.CatalogTable[]; missing: string[] }): string[] {
    const problems = found.missing.map(
        (t) => `captured table ${t} does not exist in database ${inputs.connection.database}; create it first or remove it from pg-adx-cdc:capture.tables`,
    );
    for (const table of found.tables) {
        try {
            catalog.currentStateKey(table, inputs.keys[table.qualifiedName]);
        } catch (error: any) {
            problems.push(error.message);
        }
        // Debezium refuses a table whose column names differ only by case (one added since the last pulumi up).
        const clashing = table.columns.filter((c) => table.columns.some((o) => o !== c && o.name.toLowerCase() === c.name.toLowerCase()));
        if (clashing.length)
            problems.push(
                `${table.qualifiedName}: columns ${clashing.map((c) => JSON.stringify(c.name)).join(", ")} differ only by case, which Debezium refuses to capture; rename one of them (ALTER TABLE ${table.qualifiedName} RENAME COLUMN ...) or do not capture the table`,
            );
        for (const column of table.columns) {
            if ((inputs.reservedColumns ?? []).includes(column.name)) {
                problems.push(
                    `${table.qualifiedName}.${column.name}: the change record already has a field of that name (added by the pipeline); rename the column (ALTER TABLE ${table.qualifiedName} RENAME COLUMN ...) or do not capture the table`,
                );
                continue;
            }
            try {
                typeTable.typeRuleFor(table.qualifiedName, column);
            } catch (error: any) {
                problems.push(error.message);
            }
        }
    }
    try {
        typeTable.domainBaseTypes(found.tables);
    } catch (error: any) {
        problems.push(error.message);
    }
    return problems;
}

/** Reads and checks the catalog; throws with every problem at once. */
export async function describeCapturedTables(inputs: SourceCatalogInputs, password: string | undefined): Promise<SourceCatalogOutputs["described"]> {
    const found = await withClient(inputs.connection, password, (client) => catalog.readCatalogTables(client, inputs.tables));
    const problems = captureProblems(inputs, found);
    if (problems.length) throw new Error(`cannot capture ${problems.length === 1 ? "a table" : "these tables"} correctly:\n  - ${problems.join("\n  - ")}`);
    for (const t of found.tables.filter((t) => t.generatedColumns))
        require("@pulumi/pulumi").log.warn(
            `${t.qualifiedName}: generated column(s) ${t.generatedColumns!.join(", ")} are not captured (PostgreSQL before 18 does not publish them to logical replication); ` +
                `ADX has no column for them: compute them in a KQL function from the captured columns`,
        );
    for (const t of found.tables.filter((t) => t.uniqueKey && !inputs.keys[t.qualifiedName]))
        logProgress(
            `${t.qualifiedName} has no primary key: its rows are identified by the columns of its unique index (${t.uniqueKey!.join(", ")}), all NOT NULL; pg-adx-cdc:capture.keys names others`,
        );
    return found.tables.map((t) => ({ ...t, key: catalog.currentStateKey(t, inputs.keys[t.qualifiedName]) }));
}

export const sourceCatalogProvider: pulumi.dynamic.ResourceProvider & { adminPassword?: string } = {
    configure: configureAdminPassword,

    async check(_olds: any, news: any) {
        const failures: CheckFailure[] = [];
        if (!Array.isArray(news.tables) || news.tables.length === 0) failures.push({ property: "tables", reason: "capture at least one table" });
        for (const [table, key] of Object.entries(news.keys ?? {})) {
            if (!(news.tables ?? []).includes(table))
                failures.push({ property: `keys.${table}`, reason: `${table} is not in pg-adx-cdc:capture.tables; remove its key or capture it` });
            if (!Array.isArray(key) || key.length === 0) failures.push({ property: `keys.${table}`, reason: "list at least one key column" });
        }
        return checkAnswer(news, failures);
    },

    async diff(_id: string, olds: any, news: any) {
        // Pure: a refresh (read) brings catalog changes into state; here only the request changes.
        const changes = JSON.stringify([olds.connection, olds.tables, olds.keys]) !== JSON.stringify([news.connection, news.tables, news.keys]);
        return { changes };
    },

    async create(inputs: any) {
        logProgress(`reading the catalog of ${inputs.tables.join(", ")}`);
        const described = await describeCapturedTables(inputs, (this as any).adminPassword);
        return { id: `${inputs.connection.host}/${inputs.connection.database}/catalog`, outs: { ...inputs, described } };
    },

    async update(_id: string, _olds: any, news: any) {
        const described = await describeCapturedTables(news, (this as any).adminPassword);
        return { outs: { ...news, described } };
    },

    async read(id: string, props: any) {
        const described = await describeCapturedTables(props, (this as any).adminPassword);
        return { id, props: { ...props, described } };
    },

    async delete() {
        // Reading the catalog created nothing; the user's tables are never touched.
    },
};

export interface SourceCatalogArgs {
    connection: { [K in keyof PostgresConnectionInputs]: pulumi.Input<PostgresConnectionInputs[K]> };
    tables: pulumi.Input<pulumi.Input<string>[]>;
    keys: pulumi.Input<Record<string, string[]>>;
    reservedColumns?: pulumi.Input<string[]>;
}

/** The captured tables' columns, types and keys, read from PostgreSQL's catalog. */
export class SourceCatalog extends pulumi.dynamic.Resource {
    declare public readonly described: pulumi.Output<SourceCatalogOutputs["described"]>;
    constructor(name: string, args: SourceCatalogArgs, opts?: pulumi.CustomResourceOptions) {
        super(sourceCatalogProvider, name, { ...args, described: undefined }, opts, "pg-adx-cdc", "SourceCatalog");
    }
}
