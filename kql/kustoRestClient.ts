// Runs ADX management commands over the documented v1 REST endpoint (POST {cluster}/v1/rest/mgmt).
// Why not azure-kusto-data: one POST and a token is all the provider needs; @azure/identity gives
// the whole credential chain (environment, workload identity, managed identity, Azure CLI), and the
// plain REST contract is what the local test double reproduces. The token is fetched at call time.

export interface KustoTable {
    TableName: string;
    Columns: { ColumnName: string; DataType?: string; ColumnType?: string }[];
    Rows: unknown[][];
}

/** Bearer token for the cluster: AZURE_KUSTO_ACCESS_TOKEN if set (e.g. from `az account get-access-token --resource <cluster>`), else the Azure credential chain. */
export async function getKustoAccessToken(clusterUri: string): Promise<string> {
    if (process.env.AZURE_KUSTO_ACCESS_TOKEN) return process.env.AZURE_KUSTO_ACCESS_TOKEN;
    const { DefaultAzureCredential } = require("@azure/identity");
    try {
        return (await new DefaultAzureCredential().getToken(`${clusterUri.replace(/\/$/, "")}/.default`)).token;
    } catch (error: any) {
        throw new Error(`no Azure credential for ${clusterUri}: ${error.message}. Log in with "az login", or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret, or AZURE_KUSTO_ACCESS_TOKEN.`);
    }
}

/** Runs one management command; ADX's own error message is surfaced with the failing command. */
export async function runKustoCommand(clusterUri: string, database: string, command: string, token: string): Promise<KustoTable[]> {
    const axios = require("axios");
    const response = await axios.post(
        `${clusterUri.replace(/\/$/, "")}/v1/rest/mgmt`,
        { db: database, csl: command, properties: JSON.stringify({ Options: { servertimeout: "00:10:00" } }) },
        {
            headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json; charset=utf-8", Accept: "application/json", "x-ms-app": "pg-adx-cdc" },
            validateStatus: () => true,
            timeout: 600_000,
        },
    );
    if (response.status !== 200) {
        const error = response.data?.error;
        const message = error?.["@message"] ?? error?.message ?? JSON.stringify(response.data).slice(0, 2000);
        throw new Error(`ADX rejected a command (HTTP ${response.status}${error?.code ? `, ${error.code}` : ""}): ${message}\n  command: ${command.split("\n")[0]}`);
    }
    return response.data.Tables as KustoTable[];
}

/** Rows of a result table as objects keyed by column name. */
export function rowsOf(table: KustoTable | undefined): Record<string, unknown>[] {
    if (!table) return [];
    return table.Rows.map((row) => Object.fromEntries(table.Columns.map((c, i) => [c.ColumnName, row[i]])));
}
