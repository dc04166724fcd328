// Runs ADX management commands and queries over the documented v1 REST endpoints
// (POST {cluster}/v1/rest/mgmt and /v1/rest/query).
// Why not azure-kusto-data: one POST and a token is all the provider needs; @azure/identity gives
// the whole credential chain (environment, workload identity, managed identity, Azure CLI), and the
// plain REST contract is what the local test double reproduces. The token is fetched at call time.
import { getAzureAccessToken } from "../runtime/azureAccessToken";

export interface KustoTable {
    TableName: string;
    Columns: { ColumnName: string; DataType?: string; ColumnType?: string }[];
    Rows: unknown[][];
}

/** Bearer token for the cluster: AZURE_KUSTO_ACCESS_TOKEN if set (e.g. from `az account get-access-token --resource <cluster>`), else the Azure credential chain. */
export async function getKustoAccessToken(clusterUri: string): Promise<string> {
    return getAzureAccessToken(clusterUri, "AZURE_KUSTO_ACCESS_TOKEN", `for ${clusterUri}`);
}

function parseKustoJson(text: string): any {
    if (typeof text !== "string" || text === "") return text;
    try {
        return require("lossless-json").parse(text, undefined, (digits: string) => {
            const n = Number(digits);
            return /^-?\d+$/.test(digits) && !Number.isSafeInteger(n) ? digits : n;
        });
    } catch {
        return text;
    }
}

/** POSTs one request to a v1 REST endpoint; ADX's own error message is surfaced with the failing text. */
async function postKusto(clusterUri: string, endpoint: "mgmt" | "query", database: string, csl: string, token: string): Promise<KustoTable[]> {
    const axios = require("axios");
    const response = await axios.post(
        `${clusterUri.replace(/\/$/, "")}/v1/rest/${endpoint}`,
        { db: database, csl, properties: JSON.stringify({ Options: { servertimeout: endpoint === "mgmt" ? "00:10:00" : "00:01:00" } }) },
        {
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json; charset=utf-8", Accept: "application/json", "x-ms-app": "pg-adx-cdc" },
            validateStatus: () => true,
            timeout: endpoint === "mgmt" ? 600_000 : 60_000,
            // A long beyond 2^53 (a bigint key) keeps every digit, as text.
            transformResponse: [(text: string) => parseKustoJson(text)],
        },
    );
    if (response.status !== 200) {
        const error = response.data?.error;
        const message = error?.["@message"] ?? error?.message ?? JSON.stringify(response.data).slice(0, 2000);
        const what = endpoint === "mgmt" ? "command" : "query";
        throw new Error(`ADX rejected a ${what} (HTTP ${response.status}${error?.code ? `, ${error.code}` : ""}): ${message}\n  ${what}: ${csl.split("\n")[0]}`);
    }
    return response.data.Tables as KustoTable[];
}

/** Runs one management command (POST {cluster}/v1/rest/mgmt). */
export async function runKustoCommand(clusterUri: string, database: string, command: string, token: string): Promise<KustoTable[]> {
    return postKusto(clusterUri, "mgmt", database, command, token);
}

/** Runs one query (POST {cluster}/v1/rest/query); the first table holds the primary result. */
export async function runKustoQuery(clusterUri: string, database: string, query: string, token: string): Promise<KustoTable[]> {
    return postKusto(clusterUri, "query", database, query, token);
}

/** Rows of a result table as objects keyed by column name. */
export function rowsOf(table: KustoTable | undefined): Record<string, unknown>[] {
    if (!table) return [];
    return table.Rows.map((row) => Object.fromEntries(table.Columns.map((c, i) => [c.ColumnName, row[i]])));
}
