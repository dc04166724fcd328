// Describes what each KQL management command of a model creates, for the generated model
// (kql/adxModel.ts) and the hand-written overlays in kql/<schema>.<table>/ alike: the sink's table
// and mapping, drop commands, drift checks. Overlay files stay runnable by hand in the ADX web UI.
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../runtime/repoRoot";

export interface KqlScript {
    /** File name relative to kql/, e.g. "retail.orders_info/10-table.kql". */
    name: string;
    text: string;
}

export type KqlObject =
    | { kind: "table"; name: string; columns: { name: string; type: string }[] }
    | { kind: "table-docstrings"; table: string }
    | { kind: "mapping"; table: string; name: string; format: string; columns: { column: string; path: string; transform?: string }[] }
    | { kind: "table-policy"; table: string; policy: string }
    | { kind: "materialized-view"; name: string; source: string; query: string }
    | { kind: "function"; name: string; body: string }
    | { kind: "database-principal"; database: string; role: string; principal: string }
    /** `.update table T delete D append A <| ...` that matches nothing once applied (the generated backfill). */
    | { kind: "table-backfill"; table: string }
    | { kind: "view-policy"; view: string; policy: string }
    | { kind: "table-append"; table: string };

export const KQL_DIRECTORY = path.join(repoRoot(__dirname), "kql");

/** A table's hand-written overlay (kql/<schema.table>/*.kql, e.g. the orders analytics), in file order; none is fine. */
export function loadOverlayScripts(qualifiedTable: string, directory = KQL_DIRECTORY): KqlScript[] {
    const folder = path.join(directory, qualifiedTable);
    if (!fs.existsSync(folder)) return [];
    return fs
        .readdirSync(folder)
        .filter((f) => f.endsWith(".kql"))
        .sort()
        .map((f) => ({ name: `${qualifiedTable}/${f}`, text: fs.readFileSync(path.join(folder, f), "utf8") }));
}

/** Splits a script into management commands: each starts with "." at the beginning of a line. */
export function splitKqlCommands(text: string): string[] {
    const commands: string[] = [];
    let current: string[] | undefined;
    let inFence = false;
    for (const line of text.split(/\r?\n/)) {
        if (line.trim().startsWith("```")) inFence = !inFence;
        if (!inFence && /^\./.test(line)) {
            if (current) commands.push(current.join("\n").trim());
            current = [line];
        } else if (current && !(line.trim().startsWith("//") && !inFence)) {
            current.push(line);
        }
    }
    if (current) commands.push(current.join("\n").trim());
    return commands.filter((c) => c.length > 0);
}

/** Joins KQL string literals written as adjacent '...' lines into one string, escapes resolved. */
function concatenatedLiterals(text: string): string {
    return [...text.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1].replace(/\\(.)/g, "$1")).join("");
}

/** A KQL identifier as written (plain, or ['...'] / ["..."] quoted) to the name it denotes. */
export function unquoteKqlIdentifier(text: string): string {
    const t = text.trim();
    const m = /^\[\s*(['"])((?:[^\\]|\\.)*?)\1\s*\]$/.exec(t);
    return m ? m[2].replace(/\\(.)/g, "$1") : t;
}

/**
 * One item of a `summarize ... by` clause: a column (`c`, `['c']`), or `name = expression`. `name` is the
 * output column; `column` the source column it keys on (for `n = tostring(['record']["c"])`, "c").
 */
export function parseByItem(item: string): { name: string; expression: string; column: string } {
    const assignment = /^(\['(?:[^'\\]|\\.)*'\]|\w+)\s*=\s*(.+)$/.exec(item.trim());
    if (!assignment) return { name: unquoteKqlIdentifier(item), expression: item.trim(), column: unquoteKqlIdentifier(item) };
    const field = /\["((?:[^"\\]|\\.)*)"\]\)$/.exec(assignment[2]);
    const name = unquoteKqlIdentifier(assignment[1]);
    return { name, expression: assignment[2], column: field ? JSON.parse(`"${field[1]}"`) : name };
}

/** Splits "a, ['b, c'], d" at top-level commas (outside quotes and brackets). */
export function splitTopLevel(text: string, separator = ","): string[] {
    const parts: string[] = [];
    let depth = 0;
    let quote: string | undefined;
    let current = "";
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (quote) {
            current += ch;
            if (ch === "\\") current += text[++i] ?? "";
            else if (ch === quote) quote = undefined;
            continue;
        }
        if (ch === "'" || ch === '"') quote = ch;
        else if (ch === "(" || ch === "[" || ch === "{") depth++;
        else if (ch === ")" || ch === "]" || ch === "}") depth--;
        if (ch === separator && depth === 0) {
            parts.push(current.trim());
            current = "";
        } else current += ch;
    }
    if (current.trim()) parts.push(current.trim());
    return parts;
}

