// A PostgreSQL server the user already runs, holding their own tables. Either an Azure flexible
// server named by resource group and server name (the stack sets the logical-replication parameters
// and adds firewall rules for the Connect host; it restarts the server only when config allows it,
// since a restart interrupts the user's application) or any PostgreSQL reached by host and port.
// Either way a readiness check (wal_level in effect, free slot and WAL sender, admin rights) runs
// before the bootstrap and names what is missing. Nothing here creates or deletes the server or
// its database; destroy removes only the firewall rules and the alert rules the stack added.
import { SslMode } from "../contract/sslMode";
import * as pulumi from "@pulumi/pulumi";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import { buildFirewallRules } from "./azurePostgresServer";
import { PostgresServerRestart } from "../postgres/serverRestart";
import { raisedParameterValue, ServerParameter } from "../postgres/serverParameters";
import { PostgresReadiness } from "../postgres/sourceReadiness";
import { STACK_SCHEMA } from "../postgres/sourceSchema";
import { deployerRuleOptions } from "./deployerIp";
import { sourceServerAlerts } from "./sourceServerAlerts";

/** Where the server is: an Azure flexible server the stack configures, or any PostgreSQL by host. */
export type ExistingPostgresTarget =
    | {
          kind: "azure";
          /** Plain: they name the server in error messages and in the restart command the readiness check prints. */
          resourceGroupName: string;
          serverName: string;
          /** Server parameters (postgres/serverParameters.ts); each a resource of its own, applied one at a time. */
          parameters: ServerParameter[];
          /** Restart the server when a static parameter waits for it (interrupts its clients for about a minute). */
          allowRestart: boolean;
          /** Client ranges to allow; each a firewall rule named by its range. */
          allowedClientCidrs: string[];
          /** The deployer's public IPv4 address: when given, a rule allows it. */
          deployerIp?: pulumi.Input<string>;
          /** Who the server's storage and slot alerts tell (components/alertRecipients.ts). */
          actionGroupId?: pulumi.Input<string>;
      }
    | { kind: "host"; host: pulumi.Input<string>; port: number; sslMode: SslMode };

export interface ExistingPostgresServerArgs {
    target: ExistingPostgresTarget;
    databaseName: pulumi.Input<string>;
    administratorLogin: pulumi.Input<string>;
    /** Debezium's slot name (the readiness check needs no free slot when it exists already). */
    slotName: pulumi.Input<string>;
    /** Captured tables, checked for owner's rights before the bootstrap. */
    tables?: pulumi.Input<string[]>;
    /** The roles the bootstrap creates or alters, checked to be the admin's to alter. */
    roles?: string[];
}

/** The message the readiness check gives when wal_level waits for a restart the stack may not make. */
export function restartHintFor(target: ExistingPostgresTarget): string {
    if (target.kind === "azure") {
        const { resourceGroupName, serverName } = target;
        return target.allowRestart
            ? `The stack restarts ${serverName} itself (pg-adx-cdc:postgres.allowRestart is true); if this persists, check the restart in the Azure portal.`
            : `Restart the server when its clients can take a minute's interruption: az postgres flexible-server restart --resource-group ${resourceGroupName} --name ${serverName}; then run pulumi up again. Or let the stack restart it: pulumi config set --path pg-adx-cdc:postgres.allowRestart true`;
    }
    return `Restart PostgreSQL on ${typeof target.host === "string" ? target.host : "the server"} (e.g. systemctl restart postgresql, or your platform's restart), then run pulumi up again.`;
}

export class ExistingPostgresServer extends pulumi.ComponentResource {
    public readonly host: pulumi.Output<string>;
    public readonly port: number;
    public readonly sslMode: SslMode;
    public readonly readiness: PostgresReadiness;
    public readonly firewallRules: dbforpostgresql.FirewallRule[] = [];

    constructor(name: string, args: ExistingPostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:ExistingPostgresServer", name, {}, opts);
        const target = args.target;
        let ready: pulumi.Resource[] = [];
        if (target.kind === "azure") {
            const { resourceGroupName, serverName } = target;
            const server = dbforpostgresql.getServerOutput({ resourceGroupName, serverName }, { parent: this });
            this.host = server.fullyQualifiedDomainName.apply((h) => {
                if (!h)
                    throw new Error(
                        `Azure flexible server ${serverName} in ${resourceGroupName} has no public host name; the stack reaches it over its public endpoint (pg-adx-cdc:postgres.existingServer)`,
                    );
                return h;
            });
            this.port = 5432;
            this.sslMode = "require";
            // The same parameters the stack sets on its own servers, chained (Azure applies one at a time),
            // but never lower than the server has them: the user's own slots and workers stay theirs.
            const parameters: dbforpostgresql.Configuration[] = [];
            const values = new Map<string, pulumi.Output<string>>();
            for (const p of target.parameters) {
                const current = dbforpostgresql.getConfigurationOutput({ resourceGroupName, serverName, configurationName: p.name }, { parent: this });
                const value = current.apply((c) => raisedParameterValue(p.name, p.value, c.value ?? undefined));
                values.set(p.name, value);
                parameters.push(
                    new dbforpostgresql.Configuration(
                        `${name}-param-${p.name.replace(/_/g, "-")}`,
                        { serverName, resourceGroupName, configurationName: p.name, value, source: "user-override" },
                        { parent: this, dependsOn: parameters.slice(-1) },
                    ),
                );
            }
            ready = parameters;
            if (target.allowRestart) {
                const staticParameters = Object.fromEntries(target.parameters.filter((p) => p.static).map((p) => [p.name, values.get(p.name)!]));
                ready = [new PostgresServerRestart(`${name}-restart`, { serverId: server.id, staticParameters }, { parent: this, dependsOn: parameters })];
            }
            // The pipeline's own alerts on the user's server: its disk filling, its CDC slot holding WAL.
            sourceServerAlerts(name, { resourceGroupName, serverId: server.id, actionGroupId: target.actionGroupId }, { parent: this });
            const rules = [...buildFirewallRules(target.allowedClientCidrs).map((r) => ({ ...r, name: `pg-adx-cdc-${r.name}` }))];
            for (const r of rules) {
                this.firewallRules.push(
                    new dbforpostgresql.FirewallRule(
                        `${name}-fw-${r.name}`,
                        { serverName, resourceGroupName, firewallRuleName: r.name, startIpAddress: r.start, endIpAddress: r.end },
                        { parent: this },
                    ),
                );
            }
            if (target.deployerIp !== undefined) {
                this.firewallRules.push(
                    new dbforpostgresql.FirewallRule(
                        `${name}-fw-deployer`,
                        { serverName, resourceGroupName, firewallRuleName: "pg-adx-cdc-deployer", startIpAddress: target.deployerIp, endIpAddress: target.deployerIp },
                        { parent: this, ...deployerRuleOptions() },
                    ),
                );
            }
        } else {
            this.host = pulumi.output(target.host);
            this.port = target.port;
            this.sslMode = target.sslMode;
        }
        this.readiness = new PostgresReadiness(
            `${name}-readiness`,
            {
                connection: { host: this.host, port: this.port, database: args.databaseName, user: args.administratorLogin, sslMode: this.sslMode },
                slotName: args.slotName,
                restartHint: restartHintFor(target),
                tables: args.tables,
                roles: args.roles,
                stackSchema: STACK_SCHEMA,
            },
            { parent: this, dependsOn: [...ready, ...this.firewallRules] },
        );
        this.registerOutputs({ host: this.host });
    }
}
