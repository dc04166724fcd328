// One Entra application or managed identity granted one role on one ADX database: on a cluster the
// stack owns an ARM principal assignment; on one it does not own (an existing or free cluster) KQL
// (`.add database ... <role>s`), run as the deployer and dropped on delete. The sink is an Ingestor,
// the pipeline-stalled alert a Viewer: nothing more.
import * as pulumi from "@pulumi/pulumi";
import * as kusto from "@pulumi/azure-native/kusto";
import { KqlSchema } from "../kql/kqlSchema";
import { KqlScript } from "../kql/kqlModel";

/** Where and how the role is granted. */
export type AdxDatabaseAccess =
    | { kind: "arm"; resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string>; databaseName: pulumi.Input<string> }
    | { kind: "kql"; clusterUri: pulumi.Input<string>; databaseName: string };

/** The database roles the stack grants, with their KQL list name. */
const KQL_ROLE_LISTS = { Ingestor: "ingestors", Viewer: "viewers" } as const;
export type AdxDatabaseRoleName = keyof typeof KQL_ROLE_LISTS;

/** The KQL that grants an Entra application (or a managed identity, by its client id) a role on one database (idempotent; dropped on delete). */
export function buildDatabaseRoleGrantScript(grant: { database: string; role: AdxDatabaseRoleName; appId: string; tenantId: string } & AdxGrantScriptText): KqlScript {
    const { database, appId, tenantId } = grant;
    if (!/^[A-Za-z0-9_.-]+$/.test(database)) throw new Error(`database name ${JSON.stringify(database)} cannot be quoted in KQL`);
    if (!/^[0-9a-fA-F-]{36}$/.test(appId)) throw new Error(`application (client) id ${JSON.stringify(appId)} is not a GUID`);
    if (!/^[0-9A-Za-z.-]+$/.test(tenantId)) throw new Error(`tenant id ${JSON.stringify(tenantId)} is not a GUID or domain`);
    if (!/^[A-Za-z0-9 .,:()-]+$/.test(grant.principalNote)) throw new Error(`principal note ${JSON.stringify(grant.principalNote)} cannot be quoted in KQL`);
    return {
        name: grant.scriptName,
        text: `// ${grant.comment}\n.add database ['${database}'] ${KQL_ROLE_LISTS[grant.role]} ('aadapp=${appId};${tenantId}') '${grant.principalNote}'\n`,
    };
}

/** How a KQL grant reads: its script's name, a comment saying why, and the note ADX keeps beside the principal. */
export interface AdxGrantScriptText {
    scriptName: string;
    comment: string;
    /** Letters, digits, spaces and .,:()- only. */
    principalNote: string;
}

export interface AdxDatabaseRoleGrant {
    access: AdxDatabaseAccess;
    role: AdxDatabaseRoleName;
    /** The application's or the managed identity's client id. */
    clientId: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
    /** The ARM assignment's name on an owned cluster (unique per database). */
    assignmentName: string;
    /** How the KQL grant on a cluster the stack does not own reads, for its database. */
    kqlText: (database: string) => AdxGrantScriptText;
}

/**
 * The resource that grants the role: `name` on an owned cluster, `${name}-kql` on another. A managed
 * identity is granted as an application too (by its client id).
 */
export function grantAdxDatabaseRole(name: string, grant: AdxDatabaseRoleGrant, opts: pulumi.CustomResourceOptions): pulumi.Resource {
    const access = grant.access;
    if (access.kind === "arm") {
        return new kusto.DatabasePrincipalAssignment(
            name,
            {
                clusterName: access.clusterName,
                databaseName: access.databaseName,
                resourceGroupName: access.resourceGroupName,
                principalAssignmentName: grant.assignmentName,
                principalId: grant.clientId,
                principalType: "App",
                role: grant.role,
                tenantId: grant.tenantId,
            },
            opts,
        );
    }
    const script = pulumi
        .all([grant.clientId, grant.tenantId])
        .apply(([appId, tenantId]) => buildDatabaseRoleGrantScript({ database: access.databaseName, role: grant.role, appId, tenantId, ...grant.kqlText(access.databaseName) }));
    // The grant goes when the stack goes, whatever adx.retainDataOnDestroy says about data.
    return new KqlSchema(`${name}-kql`, { clusterUri: access.clusterUri, database: access.databaseName, scripts: [script], retainData: false }, opts);
}
