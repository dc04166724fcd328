// TEST DOUBLE, ingestion side of ADX: what the ADX REST test double does with the rows the real
// Kusto sink streams to it. Everything is derived from what the double received: the table schema
// from `.create-merge table`, the JSON mapping from `.create-or-alter ... ingestion json mapping`,
// the current state from the materialized view (`summarize arg_max(lsn, *) by <keys>`) and the
// function over it (`materialized_view("V") | where not(deleted) | project ...`). It knows no table.
// Values convert as ADX documents its types: 64-bit integers exactly (the JSON is read losslessly),
// datetimes in the documented ISO 8601 forms to 100 ns, anything unparsable as null.
import { isLosslessNumber, parse as parseLosslessJson, stringify as stringifyLosslessJson } from "lossless-json";
import { parseByItem, splitTopLevel, unquoteKqlIdentifier } from "../../kql/kqlModel";
import { evaluateKql, parseKqlExpression } from "./kqlExpression";

/** int/long as bigint, decimal/datetime/timespan/guid as canonical text, dynamic as parsed JSON. */
export type KustoValue = string | number | boolean | bigint | null | object;
export type KustoRow = Record<string, KustoValue>;

export interface MappingColumn {
    column: string;
    path: string;
    transform?: string;
}

const INT_RANGE = { int: [-(2n ** 31n), 2n ** 31n - 1n], long: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

/** A JSON value's text as a number literal, or undefined. */
function numberText(value: unknown): string | undefined {
    if (isLosslessNumber(value)) return value.toString();
    if (typeof value === "number" || typeof value === "bigint") return String(value);
    if (typeof value === "string" && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) return value.trim();
    return undefined;
}

/** Kusto's documented ISO 8601 datetime forms, normalized to UTC with 7 fractional digits; else null. */
export function parseKustoDatetime(text: string): string | null {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
    if (!m) return null;
    const [, y, mo, d, h = "00", mi = "00", s = "00", fraction = "", zone] = m;
    const date = new Date(0);
    date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
    date.setUTCHours(Number(h), Number(mi), Number(s), 0);
    if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
    if (zone && zone !== "Z") {
        const sign = zone.startsWith("-") ? -1 : 1;
        const digits = zone.slice(1).replace(":", "");
        date.setTime(date.getTime() - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000);
    }
    const year = date.getUTCFullYear();
    if (year < 1 || year > 9999) return null;
    return `${String(year).padStart(4, "0")}${date.toISOString().slice(date.toISOString().indexOf("-", 1))}`.replace(/\.\d{3}Z$/, `.${fraction.padEnd(7, "0")}Z`);
}

/** ADX's conversion of a JSON value to a column type, as ingestion applies it (a bad value becomes null, as ADX does). */
/** ADX's limit on one string value, and on one dynamic value as JSON (1 MB): a longer string is cut, a larger dynamic value is null. */
export const KUSTO_VALUE_MAX_BYTES = 1024 * 1024;

/** Cuts UTF-8 text to at most `maxBytes` bytes, never inside a character. */
function truncateUtf8(text: string, maxBytes: number): string {
    const bytes = Buffer.from(text, "utf8");
    if (bytes.length <= maxBytes) return text;
    let end = maxBytes;
    while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
    return bytes.subarray(0, end).toString("utf8");
}

export function convertToKustoType(value: unknown, kustoType: string, transform?: string): KustoValue {
    // A Kusto string is never null: a missing or null value is "" (the record column keeps the difference).
    if (value === null || value === undefined) return kustoType === "string" ? "" : null;
    if (transform === "DateTimeFromUnixMilliseconds") {
        const ms = Number(numberText(value));
        return Number.isFinite(ms) ? parseKustoDatetime(new Date(ms).toISOString()) : null;
    }
    if (transform) throw new Error(`the ADX test double has no mapping transform ${transform}`);
    switch (kustoType) {
        case "int":
        case "long": {
            const text = numberText(value);
            if (!text || !/^[+-]?\d+$/.test(text)) return null;
            const n = BigInt(text);
            const [min, max] = INT_RANGE[kustoType];
            return n >= min && n <= max ? n : null;
        }
        case "real": {
            const text = numberText(value) ?? (typeof value === "string" && /^-?(NaN|Infinity)$/.test(value) ? value : undefined);
            return text === undefined ? null : Number(text);
        }
        case "decimal": {
            const text = numberText(value);
            return text ?? null;
        }
        case "bool":
            if (value === true || value === "true") return true;
            if (value === false || value === "false") return false;
            return null;
        case "datetime":
            return typeof value === "string" ? parseKustoDatetime(value) : null;
        case "timespan": {
            // As Kusto prints a timespan (.NET's "c" format): [-][d.]hh:mm:ss[.fffffff], hours past 23 carried
            // into days (totimespan("24:00:00") is 1.00:00:00), the fraction only when it is not zero.
            const m = typeof value === "string" ? /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(value.trim()) : null;
            if (!m) return null;
            const hours = Number(m[3]);
            const days = Number(m[2] ?? 0) + Math.floor(hours / 24);
            const fraction = (m[6] ?? "").padEnd(7, "0");
            return `${m[1] ?? ""}${days ? `${days}.` : ""}${String(hours % 24).padStart(2, "0")}:${m[4]}:${m[5] ?? "00"}${/^0+$/.test(fraction) ? "" : `.${fraction}`}`;
        }
        case "guid":
            return typeof value === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value) ? value.toLowerCase() : null;
        case "string":
            return truncateUtf8(typeof value === "string" ? value : (numberText(value) ?? stringifyLosslessJson(value) ?? ""), KUSTO_VALUE_MAX_BYTES);
        case "dynamic":
            return Buffer.byteLength(stringifyLosslessJson(value) ?? "", "utf8") > KUSTO_VALUE_MAX_BYTES ? null : (value as object);
        default:
            throw new Error(`the ADX test double has no conversion for Kusto type ${kustoType}`);
    }
}