/** The text between the "(" at `open` and its matching ")", quotes respected. */
function parenthesized(text: string, open: number): string {
    let depth = 0;
    let quote: string | undefined;
    for (let i = open; i < text.length; i++) {
        const ch = text[i];
        if (quote) {
            if (ch === "\\") i++;
            else if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === "(") depth++;
        else if (ch === ")" && --depth === 0) return text.slice(open + 1, i);
    }
    throw new Error(`unbalanced parentheses in: ${text.slice(0, 120)}`);
}

/** The functions a set of scripts creates, in order (as describeKqlCommand reads them). */
export function functionsDefinedIn(scripts: KqlScript[]): string[] {
    return scripts.flatMap((s) =>
        splitKqlCommands(s.text)
            .map(describeKqlCommand)
            .flatMap((o) => (o.kind === "function" ? [o.name] : [])),
    );
}

/** What one command creates or changes, or throws for a command the provider cannot re-apply safely. */
export function describeKqlCommand(command: string): KqlObject {
    const oneLine = command.replace(/\s+/g, " ");
    let m: RegExpExecArray | null;
    if ((m = /^\.create-merge table (\w+) \(/.exec(oneLine))) {
        const columns = splitTopLevel(parenthesized(oneLine, m[0].length - 1)).map((c) => {
            const colon = c.lastIndexOf(":");
            return { name: unquoteKqlIdentifier(c.slice(0, colon)), type: c.slice(colon + 1).trim() };
        });
        return { kind: "table", name: m[1], columns };
    }
    if ((m = /^\.alter-merge table (\w+) column-docstrings/.exec(oneLine))) return { kind: "table-docstrings", table: m[1] };
    if ((m = /^\.create-or-alter table (\w+) ingestion (\w+) mapping "([^"]+)"/.exec(oneLine))) {
        const json = JSON.parse(concatenatedLiterals(command.slice(command.indexOf("\n"))));
        const columns = json.map((e: any) => ({ column: e.column, path: e.Properties?.Path, transform: e.Properties?.Transform }));
        return { kind: "mapping", table: m[1], format: m[2], name: m[3], columns };
    }
    if ((m = /^\.alter table (\w+) policy (\w+)/.exec(oneLine))) return { kind: "table-policy", table: m[1], policy: m[2] };
    if ((m = /^\.create ifnotexists materialized-view (?:with \((?:[^()"]|"(?:[^"\\]|\\.)*")*\) )?(\w+) on table (\w+) \{(.*)\}$/.exec(oneLine))) {
        return { kind: "materialized-view", name: m[1], source: m[2], query: m[3].trim() };
    }
    if ((m = /^\.create-or-alter function (?:with \((?:[^()"]|"(?:[^"\\]|\\.)*")*\) )?(\w+)\(\) (\{.*\})$/.exec(oneLine))) {
        return { kind: "function", name: m[1], body: command.slice(command.indexOf("{")) };
    }
    if ((m = /^\.add database (\S+) (ingestors|viewers|admins) \('([^']+)'\)/.exec(oneLine))) return { kind: "database-principal", database: m[1], role: m[2], principal: m[3] };
    if ((m = /^\.update table (\w+) delete (\w+) append (\w+) <\|/.exec(oneLine))) return { kind: "table-backfill", table: m[1] };
    if ((m = /^\.alter materialized-view (\w+) policy (\w+)/.exec(oneLine))) return { kind: "view-policy", view: m[1], policy: m[2] };
    // Appends only what the table lacks (a leftanti join on the table itself): re-applied, it appends nothing.
    if ((m = /^\.set-or-append (\w+) <\| .* \| join kind=leftanti (\w+) on /.exec(oneLine)) && m[1] === m[2]) return { kind: "table-append", table: m[1] };
    throw new Error(
        `unsupported KQL command: ${oneLine.slice(0, 120)}\n` +
            "every command must be idempotent and reversible: .create-merge table, .alter-merge table ... column-docstrings, " +
            ".create-or-alter table ... ingestion json mapping, .alter table ... policy, .create ifnotexists materialized-view, " +
            ".create-or-alter function, .add database ... <role> (...), .update table ... (a backfill that matches nothing once applied), " +
            ".alter materialized-view ... policy, .set-or-append T <| ... | join kind=leftanti T on ... (appends only what T lacks)",
    );
}

/** Commands that remove what `command` created; empty for what goes away with its table. */
export function dropCommandsFor(object: KqlObject): string[] {
    switch (object.kind) {
        case "table":
            return [`.drop table ${object.name} ifexists`];
        case "mapping":
            return [`.drop table ${object.table} ingestion ${object.format} mapping "${object.name}"`];
        case "table-policy":
            return [`.delete table ${object.table} policy ${object.policy}`];
        case "materialized-view":
            return [`.drop materialized-view ${object.name} ifexists`];
        case "function":
            return [`.drop function ${object.name} ifexists`];
        case "database-principal":
            return [`.drop database ${object.database} ${object.role} ('${object.principal}')`];
        case "view-policy":
            return [`.delete materialized-view ${object.view} policy ${object.policy}`];
        case "table-docstrings":
        case "table-backfill":
        case "table-append":
            return [];
    }
}

/** Drop commands for a set of scripts, in reverse order of creation. */
export function buildDropCommands(scripts: KqlScript[]): string[] {
    const objects = scripts.flatMap((s) => splitKqlCommands(s.text).map(describeKqlCommand));
    return objects.reverse().flatMap(dropCommandsFor);
}

/** The raw table and JSON mapping a topic's records land in, read from the model's files. */
export function sinkTargetOf(scripts: KqlScript[]): {
    table: string;
    mapping: string;
    mappingColumns: { column: string; path: string; transform?: string }[];
    tableColumns: { name: string; type: string }[];
} {
    const objects = scripts.flatMap((s) => splitKqlCommands(s.text).map(describeKqlCommand));
    const table = objects.find((o): o is Extract<KqlObject, { kind: "table" }> => o.kind === "table");
    const mapping = objects.find((o): o is Extract<KqlObject, { kind: "mapping" }> => o.kind === "mapping" && o.format === "json");
    if (!table || !mapping) throw new Error(`the ADX model ${scripts[0]?.name ?? "(empty)"} must declare a table and a JSON ingestion mapping`);
    if (mapping.table !== table.name) throw new Error(`mapping "${mapping.name}" targets table ${mapping.table}, but the model declares ${table.name}`);
    return { table: table.name, mapping: mapping.name, mappingColumns: mapping.columns, tableColumns: table.columns };
}

/** The scripts without the commands `exclude` matches; a script left with no command is dropped. */
export function withoutKqlCommands(scripts: KqlScript[], exclude: (object: KqlObject) => boolean): KqlScript[] {
    return scripts
        .map((s) => {
            const commands = splitKqlCommands(s.text);
            const kept = commands.filter((c) => !exclude(describeKqlCommand(c)));
            return kept.length === commands.length ? s : { name: s.name, text: kept.join("\n\n") + "\n" };
        })
        .filter((s) => splitKqlCommands(s.text).length > 0);
}

/** True for the table streaming ingestion policy, which a queued-only cluster (an ADX free cluster) has no use for. */
export function isStreamingIngestionPolicy(object: KqlObject): boolean {
    return object.kind === "table-policy" && object.policy.toLowerCase() === "streamingingestion";
}

/**
 * The model's current-state function: the function that reads the materialized view built on the
 * sink's raw table (kql/<table>/40-current-state.kql), with the key the view summarizes by.
 */
export function currentStateOf(scripts: KqlScript[]): { functionName: string; view: string; keys: string[] } {
    const objects = scripts.flatMap((s) => splitKqlCommands(s.text).map(describeKqlCommand));
    const target = sinkTargetOf(scripts);
    const view = objects.find((o): o is Extract<KqlObject, { kind: "materialized-view" }> => o.kind === "materialized-view" && o.source === target.table);
    if (!view) throw new Error(`the ADX model ${scripts[0]?.name ?? "(empty)"} has no materialized view on ${target.table}`);
    const byClause = /arg_max\([^)]*\)\s+by\s+(.+)$/.exec(view.query)?.[1];
    const keys = byClause ? splitTopLevel(byClause).map((item) => parseByItem(item).column) : [];
    const fn = objects.find((o): o is Extract<KqlObject, { kind: "function" }> => o.kind === "function" && new RegExp(`materialized_view\\(["']${view.name}["']\\)`).test(o.body));
    if (!fn || keys.length === 0)
        throw new Error(`the ADX model ${scripts[0]?.name ?? "(empty)"} has no function over materialized_view("${view.name}") or the view has no "arg_max(...) by <key>"`);
    return { functionName: fn.name, view: view.name, keys };
}
