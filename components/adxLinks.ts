// Links that open the analytics functions of kql/ on the stack's database in the ADX web UI.
// Format: Kusto's documented UI deep link, https://<cluster>/<database>?query=<url-encoded KQL>,
// which the cluster answers with a redirect to the web explorer (learn.microsoft.com, "UI deep links").
import * as pulumi from "@pulumi/pulumi";

export const ANALYTICS_FUNCTIONS = ["OrdersInfoCurrentState", "AverageSalesPerCity", "TotalSalesPerCity", "OrdersPerCity"];

/** https://<cluster host>/<database>?query=<url-encoded KQL>&web=1 (web=1: the web explorer, not Kusto.Explorer). */
export function buildAdxWebUiLink(queryUri: string, database: string, query: string): string {
    const host = queryUri.replace(/^https?:\/\//, "").replace(/\/$/, "");
    return `https://${host}/${encodeURIComponent(database)}?query=${encodeURIComponent(query)}&web=1`;
}

export function adxWebUiLinks(queryUri: pulumi.Input<string>, database: string): pulumi.Output<Record<string, string>> {
    return pulumi.output(queryUri).apply((uri) => Object.fromEntries(ANALYTICS_FUNCTIONS.map((f) => [f, buildAdxWebUiLink(uri, database, `${f}()`)])));
}