/** A cslschema string ("a:long,['b c']:string") as column → type, in order. */
export function parseCslSchema(schema: string): Map<string, string> {
    return new Map(
        splitTopLevel(schema).map((c) => {
            const colon = c.lastIndexOf(":");
            return [unquoteKqlIdentifier(c.slice(0, colon)), c.slice(colon + 1).trim()] as [string, string];
        }),
    );
}

/** The cslschema ADX shows for columns: names that are not plain identifiers bracket-quoted. */
export function renderCslSchema(columns: Map<string, string>): string {
    const name = (n: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : `['${n.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`);
    return [...columns].map(([n, t]) => `${name(n)}:${t}`).join(",");
}

/** The record field a mapping path names: `$.name` or `$['name']` (top level, as the generated mappings use); `$` is the whole record. */
function valueAt(record: Record<string, unknown>, path: string): unknown {
    return path === "$" ? record : record[fieldOf(path)];
}

function fieldOf(path: string): string {
    const bracket = /^\$\[\s*(['"])((?:[^\\]|\\.)*?)\1\s*\]$/.exec(path);
    if (bracket) return bracket[2].replace(/\\(.)/g, "$1");
    if (/^\$\.[A-Za-z_][A-Za-z0-9_]*$/.test(path)) return path.slice(2);
    throw new Error(`the ADX test double reads top-level JSONPaths only, not ${path}`);
}

/**
 * Ingests a multijson stream: one row per JSON object, through the mapping. A line that is not a
 * JSON object makes ADX reject the whole request permanently (returned as an error, no row kept).
 */
export function ingestMultiJson(text: string, columns: Map<string, string>, mapping: MappingColumn[]): { rows: KustoRow[] } | { error: string } {
    const rows: KustoRow[] = [];
    const lines = text.split("\n").filter((l) => l.trim().length > 0);
    for (const [index, line] of lines.entries()) {
        let record: unknown;
        try {
            record = parseLosslessJson(line);
        } catch {
            return { error: `Stream_InputStreamParsingError: line ${index + 1} is not valid JSON: ${line.slice(0, 80)}` };
        }
        if (!record || typeof record !== "object" || Array.isArray(record)) return { error: `Stream_InputStreamParsingError: line ${index + 1} is not a JSON object` };
        const row: KustoRow = {};
        for (const [column] of columns) row[column] = null;
        for (const m of mapping) {
            const type = columns.get(m.column);
            if (!type) return { error: `BadRequest_MappingReferencesUnknownColumn: mapping column ${m.column} is not in the table` };
            row[m.column] = convertToKustoType(valueAt(record as Record<string, unknown>, m.path), type, m.transform);
        }
        rows.push(row);
    }
    return { rows };
}

/** A key of a latest-per-key view: the output column and the expression it groups by. */
export interface ViewKey {
    name: string;
    expression: string;
}

/**
 * `T [| where p] [| extend o = e] | summarize arg_max(o, *) by k1, ['k 2'], ['k3_text'] = tostring(['record']["k3"])`
 * as the double understands a materialized view.
 */
export function parseLatestPerKeyView(query: string): { source: string; where?: string; extend?: ViewKey; orderBy: string; keys: ViewKey[] } | undefined {
    const m = /^\s*(\w+)\s*(?:\|\s*where\s+(.+?)\s*)?(?:\|\s*extend\s+(\w+)\s*=\s*(.+?)\s*)?\|\s*summarize\s+arg_max\((\w+),\s*\*\)\s+by\s+(.+?)\s*$/.exec(
        query.replace(/\s+/g, " "),
    );
    return m
        ? {
              source: m[1],
              ...(m[2] ? { where: m[2] } : {}),
              ...(m[3] ? { extend: { name: m[3], expression: m[4] } } : {}),
              orderBy: m[5],
              keys: splitTopLevel(m[6]).map((item) => {
                  const { name, expression } = parseByItem(item);
                  return { name, expression };
              }),
          }
        : undefined;
}

/**
 * The latest row per key by the ordering column (computed first by `extend`, when the view has one); ties
 * (at-least-once duplicates) collapse to one.
 */
export function latestPerKey(rows: KustoRow[], orderBy: string, keys: ViewKey[], extend?: ViewKey): KustoRow[] {
    const latest = new Map<string, KustoRow>();
    const keyExpressions = keys.map((k) => ({ name: k.name, expression: parseKqlExpression(k.expression) }));
    const extendExpression = extend && { name: extend.name, expression: parseKqlExpression(extend.expression) };
    for (const input of rows) {
        // A row the view materialized already has the extended column.
        const source = extendExpression && !(extendExpression.name in input) ? { ...input, [extendExpression.name]: evaluateKql(extendExpression.expression, input) } : input;
        // As ADX: a computed key is a column of the view's rows.
        const row = { ...source, ...Object.fromEntries(keyExpressions.map((k) => [k.name, evaluateKql(k.expression, source)])) };
        const identity = stringifyLosslessJson(keyExpressions.map((k) => row[k.name])) ?? "";
        const current = latest.get(identity);
        // Kusto's arg_max skips rows whose ordering value is null: such a row never wins over one that has a value.
        const order = row[orderBy] ?? null;
        const currentOrder = current?.[orderBy] ?? null;
        if (!current || (order !== null && (currentOrder === null || BigInt(order as bigint) >= BigInt(currentOrder as bigint))) || (order === null && currentOrder === null))
            latest.set(identity, row);
    }
    return [...latest.values()];
}

/** Splits KQL text at `separator` outside quotes, brackets and parentheses. */
function splitOutside(text: string, separator: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let quote: string | undefined;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (quote) {
            if (ch === "\\") i++;
            else if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === "(" || ch === "[") depth++;
        else if (ch === ")" || ch === "]") depth--;
        else if (depth === 0 && ch === separator) {
            parts.push(text.slice(start, i).trim());
            start = i + 1;
        }
    }
    parts.push(text.slice(start).trim());
    return parts.filter(Boolean);
}

export type CurrentStateLet =
    | { kind: "scalar"; name: string; table: string; where: string; aggregate: "max" | "min"; column: string }
    | { kind: "table"; name: string; table: string; where: string; as: string; min: string; by: string };
export type CurrentStateClause =
    { kind: "where"; expression: string } | { kind: "lookup"; table: string; on: string } | { kind: "project"; items: { name: string; expression: string }[] };

/**
 * A current-state function body as the generator writes it: `let` statements (a `toscalar(T | where
 * ... | summarize max(c))`, or `T | where ... | summarize x = min(c) by p`), then
 * `materialized_view("V")` followed by `where`, `lookup kind=leftouter L on p` and `project` clauses.
 */
export function parseCurrentStateFunction(body: string): { view: string; lets: CurrentStateLet[]; clauses: CurrentStateClause[] } | undefined {
    const text = body.replace(/\s+/g, " ").trim();
    if (!text.startsWith("{") || !text.endsWith("}")) return undefined;
    const statements = splitOutside(text.slice(1, -1), ";");
    const lets: CurrentStateLet[] = [];
    for (const statement of statements.slice(0, -1)) {
        let m: RegExpExecArray | null;
        if ((m = /^let (\w+) = toscalar\((\w+) \| where (.+) \| summarize (max|min)\((\w+)\)\)$/.exec(statement)))
            lets.push({ kind: "scalar", name: m[1], table: m[2], where: m[3], aggregate: m[4] as "max" | "min", column: m[5] });
        else if ((m = /^let (\w+) = (\w+) \| where (.+) \| summarize (\w+) = min\((\w+)\) by (\w+)$/.exec(statement)))
            lets.push({ kind: "table", name: m[1], table: m[2], where: m[3], as: m[4], min: m[5], by: m[6] });
        else return undefined;
    }
    const [source, ...pipes] = splitOutside(statements[statements.length - 1], "|");
    const view = /^materialized_view\(["'](\w+)["']\)$/.exec(source ?? "");
    if (!view) return undefined;
    const clauses: CurrentStateClause[] = [];
    for (const pipe of pipes) {
        let m: RegExpExecArray | null;
        if ((m = /^where (.+)$/.exec(pipe))) clauses.push({ kind: "where", expression: m[1] });
        else if ((m = /^lookup kind=leftouter (\w+) on (\w+)$/.exec(pipe))) clauses.push({ kind: "lookup", table: m[1], on: m[2] });
        else if ((m = /^project (.+)$/.exec(pipe)))
            clauses.push({
                kind: "project",
                items: splitTopLevel(m[1]).map((item) => {
                    const assignment = /^(\['(?:[^'\\]|\\.)*'\]|\w+)\s*=\s*(.+)$/.exec(item);
                    return assignment ? { name: unquoteKqlIdentifier(assignment[1]), expression: assignment[2] } : { name: unquoteKqlIdentifier(item), expression: item };
                }),
            });
        else return undefined;
    }
    return { view: view[1], lets, clauses };
}
