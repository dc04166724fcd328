// Links that open the stack's functions (each captured table's current state, and the functions its
// hand-written overlay in kql/ defines) on the stack's database in the ADX web UI.
// Format: Kusto's documented UI deep link, https://<cluster>/<database>?query=<url-encoded KQL>,
// which the cluster answers with a redirect to the web explorer (learn.microsoft.com, "UI deep links").
import * as pulumi from "@pulumi/pulumi";

/** https://<cluster host>/<database>?query=<url-encoded KQL>&web=1 (web=1: the web explorer, not Kusto.Explorer). */
export function buildAdxWebUiLink(queryUri: string, database: string, query: string): string {
    const host = queryUri.replace(/^https?:\/\//, "").replace(/\/$/, "");
    return `https://${host}/${encodeURIComponent(database)}?query=${encodeURIComponent(query)}&web=1`;
}

/** One link per function, named by the function (the names come from the KQL the stack applies, never a list of its own). */
export function adxWebUiLinks(queryUri: pulumi.Input<string>, database: string, functionNames: string[]): pulumi.Output<Record<string, string>> {
    return pulumi.output(queryUri).apply((uri) => Object.fromEntries(functionNames.map((f) => [f, buildAdxWebUiLink(uri, database, `${f}()`)])));
}
