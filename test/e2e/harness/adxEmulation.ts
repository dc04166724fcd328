// "What ADX would hold": applies the JSON ingestion mapping declared in kql/ to the records read
// from the topic (path → column, the mapping's transforms, ADX's type conversions), then the
// current-state rule of the KQL model (arg_max(lsn) per key, deleted keys hidden).
import { sinkTargetOf, KqlScript } from "../../../kql/kqlModel";
import { CurrentStateProbe } from "../../../operations/verifyPipeline";

export type AdxRow = Record<string, string | number | boolean | null>;

/** ADX's conversion of a JSON value to a column type, as ingestion applies it. */
export function convertToKustoType(value: unknown, kustoType: string, transform?: string): string | number | boolean | null {
    if (value === null || value === undefined) return null;
    if (transform === "DateTimeFromUnixMilliseconds") return new Date(Number(value)).toISOString();
    switch (kustoType) {
        case "long":
        case "int": {
            const n = Number(value);
            if (!Number.isInteger(n)) throw new Error(`ADX would reject ${JSON.stringify(value)} as ${kustoType}`);
            return n;
        }
        case "decimal": {
            if (!/^-?\d+(\.\d+)?$/.test(String(value))) throw new Error(`ADX would reject ${JSON.stringify(value)} as decimal`);
            return String(value);
        }
        case "bool":
            if (value === true || value === "true") return true;
            if (value === false || value === "false") return false;
            throw new Error(`ADX would reject ${JSON.stringify(value)} as bool`);
        case "datetime": {
            const d = new Date(String(value));
            if (Number.isNaN(d.getTime())) throw new Error(`ADX would reject ${JSON.stringify(value)} as datetime`);
            return d.toISOString();
        }
        case "string":
            return typeof value === "string" ? value : JSON.stringify(value);
        default:
            throw new Error(`no conversion for Kusto type ${kustoType}`);
    }
}

/** One raw-table row per record, through the model's mapping. */
export function ingestWithMapping(scripts: KqlScript[], records: unknown[]): AdxRow[] {
    const target = sinkTargetOf(scripts);
    const types = new Map(target.tableColumns.map((c) => [c.name, c.type]));
    return records.map((record) => {
        const row: AdxRow = {};
        for (const m of target.mappingColumns) {
            const field = m.path.replace(/^\$\./, "");
            row[m.column] = convertToKustoType((record as Record<string, unknown>)[field], types.get(m.column)!, m.transform);
        }
        return row;
    });
}

/** The current-state rule: latest change per key by lsn, then deleted keys hidden. */
export function currentState(rows: AdxRow[], key: string): { rows: AdxRow[]; duplicates: number } {
    const latest = new Map<string, AdxRow>();
    const seen = new Set<string>();
    let duplicates = 0;
    for (const row of rows) {
        const identity = `${row[key]}@${row.lsn}@${row.op}`;
        if (seen.has(identity)) duplicates++;
        seen.add(identity);
        const current = latest.get(String(row[key]));
        if (!current || Number(row.lsn) >= Number(current.lsn)) latest.set(String(row[key]), row);
    }
    return { rows: [...latest.values()].filter((r) => r.deleted !== true), duplicates };
}

/** `npm run verify`'s probe on the harness: the current state as ADX would hold it from the records read so far. */
export function harnessCurrentStateProbe(scripts: KqlScript[], key: string, records: () => unknown[]): CurrentStateProbe {
    return {
        description: "what ADX would hold (e2e harness)",
        async findRow(keyValue: string) {
            const state = currentState(ingestWithMapping(scripts, records()), key);
            return state.rows.find((r) => String(r[key]) === keyValue);
        },
    };
}
