// The Kusto sink's identity: an Entra application with a service principal and a client secret
// (a Pulumi secret, rotated by changing a trigger), granted `Ingestor` on the one database.
// Least privilege: the quickstarts grant Admin; the sink only ingests. Its own start-up table
// check is turned off (connectors/kustoSink.ts) because the stack creates and drift-checks the
// table itself, so no read role is needed.
// On a cluster the stack owns the grant is an ARM principal assignment; on one it does not own
// (an existing or free cluster) it is KQL (`.add database ... ingestors`), run as the deployer.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as kusto from "@pulumi/azure-native/kusto";
import { KqlSchema } from "../kql/kqlSchema";
import { KqlScript } from "../kql/kqlModel";

/** Where and how the sink is granted its role. */
export type SinkDatabaseAccess =
    | { kind: "arm"; resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string>; databaseName: pulumi.Input<string> }
    | { kind: "kql"; clusterUri: pulumi.Input<string>; databaseName: string };

export interface SinkIdentityArgs {
    displayName: pulumi.Input<string>;
    /** Change this value (e.g. "2026-11") to issue a new client secret. */
    rotationTrigger: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    databaseAccess: SinkDatabaseAccess;
}

/** The role the sink gets on its database; kept in one place so the tests can assert it. */
export const SINK_DATABASE_ROLE = "Ingestor";

/** The KQL that makes an Entra application an ingestor of one database (idempotent; dropped on delete). */
export function buildIngestorGrantScript(database: string, appId: string, tenantId: string): KqlScript {
    if (!/^[A-Za-z0-9_.-]+$/.test(database)) throw new Error(`database name ${JSON.stringify(database)} cannot be quoted in KQL`);
    if (!/^[0-9a-fA-F-]{36}$/.test(appId)) throw new Error(`application (client) id ${JSON.stringify(appId)} is not a GUID`);
    if (!/^[0-9A-Za-z.-]+$/.test(tenantId)) throw new Error(`tenant id ${JSON.stringify(tenantId)} is not a GUID or domain`);
    return {
        name: "sink-identity/ingestor.kql",
        text: `// The Kusto sink's application may ingest into ${database}, nothing more.\n.add database ['${database}'] ingestors ('aadapp=${appId};${tenantId}') 'pg-adx-cdc Kusto sink'\n`,
    };
}

export class SinkIdentity extends pulumi.ComponentResource {
    public readonly application: azuread.Application;
    public readonly servicePrincipal: azuread.ServicePrincipal;
    public readonly clientSecret: pulumi.Output<string>;
    public readonly appId: pulumi.Output<string>;
    /** The resource that grants the role; the sink connector waits for it. */
    public readonly ingestorGrant: pulumi.Resource;

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
        const access = args.databaseAccess;
        if (access.kind === "arm") {
            this.ingestorGrant = new kusto.DatabasePrincipalAssignment(
                `${name}-ingestor`,
                {
                    clusterName: access.clusterName,
                    databaseName: access.databaseName,
                    resourceGroupName: access.resourceGroupName,
                    principalAssignmentName: "pg-adx-cdc-sink",
                    principalId: this.application.clientId,
                    principalType: "App",
                    role: SINK_DATABASE_ROLE,
                    tenantId: args.tenantId,
                },
                { parent: this, dependsOn: [this.servicePrincipal] },
            );
        } else {
            const script = pulumi.all([this.appId, args.tenantId]).apply(([appId, tenantId]) => buildIngestorGrantScript(access.databaseName, appId, tenantId));
            this.ingestorGrant = new KqlSchema(
                `${name}-ingestor-kql`,
                // The grant goes when the stack goes, whatever adx.retainDataOnDestroy says about data.
                { clusterUri: access.clusterUri, database: access.databaseName, scripts: [script], retainData: false },
                { parent: this, dependsOn: [this.servicePrincipal] },
            );
        }
        this.registerOutputs({ appId: this.appId, clientSecret: this.clientSecret });
    }
}
