// TEST DOUBLE of the ADX REST endpoints (documented v1 REST API): POST /v1/rest/mgmt and
// /v1/rest/query, and the endpoints the real Kusto sink (Kusto Java SDK) calls: GET
// /v1/rest/auth/metadata, `.show ingestion resources`, `.get kusto identity token`, and streaming
// ingestion POST /v1/rest/ingest/{db}/{table}. Keeps tables, mappings, policies, views and functions
// in memory from the KQL it receives, stores streamed rows through the received mapping, answers
// current-state queries from the received view and function, and rejects unknown objects and bad
// requests with ADX-shaped error bodies. It understands only what this project and the sink send;
// it is not an ADX emulator. Served over HTTPS when given a certificate (the sink refuses http).
import * as http from "http";
import * as https from "https";
import * as zlib from "zlib";
import { stringify as stringifyLosslessJson } from "lossless-json";
import {
    convertToKustoType,
    ingestMultiJson,
    KustoRow,
    KustoValue,
    latestPerKey,
    parseCslSchema,
    parseCurrentStateFunction,
    parseLatestPerKeyView,
    renderCslSchema,
} from "./adxIngestionTestDouble";
import { evaluateKql, parseKqlExpression } from "./kqlExpression";
import { createQueuedIngestionStorage } from "./queuedIngestionTestDouble";
import { describeKqlCommand, KqlObject, splitTopLevel, unquoteKqlIdentifier } from "../../kql/kqlModel";
import { isValidKustoEntityName } from "../../kql/adxModel";

export interface IngestedRow {
    row: KustoRow;
    /** When the double received the request that carried the row (Date.now()). */
    receivedAtMs: number;
}

export interface IngestRequest {
    db: string;
    table: string;
    rows: number;
    bytes: number;
    atMs: number;
    status: number;
    /** Streaming (the ingest endpoint) or queued (a blob named by a queue message). */
    kind: "streaming" | "queued";
}

export interface AdxTestDouble {
    url: string;
    commands: { db: string; csl: string }[];
    tables: Map<string, string>;
    mappings: Map<string, string>;
    views: Map<string, string>;
    functions: Map<string, string>;
    policies: Set<string>;
    principals: Set<string>;
    /** Answers POST /v1/rest/query; unset, queries are rejected. The test supplies what the database holds. */
    queryHandler?: (db: string, csl: string) => { columns: string[]; rows: unknown[][] };
    queries: { db: string; csl: string }[];
    /** Commands matching this pattern fail with a semantic error (to test error surfacing). */
    failOn?: RegExp;
    /** Queued ingestions that failed inside ADX (the sink was told only that its message was queued), as `.show ingestion failures` lists them. */
    ingestionFailures: { database: string; table: string; failedOnMs: number; details: string; errorCode: string; kind: IngestRequest["kind"] }[];
    /** Rows stored per table by streaming ingestion. */
    ingested: Map<string, IngestedRow[]>;
    ingestRequests: IngestRequest[];
    /** Fault injection: an HTTP status the double answers every request with while it returns one (e.g. 503, 429). */
    outage?: () => number | undefined;
    /** Called when a streaming ingest request has arrived, before the double stores its rows (to time a fault into a flush). */
    onIngestRequest?: () => Promise<void>;
    /**
     * Bulk loads (`bench-initial-load`): rows of tables this returns true for are handed to
     * `onRowsIngested` and not kept (millions of rows would fill this process's heap).
     */
    discardRowsOf?: (table: string) => boolean;
    /**
     * Called with every ingestion's rows as they are stored (or discarded): `receivedAtMs` when they
     * became queryable, `handedAtMs` when the sink handed them to ADX (its streaming request, or the
     * queue message naming their blob: queued rows are ADX's from then on).
     */
    onRowsIngested?: (table: string, rows: KustoRow[], receivedAtMs: number, handedAtMs: number) => void;
    /**
     * The rows a current-state function returns, evaluated from the KQL the double received; `stored`
     * skips its final projection, so each visible row keeps its values as stored (for value-by-value checks).
     */
    currentState(functionName: string, options?: { stored?: boolean }): KustoRow[];
    /**
     * The change table's retention passing: its rows matching `expired` are removed, as ADX removes
     * extents past their soft-delete period. Materialized views keep what they materialized (their own
     * retention), as in ADX: the records they hold are not taken from the source table again.
     */
    expireRows(table: string, expired: (row: KustoRow) => boolean): number;
    close(): Promise<void>;
}

export interface AdxTestDoubleOptions {
    /** PEM certificate and key: serve HTTPS (the Kusto sink accepts https only). */
    tls?: { cert: string; key: string };
    /** Accept only this bearer token (as a cluster accepts only tokens issued for it); unset, any. */
    acceptedToken?: string;
}

const v1 = (columns: string[], rows: unknown[][]) => ({
    Tables: [{ TableName: "Table_0", Columns: columns.map((c) => ({ ColumnName: c, DataType: "String", ColumnType: "string" })), Rows: rows }],
});
const error = (code: string, message: string, permanent = false) => ({
    error: { code, message: "Request is invalid and cannot be executed.", "@type": "Kusto.Data.Exceptions.SemanticException", "@message": message, "@permanent": permanent },
});

