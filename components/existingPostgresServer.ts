// A PostgreSQL server the user already runs, holding their own tables. Either an Azure flexible
// server named by resource group and server name (the stack sets the logical-replication parameters
// and adds firewall rules for the Connect host; it restarts the server only when config allows it,
// since a restart interrupts the user's application) or any PostgreSQL reached by host and port.
// Either way a readiness check (wal_level in effect, free slot and WAL sender, admin rights) runs
// before the bootstrap and names what is missing. Nothing here creates or deletes the server or
// its database; destroy removes only the firewall rules the stack added.
import { SslMode } from "../postgres/sslMode";
import * as pulumi from "@pulumi/pulumi";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import { PostgresSettings } from "./config";
import { buildFirewallRules } from "./azurePostgresServer";
import { PostgresServerRestart } from "../postgres/serverRestart";
import { buildAzureServerParameters } from "../postgres/serverParameters";
import { PostgresReadiness } from "../postgres/sourceReadiness";
import { deployerRuleOptions } from "./deployerIp";

export interface ExistingPostgresServerArgs {
    settings: PostgresSettings;
    /** Debezium's slot name (the readiness check needs no free slot when it exists already). */
    slotName: pulumi.Input<string>;
    /** The deployer's public IPv4 address, when config asks for it to be allowed (Azure server only). */
    deployerIp?: pulumi.Input<string | undefined>;
}

/** The message the readiness check gives when wal_level waits for a restart the stack may not make. */
export function restartHintFor(settings: Pick<PostgresSettings, "existingServer" | "allowRestart" | "host">): string {
    if (settings.existingServer) {
        const { resourceGroupName, serverName } = settings.existingServer;
        return settings.allowRestart
            ? `The stack restarts ${serverName} itself (pg-adx-cdc:postgres.allowRestart is true); if this persists, check the restart in the Azure portal.`
            : `Restart the server when its clients can take a minute's interruption: az postgres flexible-server restart --resource-group ${resourceGroupName} --name ${serverName}; then run pulumi up again. Or let the stack restart it: pulumi config set --path pg-adx-cdc:postgres.allowRestart true`;
    }
    return `Restart PostgreSQL on ${settings.host} (e.g. systemctl restart postgresql, or your platform's restart), then run pulumi up again.`;
}

export class ExistingPostgresServer extends pulumi.ComponentResource {
    public readonly host: pulumi.Output<string>;
    public readonly port: number;
    public readonly sslMode: SslMode;
    public readonly readiness: PostgresReadiness;
    public readonly firewallRules: dbforpostgresql.FirewallRule[] = [];

    constructor(name: string, args: ExistingPostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:ExistingPostgresServer", name, {}, opts);
        const s = args.settings;
        let ready: pulumi.Resource[] = [];
        if (s.existingServer) {
            const { resourceGroupName, serverName } = s.existingServer;
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
            // The same parameters the stack sets on its own servers, chained (Azure applies one at a time).
            const parameters: dbforpostgresql.Configuration[] = [];
            for (const p of buildAzureServerParameters(s)) {
                parameters.push(
                    new dbforpostgresql.Configuration(
                        `${name}-param-${p.name.replace(/_/g, "-")}`,
                        { serverName, resourceGroupName, configurationName: p.name, value: p.value, source: "user-override" },
                        { parent: this, dependsOn: parameters.slice(-1) },
                    ),
                );
            }
            ready = parameters;
            if (s.allowRestart) {
                const staticParameters = Object.fromEntries(
                    buildAzureServerParameters(s)
                        .filter((p) => p.static)
                        .map((p) => [p.name, p.value]),
                );
                ready = [new PostgresServerRestart(`${name}-restart`, { serverId: server.id, staticParameters }, { parent: this, dependsOn: parameters })];
            }
            const rules = [...buildFirewallRules(s.allowedClientCidrs).map((r) => ({ ...r, name: `pg-adx-cdc-${r.name}` }))];
            for (const r of rules) {
                this.firewallRules.push(
                    new dbforpostgresql.FirewallRule(
                        `${name}-fw-${r.name}`,
                        { serverName, resourceGroupName, firewallRuleName: r.name, startIpAddress: r.start, endIpAddress: r.end },
                        { parent: this },
                    ),
                );
            }
            if (s.allowDeployerIp) {
                if (!args.deployerIp)
                    throw new Error(
                        "pg-adx-cdc:postgres.allowDeployerIp is true but the deployer's public IP could not be determined; set PG_ADX_CDC_DEPLOYER_IP or list it in allowedClientCidrs",
                    );
                const ip = args.deployerIp as pulumi.Input<string>;
                this.firewallRules.push(
                    new dbforpostgresql.FirewallRule(
                        `${name}-fw-deployer`,
                        { serverName, resourceGroupName, firewallRuleName: "pg-adx-cdc-deployer", startIpAddress: ip, endIpAddress: ip },
                        { parent: this, ...deployerRuleOptions() },
                    ),
                );
            }
        } else {
            this.host = pulumi.output(s.host!);
            this.port = s.port;
            this.sslMode = s.sslMode;
        }
        this.readiness = new PostgresReadiness(
            `${name}-readiness`,
            {
                connection: { host: this.host, port: this.port, database: s.databaseName, user: s.administratorLogin, sslMode: this.sslMode },
                slotName: args.slotName,
                restartHint: restartHintFor(s),
            },
            { parent: this, dependsOn: [...ready, ...this.firewallRules] },
        );
        this.registerOutputs({ host: this.host });
    }
}
