// KqlSchema: the ADX schema of kql/ as a Pulumi resource (dynamic provider). Applies every
// command of every script in order (all idempotent), detects drift of tables, mappings, views and
// functions on refresh, and on delete drops what the scripts created in reverse order unless the
// resource retains data. Credentials are resolved at call time (kustoRestClient.ts).
import * as pulumi from "@pulumi/pulumi";
import * as model from "./kqlModel";
import * as kusto from "./kustoRestClient";
import { checkedBy, logProgress } from "../runtime/providerKit";

export interface KqlSchemaInputs {
    /** Query (engine) URI of the cluster, e.g. https://<cluster>.<region>.kusto.windows.net */
    clusterUri: string;
    database: string;
    scripts: model.KqlScript[];
    /** Keep tables, views and functions on delete (ADX data survives `pulumi destroy`). */
    retainData: boolean;
}

/** ADX's answer that an object does not exist (its wordings differ by command: "not found", "could not be found", "does not exist", BadRequest_EntityNotFound). */
function isAdxNotFound(error: { message: string }): boolean {
    return /not found|could not be found|does not exist|NotFound/i.test(error.message);
}

const DRIFT_MARKER = "// drift detected by refresh: ";

/** A script's text as applied: without the drift line a refresh put in front of it. */
function withoutDriftMarker(text: string): string {
    return text.startsWith(DRIFT_MARKER) ? text.slice(text.indexOf("\n") + 1) : text;
}

/** Offline validation: every command is one the provider can apply idempotently and undo. */
export function validateKqlInputs(inputs: Partial<KqlSchemaInputs>): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    if (typeof inputs.clusterUri !== "string" || !/^https?:\/\/[^/]+\/?$/.test(inputs.clusterUri)) {
        failures.push({
            property: "clusterUri",
            reason: `must be the cluster's query URI, e.g. https://mycluster.westeurope.kusto.windows.net (got ${JSON.stringify(inputs.clusterUri)})`,
        });
    }
    if (typeof inputs.database !== "string" || inputs.database.length === 0) failures.push({ property: "database", reason: "the database name is required" });
    for (const script of inputs.scripts ?? []) {
        const commands = model.splitKqlCommands(script.text);
        if (commands.length === 0) failures.push({ property: `scripts.${script.name}`, reason: "contains no management command" });
        for (const command of commands) {
            try {
                model.describeKqlCommand(command);
            } catch (error: any) {
                failures.push({ property: `scripts.${script.name}`, reason: error.message });
            }
        }
    }
    return failures;
}

