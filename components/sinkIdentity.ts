// The Kusto sink's identity, granted `Ingestor` on the one database: a user-assigned managed identity
// on the Docker host (no secret anywhere: the sink asks the host's identity endpoint for tokens), or,
// for a host outside Azure, an Entra application with a client secret (a Pulumi secret, valid a year,
// rotated by changing a trigger; its expiry is a stack output `status` warns about).
// Least privilege: the quickstarts grant Admin; the sink only ingests. Its own start-up table
// check is turned off (connectors/kustoSink.ts) because the stack creates and drift-checks the
// table itself, so no read role is needed.
// The grant: components/adxDatabaseRole.ts (ARM on a cluster the stack owns, KQL on another).
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { AdxDatabaseAccess, AdxDatabaseRoleName, AdxGrantScriptText, grantAdxDatabaseRole } from "./adxDatabaseRole";

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
    databaseAccess: AdxDatabaseAccess;
}

/** How long a client secret is valid; `status` warns SECRET_EXPIRY_WARNING_DAYS before its end. */
export const CLIENT_SECRET_VALIDITY_HOURS = 8760;

/** The role the sink gets on its database; kept in one place so the tests can assert it. */
export const SINK_DATABASE_ROLE: AdxDatabaseRoleName = "Ingestor";

/** The sink's KQL grant on a cluster the stack does not own (its wording is what deployed stacks hold). */
export function sinkGrantScriptText(database: string): AdxGrantScriptText {
    return { scriptName: "sink-identity/ingestor.kql", comment: `The Kusto sink's application may ingest into ${database}, nothing more.`, principalNote: "pg-adx-cdc Kusto sink" };
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
        this.ingestorGrant = grantAdxDatabaseRole(
            `${name}-ingestor`,
            {
                access: args.databaseAccess,
                role: SINK_DATABASE_ROLE,
                clientId: this.appId,
                tenantId: args.tenantId,
                assignmentName: "pg-adx-cdc-sink",
                kqlText: sinkGrantScriptText,
            },
            { parent: this, dependsOn: this.principal ? [this.principal] : [] },
        );
        this.registerOutputs({
            appId: this.appId,
            clientSecret: this.clientSecret,
            clientSecretExpiresAt: this.clientSecretExpiresAt,
            managedIdentityResourceId: this.managedIdentityResourceId,
        });
    }

    /**
     * The identity's object (principal) id, what an Azure role assignment names (Event Hubs' data roles with
     * Entra ID); for an existing managed identity, looked up in Entra by its client id.
     */
    principalObjectId(): pulumi.Output<string> {
        if (this.principal instanceof managedidentity.UserAssignedIdentity) return this.principal.principalId;
        if (this.principal instanceof azuread.ServicePrincipal) return this.principal.objectId;
        return azuread.getServicePrincipalOutput({ clientId: this.appId }, { parent: this }).objectId;
    }
}
