// The Kusto sink's identity, granted `Ingestor` on the one database: a user-assigned managed identity
// on the Docker host (no secret anywhere: the sink asks the host's identity endpoint for tokens), or,
// for a host outside Azure, an Entra application with a client secret (a Pulumi secret, valid a year,
// rotated by changing a trigger; its expiry is a stack output `status` warns about).
// Least privilege: the quickstarts grant Admin; the sink only ingests. Its own start-up table
// check is turned off (connectors/kustoSink.ts) because the stack creates and drift-checks the
// table itself, so no read role is needed.
// On a cluster the stack owns the grant is an ARM principal assignment; on one it does not own
// (an existing or free cluster) it is KQL (`.add database ... ingestors`), run as the deployer.
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as kusto from "@pulumi/azure-native/kusto";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { KqlSchema } from "../kql/kqlSchema";
import { KqlScript } from "../kql/kqlModel";

/** Where and how the sink is granted its role. */
export type SinkDatabaseAccess =
    | { kind: "arm"; resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string>; databaseName: pulumi.Input<string> }
    | { kind: "kql"; clusterUri: pulumi.Input<string>; databaseName: string };

/** Which identity the sink runs as. */
export type SinkIdentityKind =
    /** A user-assigned managed identity: an existing one on the Docker host (its client id), or one the stack creates in `home`. */
    | { kind: "managedIdentity"; clientId?: pulumi.Input<string>; home?: { resourceGroupName: pulumi.Input<string>; location: pulumi.Input<string> } }
    /** An Entra application with a client secret; change `rotationTrigger` (e.g. "2026-11") to issue a new one. */
    | { kind: "clientSecret"; rotationTrigger: pulumi.Input<string> };

export interface SinkIdentityArgs {
    /** The application's or the created identity's name. */
    displayName: pulumi.Input<string>;
    identity: SinkIdentityKind;
    tenantId: pulumi.Input<string>;
    databaseAccess: SinkDatabaseAccess;
}

/** How long a client secret is valid; `status` warns SECRET_EXPIRY_WARNING_DAYS before its end. */
export const CLIENT_SECRET_VALIDITY_HOURS = 8760;

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
    public readonly kind: SinkIdentityKind["kind"];
    /** The Entra application (clientSecret) or the created managed identity; absent for an existing identity. */
    public readonly principal?: azuread.ServicePrincipal | managedidentity.UserAssignedIdentity;
    /** The client secret (clientSecret only): a Pulumi secret that reaches the workers only as a secret file. */
    public readonly clientSecret?: pulumi.Output<string>;
    /** When the client secret stops working (clientSecret only, RFC 3339). */
    public readonly clientSecretExpiresAt?: pulumi.Output<string>;
    /** The application's or the managed identity's client id: what ADX grants, and what the sink asks a token for. */
    public readonly appId: pulumi.Output<string>;
    /** The created managed identity's resource id, to attach to the Docker host (`az vm identity assign`). */
    public readonly managedIdentityResourceId?: pulumi.Output<string>;
    /** The resource that grants the role; the sink connector waits for it. */
    public readonly ingestorGrant: pulumi.Resource;

    constructor(name: string, args: SinkIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:SinkIdentity", name, {}, opts);
        const identity = args.identity;
        this.kind = identity.kind;
        if (identity.kind === "clientSecret") {
            const application = new azuread.Application(`${name}-application`, { displayName: args.displayName }, { parent: this });
            this.principal = new azuread.ServicePrincipal(`${name}-principal`, { clientId: application.clientId }, { parent: this });
            const password = new azuread.ApplicationPassword(
                `${name}-secret`,
                {
                    applicationId: application.id,
                    displayName: "kafka-connect-kusto-sink",
                    endDateRelative: `${CLIENT_SECRET_VALIDITY_HOURS}h`,
                    rotateWhenChanged: { rotation: identity.rotationTrigger },
                },
                { parent: this },
            );
            this.clientSecret = pulumi.secret(password.value);
            this.clientSecretExpiresAt = password.endDate;
            this.appId = application.clientId;
        } else if (identity.clientId !== undefined) {
            this.appId = pulumi.output(identity.clientId);
        } else {
            if (!identity.home) throw new Error("SinkIdentity: a managed identity the stack creates needs home (resource group and location)");
            const created = new managedidentity.UserAssignedIdentity(
                `${name}-managed-identity`,
                { resourceGroupName: identity.home.resourceGroupName, location: identity.home.location, resourceName: args.displayName },
                { parent: this },
            );
            this.principal = created;
            this.appId = created.clientId;
            this.managedIdentityResourceId = created.id;
        }
        const grantDependsOn = this.principal ? [this.principal] : [];
        const access = args.databaseAccess;
        if (access.kind === "arm") {
            this.ingestorGrant = new kusto.DatabasePrincipalAssignment(
                `${name}-ingestor`,
                {
                    clusterName: access.clusterName,
                    databaseName: access.databaseName,
                    resourceGroupName: access.resourceGroupName,
                    principalAssignmentName: "pg-adx-cdc-sink",
                    principalId: this.appId,
                    // A managed identity is granted as an application too (by its client id).
                    principalType: "App",
                    role: SINK_DATABASE_ROLE,
                    tenantId: args.tenantId,
                },
                { parent: this, dependsOn: grantDependsOn },
            );
        } else {
            const script = pulumi.all([this.appId, args.tenantId]).apply(([appId, tenantId]) => buildIngestorGrantScript(access.databaseName, appId, tenantId));
            this.ingestorGrant = new KqlSchema(
                `${name}-ingestor-kql`,
                // The grant goes when the stack goes, whatever adx.retainDataOnDestroy says about data.
                { clusterUri: access.clusterUri, database: access.databaseName, scripts: [script], retainData: false },
                { parent: this, dependsOn: grantDependsOn },
            );
        }
        this.registerOutputs({
            appId: this.appId,
            clientSecret: this.clientSecret,
            clientSecretExpiresAt: this.clientSecretExpiresAt,
            managedIdentityResourceId: this.managedIdentityResourceId,
        });
    }
}