/** Pure diff: another cluster or database is a replacement; script or retention changes update in place. */
export function diffKqlSchema(olds: KqlSchemaInputs, news: KqlSchemaInputs): pulumi.dynamic.DiffResult {
    const replaces = (["clusterUri", "database"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.retainData !== news.retainData || JSON.stringify(olds.scripts) !== JSON.stringify(news.scripts);
    return { changes, replaces, deleteBeforeReplace: false };
}

/** Names of scripts whose text differs, for progress messages. */
export function changedScriptNames(olds: model.KqlScript[], news: model.KqlScript[]): string[] {
    const before = new Map((olds ?? []).map((s) => [s.name, s.text]));
    const after = new Map((news ?? []).map((s) => [s.name, s.text]));
    return [...new Set([...before.keys(), ...after.keys()])].filter((n) => before.get(n) !== after.get(n)).sort();
}

/** Views both script sets declare whose query (or source table) differs. */
export function changedMaterializedViews(olds: model.KqlScript[], news: model.KqlScript[]): string[] {
    const views = (scripts: model.KqlScript[]) =>
        new Map(
            (scripts ?? [])
                .flatMap((s) => model.splitKqlCommands(withoutDriftMarker(s.text)).map(model.describeKqlCommand))
                .filter((o): o is Extract<model.KqlObject, { kind: "materialized-view" }> => o.kind === "materialized-view")
                .map((v) => [v.name, `${v.source}|${v.query.replace(/\s+/g, " ")}`]),
        );
    const before = views(olds);
    return [...views(news).entries()].filter(([name, definition]) => before.has(name) && before.get(name) !== definition).map(([name]) => name);
}

/**
 * Columns whose declared type differs from the live table's. Kusto cannot change a column's type in
 * place (`.create-merge` refuses, and `.alter column` makes every earlier value of it read as null), so
 * the change is refused before any command runs, naming the column and the way out. Also returns the
 * declared tables the database does not hold (the scripts are about to create them), and the tables
 * whose materialized view it does not hold: both need their rows read again from PostgreSQL.
 */
export async function inspectTables(inputs: KqlSchemaInputs, token: string): Promise<{ typeChanges: string[]; absent: string[] }> {
    const problems: string[] = [];
    const absent: string[] = [];
    for (const script of inputs.scripts) {
        for (const object of model.splitKqlCommands(script.text).map(model.describeKqlCommand)) {
            if (object.kind === "materialized-view") {
                // A view created now is backfilled from the change table alone, which may have aged out keys the
                // view kept (its retention is the longer one): its table's rows are read again from PostgreSQL.
                try {
                    await kusto.runKustoCommand(inputs.clusterUri, inputs.database, `.show materialized-view ${object.name}`, token);
                } catch (error: any) {
                    if (!isAdxNotFound(error)) throw error;
                    if (!absent.includes(object.source)) absent.push(object.source);
                }
                continue;
            }
            if (object.kind !== "table") continue;
            let rows: Record<string, unknown>[];
            try {
                rows = kusto.rowsOf((await kusto.runKustoCommand(inputs.clusterUri, inputs.database, `.show table ${object.name} cslschema`, token))[0]);
            } catch (error: any) {
                if (isAdxNotFound(error)) {
                    if (!absent.includes(object.name)) absent.push(object.name);
                    continue;
                }
                throw error;
            }
            const live = new Map(
                model.splitTopLevel(String(rows[0]?.Schema ?? "")).map((c) => [model.unquoteKqlIdentifier(c.slice(0, c.lastIndexOf(":"))), c.slice(c.lastIndexOf(":") + 1)]),
            );
            for (const c of object.columns)
                if (live.has(c.name) && live.get(c.name) !== c.type)
                    problems.push(
                        `ADX table ${object.name} column ${c.name} is ${live.get(c.name)}, the model now makes it ${c.type} (its PostgreSQL type changed). ` +
                            `Kusto cannot change a column's type without hiding every earlier value. Either keep the PostgreSQL type (revert the ALTER), ` +
                            `or move the data to a new column in PostgreSQL (ADD COLUMN ${c.name}_v2 <new type>; UPDATE ... SET ${c.name}_v2 = ${c.name}; DROP COLUMN ${c.name}): ` +
                            `ADX keeps ${c.name}'s history and types the new column. Nothing was changed in ${inputs.database}.`,
                    );
        }
    }
    return { typeChanges: problems, absent };
}

/**
 * Each declared table's generation: when this provider found it missing and created it, or what the
 * state already says (`adopted` for a table that existed before the stack). A table created again (dropped
 * in ADX, or the schema moved to another database) gets a new one, and the IncrementalSnapshot resource
 * reads its PostgreSQL table again: the rows delivered before are gone with the old table.
 */
export function tableGenerations(declared: string[], absent: string[], before: Record<string, string> | undefined, now = new Date()): Record<string, string> {
    return Object.fromEntries(declared.map((t) => [t, absent.includes(t) ? now.toISOString() : (before?.[t] ?? "adopted")]));
}

function declaredTables(scripts: model.KqlScript[]): string[] {
    return scripts
        .flatMap((s) => model.splitKqlCommands(s.text).map(model.describeKqlCommand))
        .filter((o): o is Extract<model.KqlObject, { kind: "table" }> => o.kind === "table")
        .map((o) => o.name);
}

/** Applies every script; returns the declared tables that did not exist before. */
async function applyScripts(inputs: KqlSchemaInputs): Promise<string[]> {
    const token = await kusto.getKustoAccessToken(inputs.clusterUri);
    const { typeChanges, absent } = await inspectTables(inputs, token);
    if (typeChanges.length) throw new Error(typeChanges.join("\n"));
    for (const script of inputs.scripts) {
        const commands = model.splitKqlCommands(script.text);
        logProgress(`applying ${script.name} (${commands.length} command${commands.length === 1 ? "" : "s"}) to ${inputs.database}`);
        for (const command of commands) await kusto.runKustoCommand(inputs.clusterUri, inputs.database, command, token);
    }
    return absent;
}

async function dropCommands(inputs: KqlSchemaInputs, commands: string[]): Promise<void> {
    const token = await kusto.getKustoAccessToken(inputs.clusterUri);
    for (const command of commands) {
        try {
            await kusto.runKustoCommand(inputs.clusterUri, inputs.database, command, token);
        } catch (error: any) {
            // Already gone is success; anything else must stop the delete so nothing is half-removed silently.
            if (!isAdxNotFound(error)) throw error;
        }
    }
}

/** Live differences between what the scripts declare and what the database holds, per script. */
async function detectDrift(inputs: KqlSchemaInputs): Promise<Map<string, string[]>> {
    const token = await kusto.getKustoAccessToken(inputs.clusterUri);
    const run = async (command: string) => {
        try {
            return kusto.rowsOf((await kusto.runKustoCommand(inputs.clusterUri, inputs.database, command, token))[0]);
        } catch (error: any) {
            if (isAdxNotFound(error)) return undefined;
            throw error;
        }
    };
    const squash = (s: unknown) => String(s ?? "").replace(/\s+/g, "");
    const drift = new Map<string, string[]>();
    for (const script of inputs.scripts) {
        const found: string[] = [];
        for (const object of model.splitKqlCommands(script.text).map(model.describeKqlCommand)) {
            if (object.kind === "table") {
                const rows = await run(`.show table ${object.name} cslschema`);
                if (!rows?.length) found.push(`table ${object.name} missing`);
                else {
                    const live = new Map(
                        model
                            .splitTopLevel(String(rows[0].Schema))
                            .map((c) => [model.unquoteKqlIdentifier(c.slice(0, c.lastIndexOf(":"))), c.slice(c.lastIndexOf(":") + 1)] as [string, string]),
                    );
                    for (const c of object.columns)
                        if (live.get(c.name) !== c.type) found.push(`table ${object.name} column ${c.name}: declared ${c.type}, live ${live.get(c.name) ?? "missing"}`);
                }
            } else if (object.kind === "mapping") {
                const rows = await run(`.show table ${object.table} ingestion ${object.format} mapping "${object.name}"`);
                if (!rows?.length) found.push(`mapping ${object.name} missing`);
                else {
                    const live = JSON.parse(String(rows[0].Mapping)).map((e: any) => `${e.column}<-${e.Properties?.Path}|${e.Properties?.Transform ?? ""}`);
                    const declared = object.columns.map((c) => `${c.column}<-${c.path}|${c.transform ?? ""}`);
                    if (JSON.stringify(live) !== JSON.stringify(declared)) found.push(`mapping ${object.name} changed`);
                }
            } else if (object.kind === "materialized-view") {
                const rows = await run(`.show materialized-view ${object.name}`);
                if (!rows?.length) found.push(`materialized view ${object.name} missing`);
                else if (squash(rows[0].Query) !== squash(object.query)) found.push(`materialized view ${object.name} query changed`);
            } else if (object.kind === "database-principal") {
                const rows = await run(`.show database ${object.database} principals`);
                const role = { ingestors: "ingestor", viewers: "viewer", admins: "admin" }[object.role];
                const granted = rows?.some(
                    (r) =>
                        String(r.PrincipalFQN).toLowerCase() === object.principal.toLowerCase() &&
                        String(r.Role)
                            .toLowerCase()
                            .includes(role ?? object.role),
                );
                if (!granted) found.push(`${object.principal} is not ${object.role.replace(/s$/, "")} of ${object.database}`);
            } else if (object.kind === "function") {
                const rows = await run(`.show function ${object.name}`);
                if (!rows?.length) found.push(`function ${object.name} missing`);
                else if (squash(rows[0].Body) !== squash(object.body)) found.push(`function ${object.name} body changed`);
            }
        }
        if (found.length) drift.set(script.name, found);
    }
    return drift;
}

export const kqlSchemaProvider: pulumi.dynamic.ResourceProvider = {
    check: checkedBy(validateKqlInputs),

    async diff(_id: string, olds: any, news: any) {
        return diffKqlSchema(olds, news);
    },

    async create(inputs: any) {
        const absent = await applyScripts(inputs);
        // One resource owns one ADX table: the id names it (or, for a grant, the script), so ids are unique per database.
        const owned = inputs.scripts.flatMap((s: model.KqlScript) => model.splitKqlCommands(s.text).map(model.describeKqlCommand)).find((o: model.KqlObject) => o.kind === "table");
        const generations = tableGenerations(declaredTables(inputs.scripts), absent, undefined);
        return { id: `${inputs.clusterUri}/${inputs.database}/${owned ? owned.name : inputs.scripts[0].name}`, outs: { ...inputs, tableGenerations: generations } };
    },

    async update(_id: string, olds: any, news: any) {
        // A column type Kusto cannot change stops the update before anything is dropped or applied.
        const { typeChanges } = await inspectTables(news, await kusto.getKustoAccessToken(news.clusterUri));
        if (typeChanges.length) throw new Error(typeChanges.join("\n"));
        // Objects a script no longer declares are dropped (unless data is retained), then all scripts re-apply.
        const declared = new Set(model.buildDropCommands(news.scripts));
        const stale = model.buildDropCommands(olds.scripts.map((s: model.KqlScript) => ({ ...s, text: withoutDriftMarker(s.text) }))).filter((c) => !declared.has(c));
        if (stale.length && !news.retainData) {
            logProgress(`dropping objects no longer declared: ${stale.join("; ")}`);
            await dropCommands(news, stale);
        }
        // `.create ifnotexists materialized-view` leaves a changed definition unapplied, and `.alter
        // materialized-view` only changes how new records aggregate (ADX keeps what it materialized
        // under the old query, and refuses new group-by keys): a changed view is dropped and created
        // again with backfill, so all of the change table is aggregated under the new definition.
        const changedViews = changedMaterializedViews(olds.scripts, news.scripts);
        if (changedViews.length) {
            logProgress(`materialized view${changedViews.length > 1 ? "s" : ""} ${changedViews.join(", ")} changed: dropping and re-creating with backfill`);
            await dropCommands(
                news,
                changedViews.map((v) => `.drop materialized-view ${v} ifexists`),
            );
        }
        logProgress(`re-applying KQL; changed scripts: ${changedScriptNames(olds.scripts, news.scripts).join(", ") || "none"}`);
        const absent = await applyScripts(news);
        if (absent.length)
            logProgress(`created again in ${news.database}: ${absent.join(", ")} (a table or its current-state view; the table's rows are read again from PostgreSQL)`);
        return { outs: { ...news, tableGenerations: tableGenerations(declaredTables(news.scripts), absent, olds.tableGenerations) } };
    },

    async read(id: string, props: any) {
        const drift = await detectDrift(props);
        // A drifted script reads back with a marker line, so the next preview shows that script as changed.
        const scripts = props.scripts.map((s: model.KqlScript) => (drift.has(s.name) ? { name: s.name, text: `${DRIFT_MARKER}${drift.get(s.name)!.join("; ")}\n${s.text}` } : s));
        return { id, props: { ...props, scripts } };
    },

    async delete(_id: string, props: any) {
        if (props.retainData) {
            logProgress(`retainData is set: leaving tables, mappings, policies, views and functions in ${props.database}`);
            return;
        }
        const commands = model.buildDropCommands(props.scripts.map((s: model.KqlScript) => ({ ...s, text: withoutDriftMarker(s.text) })));
        logProgress(`dropping ${commands.length} ADX objects from ${props.database} (data in these tables is deleted)`);
        await dropCommands(props, commands);
    },
};

export interface KqlSchemaArgs {
    clusterUri: pulumi.Input<string>;
    database: pulumi.Input<string>;
    scripts: pulumi.Input<pulumi.Input<model.KqlScript>[]>;
    retainData?: pulumi.Input<boolean>;
}

/** The ADX schema declared by a set of .kql scripts. */
export class KqlSchema extends pulumi.dynamic.Resource {
    /** Each declared table's generation (tableGenerations): a new one when the table was created again. */
    declare public readonly tableGenerations: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: KqlSchemaArgs, opts?: pulumi.CustomResourceOptions) {
        super(kqlSchemaProvider, name, { ...args, retainData: args.retainData ?? false, tableGenerations: undefined }, opts, "pg-adx-cdc", "KqlSchema");
    }
}
