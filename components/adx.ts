// ADX: a Kusto cluster with streaming ingestion, one read-write database, and the deploying
// identity as that database's admin (it applies the KQL of kql/).
import * as pulumi from "@pulumi/pulumi";
import * as kusto from "@pulumi/azure-native/kusto";

export interface AdxClusterArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** 4-22 lower-case letters and digits, globally unique. */
    clusterName: pulumi.Input<string>;
    skuName: pulumi.Input<string>;
    capacity: pulumi.Input<number>;
    /** Let Azure stop an idle cluster (saves cost in dev). */
    autoStop: pulumi.Input<boolean>;
    databaseName: pulumi.Input<string>;
    /** ISO 8601 durations, e.g. P30D and P7D. */
    softDeletePeriod: pulumi.Input<string>;
    hotCachePeriod: pulumi.Input<string>;
    /** Identity that applies the KQL: object id for a user, application (client) id for an app. */
    deployerPrincipalId: pulumi.Input<string>;
    deployerPrincipalType: pulumi.Input<"User" | "App">;
    tenantId: pulumi.Input<string>;
}

/** Dev SKUs are billed as the Basic tier; every other SKU is Standard. */
export function adxSkuTier(skuName: string): "Basic" | "Standard" {
    return skuName.startsWith("Dev(") ? "Basic" : "Standard";
}

export class AdxCluster extends pulumi.ComponentResource {
    public readonly cluster: kusto.Cluster;
    public readonly database: kusto.ReadWriteDatabase;
    public readonly deployerAdmin: kusto.DatabasePrincipalAssignment;
    /** Query (engine) URI, e.g. https://<name>.<region>.kusto.windows.net */
    public readonly queryUri: pulumi.Output<string>;
    public readonly ingestionUri: pulumi.Output<string>;
    public readonly databaseName: pulumi.Output<string>;

    constructor(name: string, args: AdxClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:AdxCluster", name, {}, opts);
        this.cluster = new kusto.Cluster(
            `${name}-cluster`,
            {
                clusterName: args.clusterName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: args.skuName, tier: pulumi.output(args.skuName).apply(adxSkuTier), capacity: args.capacity },
                // Required for the sink's streaming ingestion (sub-second instead of batched minutes).
                enableStreamingIngest: true,
                enableAutoStop: args.autoStop,
                publicNetworkAccess: "Enabled",
            },
            { parent: this },
        );
        this.database = new kusto.ReadWriteDatabase(
            `${name}-database`,
            {
                kind: "ReadWrite",
                clusterName: this.cluster.name,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                databaseName: args.databaseName,
                softDeletePeriod: args.softDeletePeriod,
                hotCachePeriod: args.hotCachePeriod,
            },
            { parent: this },
        );
        this.deployerAdmin = new kusto.DatabasePrincipalAssignment(
            `${name}-deployer-admin`,
            {
                clusterName: this.cluster.name,
                databaseName: this.database.name.apply((n) => n.split("/").pop()!),
                resourceGroupName: args.resourceGroupName,
                principalAssignmentName: "pg-adx-cdc-deployer",
                principalId: args.deployerPrincipalId,
                principalType: args.deployerPrincipalType,
                role: "Admin",
                tenantId: args.tenantId,
            },
            { parent: this },
        );
        this.queryUri = this.cluster.uri;
        this.ingestionUri = this.cluster.dataIngestionUri;
        this.databaseName = pulumi.output(args.databaseName);
        this.registerOutputs({ queryUri: this.queryUri, ingestionUri: this.ingestionUri, databaseName: this.databaseName });
    }
}
