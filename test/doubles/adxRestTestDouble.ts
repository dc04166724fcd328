// TEST DOUBLE of the ADX REST endpoints (POST /v1/rest/mgmt and /v1/rest/query, documented v1 REST API): keeps
// tables, mappings, policies, views and functions in memory, answers `.show` commands with v1
// result tables, and rejects unknown objects and bad requests with ADX-shaped error bodies.
// It understands only the commands this project sends; it is not an ADX emulator.
import * as http from "http";

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
    close(): Promise<void>;
}

const v1 = (columns: string[], rows: unknown[][]) => ({ Tables: [{ TableName: "Table_0", Columns: columns.map((c) => ({ ColumnName: c, DataType: "String", ColumnType: "string" })), Rows: rows }] });
const error = (code: string, message: string) => ({ error: { code, message: "Request is invalid and cannot be executed.", "@type": "Kusto.Data.Exceptions.SemanticException", "@message": message } });

export async function startAdxTestDouble(): Promise<AdxTestDouble> {
    const state: Omit<AdxTestDouble, "url" | "close"> = { commands: [], queries: [], tables: new Map(), mappings: new Map(), views: new Map(), functions: new Map(), policies: new Set(), principals: new Set() };
    const handle = (db: string, csl: string): [number, unknown] => {
        const one = csl.replace(/\s+/g, " ").trim();
        let m: RegExpExecArray | null;
        if (state.failOn?.test(one)) return [400, error("BadRequest_SemanticError", `Semantic error: '${one.slice(0, 40)}' has the following semantic error: SEM0100: test double was told to fail.`)];
        if ((m = /^\.create-merge table (\w+) \(([^)]*)\)/.exec(one))) return state.tables.set(m[1], m[2].replace(/\s+/g, "")), [200, v1(["TableName"], [[m[1]]])];
        if ((m = /^\.alter-merge table (\w+) column-docstrings/.exec(one))) return state.tables.has(m[1]) ? [200, v1([], [])] : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.create-or-alter table (\w+) ingestion json mapping "([^"]+)" (.*)$/.exec(one))) {
            if (!state.tables.has(m[1])) return [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
            const json = [...m[3].matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1]).join("");
            return state.mappings.set(`${m[1]}/${m[2]}`, JSON.stringify(JSON.parse(json))), [200, v1(["Name"], [[m[2]]])];
        }
        if ((m = /^\.alter table (\w+) policy (\w+)/.exec(one))) return state.tables.has(m[1]) ? (state.policies.add(`${m[1]}/${m[2]}`), [200, v1([], [])]) : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.create ifnotexists materialized-view .*?(\w+) on table (\w+) \{(.*)\}$/.exec(one))) {
            if (!state.views.has(m[1])) state.views.set(m[1], m[3].trim());
            return [200, v1(["Name"], [[m[1]]])];
        }
        if ((m = /^\.create-or-alter function .*?(\w+)\(\) (\{.*\})$/.exec(one))) return state.functions.set(m[1], m[2]), [200, v1(["Name"], [[m[1]]])];
        if ((m = /^\.add database (\S+) (\w+) \('([^']+)'\)/.exec(one))) return state.principals.add(`${m[2]}:${m[3]}`), [200, v1([], [])];
        if ((m = /^\.drop database (\S+) (ingestors|viewers|admins) \('([^']+)'\)$/.exec(one))) return state.principals.delete(`${m[2]}:${m[3]}`), [200, v1([], [])];
        if ((m = /^\.show database (\S+) principals$/.exec(one))) {
            const singular: Record<string, string> = { ingestors: "Ingestor", viewers: "Viewer", admins: "Admin" };
            const rows = [...state.principals].map((p) => [`Database ${db} ${singular[p.slice(0, p.indexOf(":"))]}`, "AAD Application", p.slice(p.indexOf(":") + 1)]);
            return [200, v1(["Role", "PrincipalType", "PrincipalFQN"], rows)];
        }
        if ((m = /^\.show table (\w+) cslschema$/.exec(one))) return state.tables.has(m[1]) ? [200, v1(["TableName", "Schema"], [[m[1], state.tables.get(m[1])]])] : [400, error("BadRequest_EntityNotFound", `Table '${m[1]}' was not found`)];
        if ((m = /^\.show table (\w+) ingestion json mapping "([^"]+)"$/.exec(one))) {
            const mapping = state.mappings.get(`${m[1]}/${m[2]}`);
            return mapping ? [200, v1(["Name", "Kind", "Mapping"], [[m[2], "Json", mapping]])] : [400, error("BadRequest_EntityNotFound", `Mapping '${m[2]}' could not be found`)];
        }
        if ((m = /^\.show materialized-view (\w+)$/.exec(one))) return state.views.has(m[1]) ? [200, v1(["Name", "Query"], [[m[1], state.views.get(m[1])]])] : [400, error("BadRequest_EntityNotFound", `Materialized view '${m[1]}' was not found`)];
        if ((m = /^\.show function (\w+)$/.exec(one))) return state.functions.has(m[1]) ? [200, v1(["Name", "Body"], [[m[1], state.functions.get(m[1])]])] : [400, error("BadRequest_EntityNotFound", `Function '${m[1]}' was not found`)];
        if ((m = /^\.drop function (\w+) ifexists$/.exec(one))) return state.functions.delete(m[1]), [200, v1([], [])];
        if ((m = /^\.drop materialized-view (\w+) ifexists$/.exec(one))) return state.views.delete(m[1]), [200, v1([], [])];
        if ((m = /^\.delete table (\w+) policy (\w+)$/.exec(one))) return state.policies.delete(`${m[1]}/${m[2]}`), [200, v1([], [])];
        if ((m = /^\.drop table (\w+) ingestion json mapping "([^"]+)"$/.exec(one))) return state.mappings.delete(`${m[1]}/${m[2]}`) ? [200, v1([], [])] : [400, error("BadRequest_EntityNotFound", `Mapping '${m[2]}' could not be found`)];
        if ((m = /^\.drop table (\w+) ifexists$/.exec(one))) return state.tables.delete(m[1]), [200, v1([], [])];
        return [400, error("BadRequest_SyntaxError", `Request is invalid and cannot be processed: Syntax error: SYN0002: unsupported by the test double: ${one.slice(0, 60)}`)];
    };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const send = (status: number, payload: unknown) => {
                res.writeHead(status, { "Content-Type": "application/json" });
                res.end(JSON.stringify(payload));
            };
            if (req.method !== "POST" || (req.url !== "/v1/rest/mgmt" && req.url !== "/v1/rest/query")) return send(404, error("NotFound", `no route ${req.method} ${req.url}`));
            if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) return send(401, error("Unauthorized", "missing bearer token"));
            const { db, csl } = JSON.parse(body);
            if (req.url === "/v1/rest/query") {
                state.queries.push({ db, csl });
                if (!state.queryHandler) return send(400, error("BadRequest_SyntaxError", "queries are not answered by this test double unless the test sets queryHandler"));
                try {
                    const result = state.queryHandler(db, csl);
                    return send(200, v1(result.columns, result.rows));
                } catch (failure: any) {
                    return send(400, error("BadRequest_SemanticError", String(failure.message)));
                }
            }
            state.commands.push({ db, csl });
            const [status, payload] = handle(db, csl);
            send(status, payload);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const double = Object.assign(state, { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) }) as AdxTestDouble;
    return double;
}
