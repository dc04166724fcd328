// The Kusto sink's identity: an Entra application with a service principal and a client secret
// (a Pulumi secret, rotated by changing a trigger), granted `Ingestor` on the one database.
// Least privilege: the quickstarts grant Admin; the sink only ingests. Its own start-up table
// check is turned off (connectors/kustoSink.ts) because the stack creates and drift-checks the
// table itself, so no read role is needed.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as kusto from "@pulumi/azure-native/kusto";

export interface SinkIdentityArgs {
    displayName: pulumi.Input<string>;
    /** Change this value (e.g. "2026-11") to issue a new client secret. */
    rotationTrigger: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
    clusterName: pulumi.Input<string>;
    databaseName: pulumi.Input<string>;
}

/** The role the sink gets on its database; kept in one place so the tests can assert it. */
export const SINK_DATABASE_ROLE = "Ingestor";

export class SinkIdentity extends pulumi.ComponentResource {
    public readonly application: azuread.Application;
    public readonly servicePrincipal: azuread.ServicePrincipal;
    public readonly clientSecret: pulumi.Output<string>;
    public readonly appId: pulumi.Output<string>;
    public readonly ingestorAssignment: kusto.DatabasePrincipalAssignment;

    constructor(name: string, args: SinkIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:SinkIdentity", name, {}, opts);
        this.application = new azuread.Application(`${name}-application`, { displayName: args.displayName }, { parent: this });
        this.servicePrincipal = new azuread.ServicePrincipal(`${name}-principal`, { clientId: this.application.clientId }, { parent: this });
        const password = new azuread.ApplicationPassword(
            `${name}-secret`,
            {
                applicationId: this.application.id,
                displayName: "kafka-connect-kusto-sink",
                endDateRelative: "8760h",
                rotateWhenChanged: { rotation: args.rotationTrigger },
            },
            { parent: this },
        );
        this.clientSecret = pulumi.secret(password.value);
        this.appId = this.application.clientId;
        this.ingestorAssignment = new kusto.DatabasePrincipalAssignment(
            `${name}-ingestor`,
            {
                clusterName: args.clusterName,
                databaseName: args.databaseName,
                resourceGroupName: args.resourceGroupName,
                principalAssignmentName: "pg-adx-cdc-sink",
                principalId: this.application.clientId,
                principalType: "App",
                role: SINK_DATABASE_ROLE,
                tenantId: args.tenantId,
            },
            { parent: this, dependsOn: [this.servicePrincipal] },
        );
        this.registerOutputs({ appId: this.appId, clientSecret: this.clientSecret });
    }
}
