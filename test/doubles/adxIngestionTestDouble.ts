// TEST DOUBLE, ingestion side of ADX: what the ADX REST test double does with the rows the real
// Kusto sink streams to it. Everything is derived from what the double received: the table schema
// from `.create-merge table`, the JSON mapping from `.create-or-alter ... ingestion json mapping`,
// the current state from the materialized view (`summarize arg_max(lsn, *) by <keys>`) and the
// function over it (`materialized_view("V") | where not(deleted) | project ...`). It knows no table.

export type KustoValue = string | number | boolean | null;
export type KustoRow = Record<string, KustoValue>;

export interface MappingColumn {
    column: string;
    path: string;
    transform?: string;
}

/** ADX's conversion of a JSON value to a column type, as ingestion applies it (a bad value becomes null, as ADX does). */
export function convertToKustoType(value: unknown, kustoType: string, transform?: string): KustoValue {
    if (value === null || value === undefined) return null;
    if (transform === "DateTimeFromUnixMilliseconds") return Number.isFinite(Number(value)) ? new Date(Number(value)).toISOString() : null;
    switch (kustoType) {
        case "long":
        case "int": {
            const n = Number(value);
            return Number.isInteger(n) ? n : null;
        }
        case "real": {
            const n = Number(value);
            return Number.isFinite(n) ? n : null;
        }
        case "decimal":
            return /^-?\d+(\.\d+)?$/.test(String(value)) ? String(value) : null;
        case "bool":
            if (value === true || value === "true") return true;
            if (value === false || value === "false") return false;
            return null;
        case "datetime": {
            const d = new Date(String(value));
            return Number.isNaN(d.getTime()) ? null : d.toISOString();
        }
        case "string":
            return typeof value === "string" ? value : JSON.stringify(value);
        case "dynamic":
            return JSON.stringify(value);
        default:
            throw new Error(`the ADX test double has no conversion for Kusto type ${kustoType}`);
    }
}

/** Parses a cslschema string ("a:long,b:string") into column → type. */
export function parseCslSchema(schema: string): Map<string, string> {
    return new Map(schema.split(",").filter(Boolean).map((c) => c.split(":") as [string, string]));
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
            record = JSON.parse(line);
        } catch {
            return { error: `Stream_InputStreamParsingError: line ${index + 1} is not valid JSON: ${line.slice(0, 80)}` };
        }
        if (!record || typeof record !== "object" || Array.isArray(record)) return { error: `Stream_InputStreamParsingError: line ${index + 1} is not a JSON object` };
        const row: KustoRow = {};
        for (const [column] of columns) row[column] = null;
        for (const m of mapping) {
            const type = columns.get(m.column);
            if (!type) return { error: `BadRequest_MappingReferencesUnknownColumn: mapping column ${m.column} is not in the table` };
            const field = m.path.replace(/^\$\./, "");
            row[m.column] = convertToKustoType((record as Record<string, unknown>)[field], type, m.transform);
        }
        rows.push(row);
    }
    return { rows };
}

/** `T | summarize arg_max(lsn, *) by k1, k2` as the double understands a materialized view. */
export function parseLatestPerKeyView(query: string): { source: string; orderBy: string; keys: string[] } | undefined {
    const m = /^\s*(\w+)\s*\|\s*summarize\s+arg_max\((\w+),\s*\*\)\s+by\s+([\w\s,]+?)\s*$/.exec(query.replace(/\s+/g, " "));
    return m ? { source: m[1], orderBy: m[2], keys: m[3].split(",").map((k) => k.trim()) } : undefined;
}

/** The latest row per key by the ordering column; ties (at-least-once duplicates) collapse to one. */
export function latestPerKey(rows: KustoRow[], orderBy: string, keys: string[]): KustoRow[] {
    const latest = new Map<string, KustoRow>();
    for (const row of rows) {
        const identity = JSON.stringify(keys.map((k) => row[k]));
        const current = latest.get(identity);
        if (!current || Number(row[orderBy]) >= Number(current[orderBy])) latest.set(identity, row);
    }
    return [...latest.values()];
}

/** `materialized_view("V") | where not(deleted) | project a, b` as the double understands a current-state function body. */
export function parseCurrentStateFunction(body: string): { view: string; hideColumn?: string; project?: string[] } | undefined {
    const m = /^\{\s*materialized_view\(["'](\w+)["']\)\s*(?:\|\s*where\s+not\((\w+)\)\s*)?(?:\|\s*project\s+([\w\s,]+?)\s*)?\}$/.exec(body.replace(/\s+/g, " ").trim());
    return m ? { view: m[1], hideColumn: m[2], project: m[3]?.split(",").map((c) => c.trim()) } : undefined;
}
