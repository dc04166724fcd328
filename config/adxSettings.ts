// pg-adx-cdc:adx: the cluster (owned by the stack, or an existing/free one), its database and
// ingestion path, and how the program turns the settings into endpoints.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AzureSkuName } from "@pulumi/azure-native/types/enums/kusto";
import { configBoolean, configEnum, configNumber } from "./configValues";
import { UNLIMITED_RETENTION_DAYS } from "../kql/adxModel";

/** Every ADX SKU the azure-native SDK knows; the SDK enum is the single source of truth. */
export const ADX_SKU_NAMES: readonly string[] = Object.values(AzureSkuName).filter((v) => !/^(Basic|Standard)$/.test(v));
const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** ADX as the program consumes it: the mode as a discriminated union, an existing cluster's URIs resolved. */
export type AdxTarget = { mode: "owned" } | { mode: "existing"; queryUri: string; ingestionUri: string };

export function resolveAdxTarget(adx: AdxSettings): AdxTarget {
    if (adx.mode === "owned") return { mode: "owned" };
    // Validated by the schema: existing mode has a cluster URI.
    const queryUri = (adx.clusterUri ?? "").replace(/\/$/, "");
    return { mode: "existing", queryUri, ingestionUri: adx.ingestionUri?.replace(/\/$/, "") ?? ingestionUriFor(queryUri) };
}

/** The endpoints of a cluster the stack does not own. */
export function existingAdxEndpoints(target: AdxTarget): { queryUri: pulumi.Output<string>; ingestionUri: pulumi.Output<string> } {
    if (target.mode !== "existing") throw new Error("an owned ADX cluster's endpoints come from the cluster resource");
    return { queryUri: pulumi.output(target.queryUri), ingestionUri: pulumi.output(target.ingestionUri) };
}

/** An ADX cluster URI as the stack and the demo accept it: https, a host (and port), no path. */
export function isHttpsHostUri(value: string): boolean {
    return /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(value);
}

/** The ingestion ("ingest-") URI of a cluster, from its query URI, as Azure names them. */
export function ingestionUriFor(queryUri: string): string {
    const url = new URL(queryUri);
    return `${url.protocol}//ingest-${url.host}`;
}
export const adxSchema = z
    .strictObject({
        // "owned": the stack creates the cluster and database (ARM). "existing": it targets a cluster it
        // does not own, such as an ADX free cluster, and grants the sink access with KQL only.
        mode: configEnum(["owned", "existing"]).default("owned"),
        /** Existing mode: the cluster's query URI, e.g. https://kvc-xxxx.northeurope.kusto.windows.net */
        clusterUri: z.string().optional(),
        /** Existing mode: the ingestion URI, when it is not the query URI with an "ingest-" host prefix. */
        ingestionUri: z.string().optional(),
        skuName: z.string().default("Dev(No SLA)_Standard_E2a_v4"),
        capacity: configNumber(z.number().int().min(1).max(1000)).default(1),
        autoStop: configBoolean().default(true),
        databaseName: z
            .string()
            .regex(/^[A-Za-z0-9_.-]{1,260}$/, "letters, digits, _ . - only")
            .default("cdc"),
        softDeletePeriod: z.string().regex(ISO_DURATION, "an ISO 8601 duration such as P30D").default("P30D"),
        hotCachePeriod: z.string().regex(ISO_DURATION, "an ISO 8601 duration such as P7D").default("P7D"),
        retainDataOnDestroy: configBoolean().default(false),
        // How long the current state (each table's view and the fences of its rule) keeps a key that has not
        // changed, in days; absent, as long as ADX keeps anything (100 years). The change tables keep the
        // database's soft-delete period (softDeletePeriod), which may be much shorter.
        currentStateRetentionDays: configNumber(z.number().int().min(1).max(UNLIMITED_RETENTION_DAYS)).optional(),
        // Streaming ingestion (sub-second). Free clusters ingest queued only: set false there, and the
        // sink and the table use queued ingestion bounded by the batching policy.
        streamingIngestion: configBoolean().default(true),
    })
    .superRefine((adx, ctx) => {
        if (adx.mode === "existing") {
            if (!adx.clusterUri) {
                ctx.addIssue({
                    code: "custom",
                    path: ["clusterUri"],
                    message:
                        'existing mode needs the cluster\'s query URI, e.g. "https://kvc-xxxx.northeurope.kusto.windows.net" (the free cluster\'s "Cluster URI" in the ADX web UI)',
                });
            }
            for (const key of ["clusterUri", "ingestionUri"] as const) {
                const value = adx[key];
                if (value !== undefined && !isHttpsHostUri(value)) {
                    ctx.addIssue({ code: "custom", path: [key], message: `must be an https URI with a host only, such as "https://kvc-xxxx.northeurope.kusto.windows.net"` });
                }
            }
            return;
        }
        for (const key of ["clusterUri", "ingestionUri"] as const) {
            if (adx[key] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is only used with mode "existing"; set pg-adx-cdc:adx.mode to "existing" to target that cluster, or remove ${key}`,
                });
        }
        if (!ADX_SKU_NAMES.includes(adx.skuName)) {
            const suggestions = ADX_SKU_NAMES.filter((s) => s.startsWith("Dev") || /E\d+ads_v5$/.test(s)).join(", ");
            ctx.addIssue({
                code: "custom",
                path: ["skuName"],
                message: `unknown ADX SKU "${adx.skuName}"; use one of ${suggestions} (full list: azure-native kusto.AzureSkuName)`,
            });
        }
        if (adx.skuName.startsWith("Dev(") && adx.capacity !== 1) {
            ctx.addIssue({ code: "custom", path: ["capacity"], message: `a Dev(No SLA) SKU runs exactly 1 instance; set capacity to 1 (got ${adx.capacity})` });
        }
        if (!adx.skuName.startsWith("Dev(") && adx.capacity < 2) {
            ctx.addIssue({ code: "custom", path: ["capacity"], message: `production SKU ${adx.skuName} needs at least 2 instances (got ${adx.capacity})` });
        }
    });

export type AdxSettings = z.infer<typeof adxSchema>;