export async function startAdxTestDouble(options: AdxTestDoubleOptions = {}): Promise<AdxTestDouble> {
    const state: Omit<AdxTestDouble, "url" | "close" | "currentState" | "expireRows"> & {
        batchingTimeSpanMs: Map<string, number>;
        /** Update policies by target table: the source table and the query run over each ingestion into it. */
        updatePolicies: Map<string, { source: string; query: string }>;
        /** Per view, the records it materialized from source rows since expired (its own retention keeps them). */
        materialized: Map<string, KustoRow[]>;
    } = {
        materialized: new Map(),
        batchingTimeSpanMs: new Map(),
        updatePolicies: new Map(),
        ingestionFailures: [],
        commands: [],
        queries: [],
        tables: new Map(),
        mappings: new Map(),
        views: new Map(),
        functions: new Map(),
        policies: new Set(),
        principals: new Set(),
        ingested: new Map(),
        ingestRequests: [],
    };
    let baseUrl = "";
    const handle = (db: string, csl: string): [number, unknown] => {
        const one = csl.replace(/\s+/g, " ").trim();
        let m: RegExpExecArray | null;
        if (state.failOn?.test(one))
            return [400, error("BadRequest_SemanticError", `Semantic error: '${one.slice(0, 40)}' has the following semantic error: SEM0100: test double was told to fail.`)];
        // What the Kusto SDK asks at client start: where queued ingestion would upload, and an identity token.
        if (one === ".show ingestion resources") {
            const url = (kind: string) => storage.resourceUrl(kind);
            return [
                200,
                v1(
                    ["ResourceTypeName", "StorageRoot"],
                    ["SecuredReadyForAggregationQueue", "FailedIngestionsQueue", "SuccessfulIngestionsQueue", "TempStorage", "IngestionsStatusTable"].map((k) => [k, url(k)]),
                ),
            ];
        }
        // `.set-or-append T <| datatable(c:type, ...) [literal, ...]`: creates T when missing, appends the rows.
        const setOrAppend = /^\.set-or-append (\w+) <\| datatable\(([^)]*)\)\s*\[(.*)\]$/s.exec(one);
        if (setOrAppend) {
            const [, table, schemaText, valuesText] = setOrAppend;
            const schema = splitTopLevel(schemaText).map((c) => c.split(":").map((x) => x.trim()) as [string, string]);
            if (!state.tables.has(table)) state.tables.set(table, schemaText.replace(/\s+/g, " ").trim());
            const literals = splitTopLevel(valuesText).map((v) => {
                const m = /^(?:datetime|real)\((.*)\)$/.exec(v);
                return m ? m[1] : v.startsWith('"') ? JSON.parse(v) : v;
            });
            const stored = state.ingested.get(table) ?? [];
            for (let i = 0; i + schema.length <= literals.length; i += schema.length)
                stored.push({ row: Object.fromEntries(schema.map(([name, type], j) => [name, convertToKustoType(literals[i + j], type)])), receivedAtMs: Date.now() });
            state.ingested.set(table, stored);
            return [200, v1(["ExtentId", "OriginalSize"], [["double", literals.length]])];
        }
        if (one === ".show ingestion failures")
            return [
                200,
                v1(
                    ["Database", "Table", "FailedOn", "Details", "ErrorCode", "FailureKind"],
                    state.ingestionFailures
                        .filter((f) => f.kind === "queued")
                        .map((f) => [f.database, f.table, new Date(f.failedOnMs).toISOString(), f.details, f.errorCode, "Permanent"]),
                ),
            ];
        if (one === ".show streamingingestion failures") {
            // Aggregated per database, table and error code, as ADX buckets them.
            const buckets = new Map<string, { database: string; table: string; errorCode: string; count: number; first: number; last: number }>();
            for (const f of state.ingestionFailures.filter((x) => x.kind === "streaming")) {
                const key = `${f.database}/${f.table}/${f.errorCode}`;
                const b = buckets.get(key) ?? { database: f.database, table: f.table, errorCode: f.errorCode, count: 0, first: f.failedOnMs, last: f.failedOnMs };
                buckets.set(key, { ...b, count: b.count + 1, last: f.failedOnMs });
            }
            return [
                200,
                v1(
                    ["Database", "Table", "Count", "FirstFailureOn", "LastFailureOn", "FailureKind", "ErrorCode"],
                    [...buckets.values()].map((b) => [b.database, b.table, b.count, new Date(b.first).toISOString(), new Date(b.last).toISOString(), "Permanent", b.errorCode]),
                ),
            ];
        }
        if (one === ".get kusto identity token") return [200, v1(["AuthorizationContext"], [["test-double-identity-token"]])];
        if ((m = /^\.create-merge table (\w+) \(/.exec(one))) {
            // create-merge: a new table, or new columns appended to an existing one; existing columns keep their type.
            const declared = describeKqlCommand(one) as Extract<KqlObject, { kind: "table" }>;
            // As ADX: a column name holds only letters, digits, "_", " ", "." and "-", and KQL reserves "__" at either end.
            const invalid = declared.columns.find((c) => !isValidKustoEntityName(c.name));
            if (invalid) return [400, error("BadRequest_InvalidEntityName", `Semantic error: '${invalid.name}' is not a valid entity name for a column of table '${m[1]}'`)];
            const columns = parseCslSchema(state.tables.get(m[1]) ?? "");
            const conflict = declared.columns.find((c) => columns.has(c.name) && columns.get(c.name) !== c.type);
            if (conflict)
                return [
                    400,
                    error(
                        "BadRequest_BadParameters",
                        `Column '${conflict.name}' of table '${m[1]}' is of type '${columns.get(conflict.name)}', cannot merge with type '${conflict.type}'`,
                        true,
                    ),
                ];
            const added = declared.columns.filter((c) => !columns.has(c.name));
            for (const c of added) columns.set(c.name, c.type);
            // As in ADX, rows already stored read the new columns as null; a new string column as "" (a Kusto string is never null).
            for (const stored of state.ingested.get(m[1]) ?? []) for (const c of added) stored.row[c.name] ??= c.type === "string" ? "" : null;
            return (state.tables.set(m[1], renderCslSchema(columns)), [200, v1(["TableName"], [[m[1]]])]);
        }
        if ((m = /^\.alter-merge table (\w+) column-docstrings/.exec(one)))
            return state.tables.has(m[1]) ? [200, v1([], [])] : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.create-or-alter table (\w+) ingestion json mapping "([^"]+)" (.*)$/.exec(one))) {
            if (!state.tables.has(m[1])) return [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
            const json = [...m[3].matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1].replace(/\\(.)/g, "$1")).join("");
            return (state.mappings.set(`${m[1]}/${m[2]}`, JSON.stringify(JSON.parse(json))), [200, v1(["Name"], [[m[2]]])]);
        }
        if ((m = /^\.alter table (\w+) policy ingestionbatching ```(.*)```$/.exec(one)) && state.tables.has(m[1])) {
            // What queued ingestion waits before a batch becomes queryable (hh:mm:ss).
            const span = /"MaximumBatchingTimeSpan"\s*:\s*"(\d+):(\d+):(\d+)"/.exec(m[2]);
            if (span) state.batchingTimeSpanMs.set(m[1], ((Number(span[1]) * 60 + Number(span[2])) * 60 + Number(span[3])) * 1000);
        }
        if ((m = /^\.alter table (\w+) policy update ```(.*)```$/.exec(one))) {
            if (!state.tables.has(m[1])) return [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
            const [policy] = JSON.parse(m[2]);
            if (!state.tables.has(policy.Source)) return [400, error("BadRequest_EntityNotFound", `Update policy source table '${policy.Source}' was not found`)];
            state.updatePolicies.set(m[1], { source: policy.Source, query: policy.Query });
        }
        if ((m = /^\.alter materialized-view (\w+) policy (\w+)/.exec(one)))
            return state.views.has(m[1])
                ? (state.policies.add(`${m[1]}/${m[2]}`), [200, v1([], [])])
                : [400, error("BadRequest_EntityNotFound", `Materialized view '${m[1]}' was not found`)];
        if ((m = /^\.delete materialized-view (\w+) policy (\w+)$/.exec(one))) return (state.policies.delete(`${m[1]}/${m[2]}`), [200, v1([], [])]);
        // `.set-or-append T <| query`: the query's rows appended (the generated fence backfill).
        if ((m = /^\.set-or-append (\w+) <\| (.*)$/.exec(one))) {
            if (!state.tables.has(m[1])) return [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
            try {
                return [200, v1(["ExtentId", "RowCount"], [["double", appendRows(m[1], runQuery(m[2]))]])];
            } catch (e: any) {
                return [400, error("BadRequest_SemanticError", String(e.message))];
            }
        }
        if ((m = /^\.alter table (\w+) policy (\w+)/.exec(one)))
            return state.tables.has(m[1]) ? (state.policies.add(`${m[1]}/${m[2]}`), [200, v1([], [])]) : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.create ifnotexists materialized-view .*?(\w+) on table (\w+) \{(.*)\}$/.exec(one))) {
            // As ADX: a summarize key must not be dynamic ("summarize ... by tostring(c)" is the fix it names).
            const schema = parseCslSchema(state.tables.get(m[2]) ?? "");
            const dynamicKey = parseLatestPerKeyView(m[3])?.keys.find((k) => unquoteKqlIdentifier(k.expression) === k.name && schema.get(k.name) === "dynamic");
            if (dynamicKey)
                return [
                    400,
                    error(
                        "BadRequest_SemanticError",
                        `Semantic error: Summarize group key '${dynamicKey.name}' is of a 'dynamic' type. Please use an explicit cast (for example, 'summarize ... by tostring(${dynamicKey.name})')`,
                    ),
                ];
            if (!state.views.has(m[1])) state.views.set(m[1], m[3].trim());
            return [200, v1(["Name"], [[m[1]]])];
        }
        if ((m = /^\.create-or-alter function .*?(\w+)\(\) (\{.*\})$/.exec(one))) return (state.functions.set(m[1], m[2]), [200, v1(["Name"], [[m[1]]])]);
        if (/^\.update table /.test(one)) return updateTable(one);
        if ((m = /^\.add database (\S+) (\w+) \('([^']+)'\)/.exec(one))) return (state.principals.add(`${m[2]}:${m[3]}`), [200, v1([], [])]);
        if ((m = /^\.drop database (\S+) (ingestors|viewers|admins) \('([^']+)'\)$/.exec(one))) return (state.principals.delete(`${m[2]}:${m[3]}`), [200, v1([], [])]);
        if ((m = /^\.show database (\S+) principals$/.exec(one))) {
            const singular: Record<string, string> = { ingestors: "Ingestor", viewers: "Viewer", admins: "Admin" };
            const rows = [...state.principals].map((p) => [`Database ${db} ${singular[p.slice(0, p.indexOf(":"))]}`, "AAD Application", p.slice(p.indexOf(":") + 1)]);
            return [200, v1(["Role", "PrincipalType", "PrincipalFQN"], rows)];
        }
        if ((m = /^\.show table (\w+) cslschema$/.exec(one)))
            return state.tables.has(m[1])
                ? [200, v1(["TableName", "Schema"], [[m[1], state.tables.get(m[1])]])]
                : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.show table (\w+) ingestion json mapping "([^"]+)"$/.exec(one))) {
            const mapping = state.mappings.get(`${m[1]}/${m[2]}`);
            return mapping ? [200, v1(["Name", "Kind", "Mapping"], [[m[2], "Json", mapping]])] : [400, error("BadRequest_EntityNotFound", `Mapping '${m[2]}' could not be found`)];
        }
        if ((m = /^\.show materialized-view (\w+)$/.exec(one)))
            return state.views.has(m[1])
                ? [200, v1(["Name", "Query"], [[m[1], state.views.get(m[1])]])]
                : [400, error("BadRequest_EntityNotFound", `Materialized view '${m[1]}' was not found`)];
        if ((m = /^\.show function (\w+)$/.exec(one)))
            return state.functions.has(m[1])
                ? [200, v1(["Name", "Body"], [[m[1], state.functions.get(m[1])]])]
                : [400, error("BadRequest_EntityNotFound", `Function '${m[1]}' was not found`)];
        if ((m = /^\.drop function (\w+) ifexists$/.exec(one))) return (state.functions.delete(m[1]), [200, v1([], [])]);
        // As in ADX, a dropped view takes what it materialized with it, and a dropped table its rows.
        if ((m = /^\.drop materialized-view (\w+) ifexists$/.exec(one))) return (state.views.delete(m[1]), state.materialized.delete(m[1]), [200, v1([], [])]);
        if ((m = /^\.delete table (\w+) policy (\w+)$/.exec(one))) {
            if (m[2] === "update") state.updatePolicies.delete(m[1]);
            return (state.policies.delete(`${m[1]}/${m[2]}`), [200, v1([], [])]);
        }
        if ((m = /^\.drop table (\w+) ingestion json mapping "([^"]+)"$/.exec(one)))
            return state.mappings.delete(`${m[1]}/${m[2]}`) ? [200, v1([], [])] : [400, error("BadRequest_EntityNotFound", `Mapping '${m[2]}' could not be found`)];
        if ((m = /^\.drop table (\w+) ifexists$/.exec(one))) return (state.tables.delete(m[1]), state.ingested.delete(m[1]), [200, v1([], [])]);
        // `.clear table T data` keeps the table and drops its rows; `.clear materialized-view V data` drops what V materialized.
        if ((m = /^\.clear table (\w+) data$/.exec(one)))
            return state.tables.has(m[1]) ? (state.ingested.set(m[1], []), [200, v1([], [])]) : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.clear materialized-view (\w+) data$/.exec(one)))
            return state.views.has(m[1])
                ? (state.materialized.delete(m[1]), [200, v1([], [])])
                : [400, error("BadRequest_EntityNotFound", `Materialized view '${m[1]}' was not found`)];
        return [400, error("BadRequest_SyntaxError", `Request is invalid and cannot be processed: Syntax error: SYN0002: unsupported by the test double: ${one.slice(0, 60)}`)];
    };
    /** A table's stored rows with every column of its schema: a column added after a row arrived reads null there, as in ADX. */
    const storedRows = (table: string): KustoRow[] => {
        const columns = [...parseCslSchema(state.tables.get(table) ?? "").keys()];
        return (state.ingested.get(table) ?? []).map((r) => ({ ...Object.fromEntries(columns.map((c) => [c, null])), ...r.row }));
    };
    /** The rows a current-state function returns, evaluated from the view and function the double received. */
    const currentStateRows = (functionName: string, options: { stored?: boolean } = {}): KustoRow[] => {
        const fn = state.functions.get(functionName);
        const body = fn && parseCurrentStateFunction(fn);
        if (!body) throw new Error(`Semantic error: SEM0260: Unknown function: '${functionName}' (or not a current-state function the test double understands)`);
        const viewQuery = state.views.get(body.view);
        const view = viewQuery && parseLatestPerKeyView(viewQuery);
        if (!view) throw new Error(`Semantic error: materialized view '${body.view}' was not found`);
        const rowsOf = (table: string) => storedRows(table);
        const scalars: Record<string, KustoValue> = {};
        const tables = new Map<string, Map<string, KustoValue>>();
        for (const l of body.lets) {
            const where = parseKqlExpression(l.where);
            const matching = rowsOf(l.table).filter((r) => evaluateKql(where, r, scalars) === true);
            if (l.kind === "scalar") {
                const values = matching.map((r) => r[l.column]).filter((v) => v !== null && v !== undefined) as bigint[];
                scalars[l.name] = values.length ? values.reduce((a, b) => ((l.aggregate === "max" ? b > a : b < a) ? b : a)) : null;
            } else {
                const mins = new Map<string, KustoValue>();
                for (const r of matching) {
                    const group = String(r[l.by]);
                    const v = r[l.min] as bigint;
                    if (!mins.has(group) || v < (mins.get(group) as bigint)) mins.set(group, v);
                }
                tables.set(l.name, new Map([...mins].map(([g, v]) => [g, v])));
                tables.set(`${l.name}#column`, new Map([["", l.as]]));
            }
        }
        const viewWhere = view.where === undefined ? undefined : parseKqlExpression(view.where);
        let rows = latestPerKey(
            [...(state.materialized.get(body.view) ?? []), ...rowsOf(view.source).filter((r) => !viewWhere || evaluateKql(viewWhere, r) === true)],
            view.orderBy,
            view.keys,
            view.extend,
        );
        for (const clause of body.clauses) {
            if (clause.kind === "where") {
                const where = parseKqlExpression(clause.expression);
                rows = rows.filter((r) => evaluateKql(where, r, scalars) === true);
            } else if (clause.kind === "lookup") {
                const found = tables.get(clause.table);
                const column = tables.get(`${clause.table}#column`)?.get("") as string | undefined;
                if (!found || !column) throw new Error(`Semantic error: '${clause.table}' is not a tabular let statement the double evaluated`);
                rows = rows.map((r) => ({ ...r, [column]: found.get(String(r[clause.on])) ?? null }));
            } else if (!options.stored) {
                const project = clause.items.map((p) => ({ name: p.name, expression: parseKqlExpression(p.expression) }));
                rows = rows.map((r) => Object.fromEntries(project.map((p) => [p.name, evaluateKql(p.expression, r, scalars)])));
            }
        }
        return rows;
    };
    /**
     * A query of the generated model: `F() | ...` of a stored function `{ T | ... }` (its table replaced
     * by `source` when given: an update policy sees only the rows of one ingestion) or `T | ...`.
     */
    const runQuery = (query: string, source?: { table: string; rows: KustoRow[] }): { columns: string[]; rows: unknown[][] } => {
        const [first, ...rest] = splitTopLevel(query.trim(), "|").map((s) => s.trim());
        const call = /^(\w+)\(\)$/.exec(first);
        const body = call ? state.functions.get(call[1]) : undefined;
        if (call && !body) throw new Error(`Semantic error: SEM0260: Unknown function: '${call[1]}'`);
        const [table, ...stages] = body ? [...splitTopLevel(body.replace(/^\{|\}$/g, "").trim(), "|").map((s) => s.trim()), ...rest] : [first, ...rest];
        return pipelineQuery(source && table === source.table ? { rows: source.rows } : { table }, stages);
    };
    /** Appends a query's rows to a table, each value as the table's column type; runs the table's update policies' targets too. */
    const appendRows = (table: string, result: { columns: string[]; rows: unknown[][] }): number => {
        const schema = parseCslSchema(state.tables.get(table)!);
        const stored = state.ingested.get(table) ?? [];
        const receivedAtMs = Date.now();
        for (const values of result.rows)
            stored.push({ row: Object.fromEntries([...schema].map(([c, type]) => [c, convertToKustoType(values[result.columns.indexOf(c)] ?? null, type)])), receivedAtMs });
        state.ingested.set(table, stored);
        return result.rows.length;
    };
    /** ADX runs each update policy whose source is `table` over the rows one ingestion added (transactional: its failure fails the ingestion). */
    const runUpdatePolicies = (table: string, rows: KustoRow[]): void => {
        for (const [target, policy] of state.updatePolicies) if (policy.source === table) appendRows(target, runQuery(policy.query, { table, rows }));
    };
    /** `.update table T delete D append A <| let D = T | where <expr>; let A = D | extend c = <expr>, ...`: the generated backfill. */
    const updateTable = (one: string): [number, unknown] => {
        const m = /^\.update table (\w+) delete (\w+) append (\w+) <\| let (\w+) = (\w+) \| where (.+?); let (\w+) = (\w+) \| extend (.+?);?$/.exec(one);
        if (!m || m[4] !== m[2] || m[5] !== m[1] || m[7] !== m[3] || m[8] !== m[2])
            return [
                400,
                error(
                    "BadRequest_SyntaxError",
                    `the test double runs only '.update table T delete D append A <| let D = T | where ...; let A = D | extend ...': ${one.slice(0, 80)}`,
                ),
            ];
        if (!state.tables.has(m[1])) return [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        const predicate = parseKqlExpression(m[6]);
        const assignments = splitTopLevel(m[9]).map((item) => {
            const eq = item.indexOf(" = ");
            return { column: unquoteKqlIdentifier(item.slice(0, eq).trim()), expression: parseKqlExpression(item.slice(eq + 3)) };
        });
        const columns = parseCslSchema(state.tables.get(m[1])!);
        let updated = 0;
        for (const stored of state.ingested.get(m[1]) ?? []) {
            const row = Object.fromEntries([...columns.keys()].map((c) => [c, stored.row[c] ?? null]));
            if (evaluateKql(predicate, row) !== true) continue;
            // Appended rows get the column's type, as ingestion from a query does.
            for (const a of assignments) stored.row[a.column] = convertToKustoType(evaluateKql(a.expression, row), columns.get(a.column)!);
            updated++;
        }
        return [200, v1(["Table", "Deleted", "Appended"], [[m[1], updated, updated]])];
    };
    /**
     * `F() | extend ... | where ... | summarize n = count(), l = make_list(e) by b = e | project ...`: the
     * operators reconcile sends, each evaluated on the function's rows with the scalar evaluator.
     */
    const pipelineQuery = (from: { functionName: string } | { table: string } | { rows: KustoRow[] }, stages: string[]): { columns: string[]; rows: unknown[][] } => {
        const assignment = (item: string) => {
            const eq = item.indexOf(" = ");
            return eq < 0
                ? { name: unquoteKqlIdentifier(item.trim()), expression: parseKqlExpression(item.trim()) }
                : { name: unquoteKqlIdentifier(item.slice(0, eq).trim()), expression: parseKqlExpression(item.slice(eq + 3)) };
        };
        let rows: KustoRow[] =
            "rows" in from
                ? from.rows
                : "functionName" in from
                  ? currentStateRows(from.functionName)
                  : (() => {
                        if (!state.tables.has(from.table)) throw new Error(`Semantic error: '${from.table}' could not be resolved to a table`);
                        const columns = [...parseCslSchema(state.tables.get(from.table)!).keys()];
                        return (state.ingested.get(from.table) ?? []).map((r) => Object.fromEntries(columns.map((c) => [c, r.row[c] ?? null])));
                    })();
        let columns = rows.length ? Object.keys(rows[0]) : [];
        for (const stage of stages) {
            const [, operator, body] = /^(\w+) (.*)$/s.exec(stage) ?? [];
            if (operator === "extend") {
                const items = splitTopLevel(body).map(assignment);
                rows = rows.map((r) => items.reduce((row, a) => ({ ...row, [a.name]: evaluateKql(a.expression, row) }), r));
                columns = [...columns, ...items.map((a) => a.name).filter((n) => !columns.includes(n))];
            } else if (operator === "where") {
                const where = parseKqlExpression(body);
                rows = rows.filter((r) => evaluateKql(where, r) === true);
            } else if (operator === "join") {
                // `join kind=leftanti T on a, b`: the rows with no row of T equal on every key column.
                const j = /^kind=leftanti (\w+) on (.+)$/.exec(body.trim());
                if (!j || !state.tables.has(j[1])) throw new Error(`Syntax error: the test double joins only "kind=leftanti <table> on <columns>": ${stage.slice(0, 80)}`);
                const keys = splitTopLevel(j[2]).map((k) => unquoteKqlIdentifier(k.trim()));
                const tuple = (r: KustoRow) => JSON.stringify(keys.map((k) => (r[k] === null || r[k] === undefined ? null : String(r[k]))));
                const present = new Set((state.ingested.get(j[1]) ?? []).map((r) => tuple(r.row)));
                rows = rows.filter((r) => !present.has(tuple(r)));
            } else if (operator === "summarize" && body.lastIndexOf(") by ") >= 0 && splitTopLevel(body.slice(body.lastIndexOf(") by ") + 5)).length > 1) {
                // `summarize a = min(x), b = max(y), c = countif(p), d = dcount(e) by k1, k2, ...`: several key columns.
                const at = body.lastIndexOf(") by ");
                const m = [body, body.slice(0, at + 1), body.slice(at + 5)];
                const keys = splitTopLevel(m[2]).map((k) => unquoteKqlIdentifier(k.trim()));
                const aggregates = splitTopLevel(m[1]).map((item) => {
                    const eq = item.indexOf(" = ");
                    const call = /^(min|max|countif|dcount)\((.*)\)$/s.exec(item.slice(eq + 3).trim());
                    if (!call) throw new Error(`Syntax error: the test double aggregates by several columns only with min(c), max(c), countif(p) and dcount(e): ${item}`);
                    return { name: item.slice(0, eq).trim(), kind: call[1], expression: parseKqlExpression(call[2]) };
                });
                const groups = new Map<string, KustoRow[]>();
                for (const r of rows) {
                    const g = JSON.stringify(keys.map((k) => String(r[k])));
                    const group = groups.get(g);
                    if (group) group.push(r);
                    else groups.set(g, [r]);
                }
                const pick = (values: KustoValue[], larger: boolean) =>
                    values.filter((v) => v !== null && v !== undefined).reduce<KustoValue>((a, b) => (a === null || (larger ? b! > a : b! < a) ? b : a), null);
                rows = [...groups.values()].map((members) => ({
                    ...Object.fromEntries(keys.map((k) => [k, members[0][k]])),
                    ...Object.fromEntries(
                        aggregates.map((a) => {
                            const values = members.map((r) => evaluateKql(a.expression, r));
                            if (a.kind === "dcount") return [a.name, BigInt(new Set(values.filter((v) => v !== null && v !== undefined).map((v) => String(v))).size)];
                            return [a.name, a.kind === "countif" ? BigInt(values.filter((v) => v === true).length) : pick(values, a.kind === "max")];
                        }),
                    ),
                }));
                columns = [...keys, ...aggregates.map((a) => a.name)];
            } else if (operator === "summarize" && !/ by /.test(body)) {
                // `summarize a = max(x), b = min(y), n = count()` over every row: one row (status's newest heartbeat).
                const aggregates = splitTopLevel(body).map((item) => {
                    const eq = item.indexOf(" = ");
                    const call = /^(min|max|count)\((.*)\)$/s.exec(item.slice(eq + 3).trim());
                    if (!call) throw new Error(`Syntax error: the test double aggregates all rows only with min(c), max(c) and count(): ${item}`);
                    return { name: item.slice(0, eq).trim(), kind: call[1], expression: call[2] ? parseKqlExpression(call[2]) : undefined };
                });
                const all = rows;
                rows = [
                    Object.fromEntries(
                        aggregates.map((a) => [
                            a.name,
                            a.kind === "count"
                                ? BigInt(all.length)
                                : all
                                      .map((r) => evaluateKql(a.expression!, r))
                                      .filter((v) => v !== null && v !== undefined)
                                      .reduce<KustoValue>((x, y) => (x === null || (a.kind === "max" ? y! > x : y! < x) ? y : x), null),
                        ]),
                    ),
                ];
                columns = aggregates.map((a) => a.name);
            } else if (operator === "summarize") {
                const m = /^(.*) by (\w+)(?: = (.*))?$/s.exec(body);
                if (!m) throw new Error(`Syntax error: the test double summarizes only "... by name [= expression]": ${stage.slice(0, 80)}`);
                // arg_max(c, *): the row with the largest c, every column kept.
                const argMax = /^arg_max\((\w+), \*\)$/.exec(m[1].trim());
                const aggregates = argMax
                    ? []
                    : splitTopLevel(m[1]).map((item) => {
                          const eq = item.indexOf(" = ");
                          const call = /^(count|make_list)\((.*)\)$/s.exec(item.slice(eq + 3).trim());
                          if (!call) throw new Error(`Syntax error: the test double aggregates only count(), make_list(e) and arg_max(c, *): ${item}`);
                          return { name: item.slice(0, eq).trim(), kind: call[1], expression: call[2] ? parseKqlExpression(call[2]) : undefined };
                      });
                const by = parseKqlExpression(m[3] ?? m[2]);
                const groups = new Map<string, KustoRow[]>();
                for (const r of rows) {
                    const g = String(evaluateKql(by, r));
                    const group = groups.get(g);
                    if (group) group.push(r);
                    else groups.set(g, [r]);
                }
                if (argMax) {
                    const latest = (members: KustoRow[]) => members.reduce((a, b) => (String(b[argMax[1]]) > String(a[argMax[1]]) ? b : a));
                    rows = [...groups.values()].map((members) => ({ [m[2]]: latest(members)[m[2]], ...latest(members) }));
                    columns = [m[2], argMax[1], ...columns.filter((c) => c !== m[2] && c !== argMax[1])];
                } else {
                    rows = [...groups].map(([g, members]) => ({
                        [m[2]]: g,
                        ...Object.fromEntries(aggregates.map((a) => [a.name, a.kind === "count" ? BigInt(members.length) : members.map((r) => evaluateKql(a.expression!, r))])),
                    }));
                    columns = [m[2], ...aggregates.map((a) => a.name)];
                }
            } else if (stage.trim() === "count") {
                rows = [{ Count: BigInt(rows.length) }];
                columns = ["Count"];
            } else if (operator === "project") {
                const items = splitTopLevel(body).map(assignment);
                rows = rows.map((r) => Object.fromEntries(items.map((a) => [a.name, evaluateKql(a.expression, r)])));
                columns = items.map((a) => a.name);
            } else throw new Error(`Syntax error: the test double does not run the operator in: ${stage.slice(0, 80)}`);
        }
        return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
    };
    /** `F()`, optionally `| where col == value`, `| take N` or `| count`: the queries verify and the tests send; `T | count` of a table. */
    const answerQuery = (csl: string): { columns: string[]; rows: unknown[][] } => {
        const tableCount = /^(\w+) \| count$/.exec(csl.trim());
        if (tableCount && state.tables.has(tableCount[1])) return { columns: ["Count"], rows: [[state.ingested.get(tableCount[1])?.length ?? 0]] };
        // `T | where isnotempty(tostring(R["f"])) | summarize rows = count(), examples = make_set(tostring(R["f"]), N)`: rows whose dynamic column has a field.
        const withField =
            /^(\w+) \| where isnotempty\(tostring\((\['(?:[^'\\]|\\.)*'\]|\w+)\[("[^"]*")\]\)\) \| summarize rows = count\(\), examples = make_set\(tostring\(\2\[\3\]\), (\d+)\)$/.exec(
                csl.trim(),
            );
        if (withField) {
            if (!state.tables.has(withField[1])) throw new Error(`Semantic error: '${withField[1]}' could not be resolved to a table`);
            const column = unquoteKqlIdentifier(withField[2]);
            const field = JSON.parse(withField[3]) as string;
            const values = (state.ingested.get(withField[1]) ?? [])
                .map((r) => r.row[column])
                .map((v) => (v && typeof v === "object" ? (v as Record<string, unknown>)[field] : undefined))
                .filter((v) => v !== undefined && v !== null && String(v) !== "")
                .map(String);
            return { columns: ["rows", "examples"], rows: [[values.length, [...new Set(values)].slice(0, Number(withField[4]))]] };
        }
        const stages = splitTopLevel(csl.trim(), "|");
        const source = /^(\w+)(\(\))?$/.exec(stages[0]);
        if (source && (source[2] || state.tables.has(source[1])) && stages.slice(1).some((stage) => /^(extend|summarize|project) /.test(stage)))
            return pipelineQuery(source[2] ? { functionName: source[1] } : { table: source[1] }, stages.slice(1));
        const m = /^(\w+)\(\)((?:\s*\|\s*(?:where (?:\w+|\['[^']*'\]) == (?:-?\d+|"[^"]*"|'[^']*')|take \d+|count))*)\s*$/.exec(csl.trim());
        if (!m) throw new Error(`Syntax error: the test double answers only "<function>() | where col == value | take N | count", not: ${csl.slice(0, 80)}`);
        let rows = currentStateRows(m[1]);
        let counted = false;
        for (const [, op] of m[2].matchAll(/\|\s*([^|]+)/g)) {
            const where = /^where (\w+|\['[^']*'\]) == (.+)$/.exec(op.trim());
            if (where) rows = rows.filter((r) => String(r[unquoteKqlIdentifier(where[1])]) === where[2].replace(/^["']|["']$/g, ""));
            else if (/^take/.test(op.trim())) rows = rows.slice(0, Number(op.trim().slice(5)));
            else counted = true;
        }
        if (counted) return { columns: ["Count"], rows: [[rows.length]] };
        const columns = rows.length ? Object.keys(rows[0]) : [];
        return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
    };
    /** Ingests a multijson body (gzip or plain) into a table through a mapping the double received; both ingestion paths use it. */
    const ingestInto = (
        db: string,
        table: string,
        mappingName: string | null,
        format: string | null,
        raw: Buffer,
        kind: IngestRequest["kind"],
        handedAtMs = Date.now(),
    ): [number, unknown] => {
        const record = (status: number, rows = 0) => state.ingestRequests.push({ db, table, rows, bytes: raw.length, atMs: Date.now(), status, kind });
        if (!state.tables.has(table)) return (record(404), [404, error("BadRequest_EntityNotFound", `Entity ID '${table}' of kind 'Table' was not found.`, true)]);
        if (format !== "multijson" && format !== "json")
            return (record(400), [400, error("BadRequest_InvalidArgument", `format ${format} is not supported by the test double`, true)]);
        const mapping = mappingName ? state.mappings.get(`${table}/${mappingName}`) : undefined;
        if (!mapping)
            return (
                record(400),
                [
                    400,
                    error("BadRequest_MappingReferenceWasNotFound", `Mapping reference '${mappingName}' of type 'mappingReference' in database '${db}' could not be found.`, true),
                ]
            );
        const text = (raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw).toString("utf8");
        const columns = JSON.parse(mapping).map((e: any) => ({ column: e.column, path: e.Properties?.Path, transform: e.Properties?.Transform }));
        const result = ingestMultiJson(text, parseCslSchema(state.tables.get(table)!), columns);
        if ("error" in result) return (record(400), [400, error("BadRequest_StreamingIngestionFailed", result.error, true)]);
        try {
            runUpdatePolicies(table, result.rows);
        } catch (e: any) {
            return (record(400), [400, error("BadRequest_UpdatePolicyFailure", `update policy failed: ${e.message}`, true)]);
        }
        const receivedAtMs = Date.now();
        state.onRowsIngested?.(table, result.rows, receivedAtMs, handedAtMs);
        if (!state.discardRowsOf?.(table)) {
            const stored = state.ingested.get(table) ?? [];
            for (const row of result.rows) stored.push({ row, receivedAtMs });
            state.ingested.set(table, stored);
        }
        record(200, result.rows.length);
        return [200, v1(["ConsumedRecordsCount", "UpdatePolicyStatus"], [[result.rows.length, "Inactive"]])];
    };
    /** Streaming ingestion: the body is the sink's gzip buffer file (newline-delimited JSON). */
    const ingest = (url: URL, raw: Buffer): [number, unknown] => {
        const [, db, table] = /^\/v1\/rest\/ingest\/([^/]+)\/([^/?]+)$/.exec(url.pathname) ?? [];
        const [status, payload] = ingestInto(db, table, url.searchParams.get("mappingName"), url.searchParams.get("streamFormat"), raw, "streaming");
        const failure = (payload as any)?.error;
        // ADX lists refused streaming requests in `.show streamingingestion failures` (by table and error code).
        if (status !== 200)
            state.ingestionFailures.push({ database: db, table, failedOnMs: Date.now(), details: failure?.["@message"] ?? "", errorCode: failure?.code ?? "", kind: "streaming" });
        return [status, payload];
    };
    // Queued ingestion: blobs and queue messages through the storage endpoints `.show ingestion resources`
    // names; a message is ingested after the table's batching time span (its ingestionbatching policy).
    const storage = createQueuedIngestionStorage({
        baseUrl: () => baseUrl,
        onMessage: (message, blob) => {
            const delayMs = state.batchingTimeSpanMs.get(message.table) ?? 0;
            const handedAtMs = Date.now();
            setTimeout(() => {
                // As in ADX, a queued ingestion fails after the client was told "queued": it shows only in `.show ingestion failures`.
                const [status, payload] = ingestInto(message.database, message.table, message.mappingReference, message.format, blob, "queued", handedAtMs);
                const failure = (payload as any)?.error;
                if (status !== 200)
                    state.ingestionFailures.push({
                        database: message.database,
                        table: message.table,
                        failedOnMs: Date.now(),
                        details: failure?.["@message"] ?? "",
                        errorCode: failure?.code ?? "",
                        kind: "queued",
                    });
            }, delayMs);
        },
    });
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(stringifyLosslessJson(payload));
            };
            const url = new URL(req.url ?? "/", "https://adx-test-double");
            const injected = state.outage?.();
            if (injected) return send(injected, error(injected === 429 ? "TooManyRequests" : "ServiceUnavailable", `test double fault: HTTP ${injected}`));
            // The SDK asks for cloud (AAD) metadata first; ADX answers 404 on a cluster without it, which the SDK accepts.
            if (req.method === "GET" && url.pathname === "/v1/rest/auth/metadata") return send(404, error("NotFound", "no auth metadata"));
            // Blob and queue requests carry the SAS the double issued, not a bearer token.
            if (storage.handles(url)) {
                const [status, headers, body] = storage.handle(req.method ?? "GET", url, req.headers, Buffer.concat(chunks));
                res.writeHead(status, headers);
                return void res.end(body);
            }
            if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) return send(401, error("Unauthorized", "missing bearer token"));
            if (options.acceptedToken && req.headers.authorization !== `Bearer ${options.acceptedToken}`)
                return send(401, error("Unauthorized", "the token was not issued for this cluster"));
            if (req.method === "POST" && url.pathname.startsWith("/v1/rest/ingest/")) {
                const hook = state.onIngestRequest?.() ?? Promise.resolve();
                return void hook.then(() => send(...ingest(url, Buffer.concat(chunks))));
            }
            if (req.method !== "POST" || (url.pathname !== "/v1/rest/mgmt" && url.pathname !== "/v1/rest/query"))
                return send(404, error("NotFound", `no route ${req.method} ${req.url}`));
            const { db, csl } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            if (url.pathname === "/v1/rest/query") {
                state.queries.push({ db, csl });
                try {
                    const result = state.queryHandler ? state.queryHandler(db, csl) : answerQuery(csl);
                    return send(200, v1(result.columns, result.rows));
                } catch (failure: any) {
                    return send(400, error("BadRequest_SemanticError", String(failure.message)));
                }
            }
            state.commands.push({ db, csl });
            const [status, payload] = handle(db, csl);
            send(status, payload);
        });
    };
    const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    // "localhost", not 127.0.0.1: the Kusto SDK trusts loopback by that name (it rewrites IP hosts).
    baseUrl = options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    const double = Object.assign(state, {
        url: baseUrl,
        currentState: currentStateRows,
        expireRows(table: string, expired: (row: KustoRow) => boolean): number {
            // Each view on the table first keeps its latest record per key, as its materialized part does.
            for (const [name, query] of state.views) {
                const view = parseLatestPerKeyView(query);
                if (!view || view.source !== table) continue;
                const viewWhere = view.where === undefined ? undefined : parseKqlExpression(view.where);
                const source = storedRows(table).filter((r) => !viewWhere || evaluateKql(viewWhere, r) === true);
                state.materialized.set(name, latestPerKey([...(state.materialized.get(name) ?? []), ...source], view.orderBy, view.keys, view.extend));
            }
            const before = state.ingested.get(table) ?? [];
            const kept = before.filter((r) => !expired(r.row));
            state.ingested.set(table, kept);
            return before.length - kept.length;
        },
        close: () =>
            new Promise<void>((r) => {
                server.close(() => r());
                (server as any).closeAllConnections?.();
            }),
    }) as AdxTestDouble;
    return double;
}
