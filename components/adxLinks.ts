// Links into the ADX web UI that open the analytics functions of kql/ on the stack's database.
import * as pulumi from "@pulumi/pulumi";

export const ANALYTICS_FUNCTIONS = ["OrdersInfoCurrentState", "AverageSalesPerCity", "TotalSalesPerCity", "OrdersPerCity"];

/** https://dataexplorer.azure.com/clusters/<host>/databases/<db>?query=<url-encoded KQL> */
export function buildAdxWebUiLink(queryUri: string, database: string, query: string): string {
    const host = queryUri.replace(/^https?:\/\//, "").replace(/\/$/, "");
    return `https://dataexplorer.azure.com/clusters/${host}/databases/${encodeURIComponent(database)}?query=${encodeURIComponent(query)}`;
}

export function adxWebUiLinks(queryUri: pulumi.Input<string>, database: string): pulumi.Output<Record<string, string>> {
    return pulumi.output(queryUri).apply((uri) => Object.fromEntries(ANALYTICS_FUNCTIONS.map((f) => [f, buildAdxWebUiLink(uri, database, `${f}()`)])));
}
