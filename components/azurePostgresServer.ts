// Azure Database for PostgreSQL flexible server for the source: logical replication on (and the
// restart that makes it effective), failover slots when it has a standby, TLS required, explicit
// firewall rules, and the database.
import * as pulumi from "@pulumi/pulumi";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import { sourceServerAlerts } from "./sourceServerAlerts";
import { parseIpv4Cidr } from "../config/ipv4Cidr";
import { PostgresServerRestart } from "../postgres/serverRestart";
import { ServerParameter } from "../postgres/serverParameters";
import { deployerRuleOptions } from "./deployerIp";

export interface AzurePostgresServerArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    serverName: pulumi.Input<string>;
    /** PostgreSQL major version, e.g. "16". */
    version: pulumi.Input<string>;
    /** VM size and tier, e.g. "Standard_B1ms" / "Burstable". */
    skuName: pulumi.Input<string>;
    skuTier: pulumi.Input<string>;
    storageSizeGb: pulumi.Input<number>;
    /** A zone-redundant standby (not on Burstable). */
    highAvailability: pulumi.Input<boolean>;
    backupRetentionDays: pulumi.Input<number>;
    geoRedundantBackup: pulumi.Input<boolean>;
    databaseName: pulumi.Input<string>;
    administratorLogin: pulumi.Input<string>;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
    /** Server parameters (postgres/serverParameters.ts); plain, since each is a resource of its own, applied one at a time. */
    parameters: ServerParameter[];
    /** Client ranges to allow; plain, since each is a firewall rule named by its range. */
    allowedClientCidrs: string[];
    /** The deployer's public IPv4 address: when given, a rule allows it. */
    deployerIp?: pulumi.Input<string>;
    /** Who is told when the server's storage passes STORAGE_ALERT_PERCENT (sourceServerAlerts.ts) or the CDC slot falls behind (components/alertRecipients.ts; none: the alerts show in Azure only). */
    actionGroupId?: pulumi.Input<string>;
}

/**
 * Firewall rules from the configured CIDRs (validated by config.ts), each named by its range, not by
 * its position: reordering or removing one entry of the list changes no other rule.
 */
export function buildFirewallRules(cidrs: string[]): { name: string; start: string; end: string }[] {
    const rules = new Map<string, { name: string; start: string; end: string }>();
    for (const cidr of cidrs) {
        const parsed = parseIpv4Cidr(cidr);
        if (!parsed) throw new Error(`invalid CIDR ${cidr}`);
        const name = `allow-${parsed.start.replace(/\./g, "-")}-${parsed.prefix}`;
        rules.set(name, { name, start: parsed.start, end: parsed.end });
    }
    return [...rules.values()];
}

export class AzurePostgresServer extends pulumi.ComponentResource {
    public readonly server: dbforpostgresql.Server;
    public readonly restart: PostgresServerRestart;
    public readonly database: dbforpostgresql.Database;
    public readonly firewallRules: dbforpostgresql.FirewallRule[];
    /** Host name, reached from the Connect host and from where `pulumi` runs. */
    public readonly host: pulumi.Output<string>;

    constructor(name: string, args: AzurePostgresServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:AzurePostgresServer", name, {}, opts);
        this.server = new dbforpostgresql.Server(
            `${name}-server`,
            {
                serverName: args.serverName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                version: args.version,
                sku: { name: args.skuName, tier: args.skuTier },
                // Grows the disk before it fills (at 20% free or 64 GiB, whichever is less): WAL that a stopped
                // consumer's slot keeps cannot turn the server read-only while the operator is away.
                storage: { storageSizeGB: args.storageSizeGb, autoGrow: "Enabled" },
                administratorLogin: args.administratorLogin,
                administratorLoginPassword: pulumi.secret(args.administratorPassword),
                authConfig: { passwordAuth: "Enabled", activeDirectoryAuth: "Disabled" },
                highAvailability: { mode: pulumi.output(args.highAvailability).apply((on) => (on ? "ZoneRedundant" : "Disabled")) },
                network: { publicNetworkAccess: "Enabled" },
                backup: { backupRetentionDays: args.backupRetentionDays, geoRedundantBackup: pulumi.output(args.geoRedundantBackup).apply((on) => (on ? "Enabled" : "Disabled")) },
            },
            { parent: this },
        );

        // Azure applies one parameter change at a time per server, so they are chained.
        const parameterList = args.parameters;
        let previous: pulumi.Resource = this.server;
        const parameters: dbforpostgresql.Configuration[] = [];
        for (const p of parameterList) {
            const configuration: dbforpostgresql.Configuration = new dbforpostgresql.Configuration(
                `${name}-param-${p.name.replace(/_/g, "-")}`,
                { serverName: this.server.name, resourceGroupName: args.resourceGroupName, configurationName: p.name, value: p.value, source: "user-override" },
                { parent: this, dependsOn: [previous] },
            );
            parameters.push(configuration);
            previous = configuration;
        }
        const staticParameters = Object.fromEntries(parameterList.filter((p) => p.static).map((p) => [p.name, p.value]));
        this.restart = new PostgresServerRestart(`${name}-restart`, { serverId: this.server.id, staticParameters }, { parent: this, dependsOn: parameters });

        this.firewallRules = buildFirewallRules(args.allowedClientCidrs).map(
            (r) =>
                new dbforpostgresql.FirewallRule(
                    `${name}-fw-${r.name}`,
                    { serverName: this.server.name, resourceGroupName: args.resourceGroupName, firewallRuleName: r.name, startIpAddress: r.start, endIpAddress: r.end },
                    { parent: this, dependsOn: [this.server] },
                ),
        );
        if (args.deployerIp !== undefined) {
            this.firewallRules.push(
                new dbforpostgresql.FirewallRule(
                    `${name}-fw-deployer`,
                    {
                        serverName: this.server.name,
                        resourceGroupName: args.resourceGroupName,
                        firewallRuleName: "deployer",
                        startIpAddress: args.deployerIp,
                        endIpAddress: args.deployerIp,
                    },
                    { parent: this, dependsOn: [this.server], ...deployerRuleOptions() },
                ),
            );
        }

        this.database = new dbforpostgresql.Database(
            `${name}-database`,
            { serverName: this.server.name, resourceGroupName: args.resourceGroupName, databaseName: args.databaseName, charset: "UTF8", collation: "en_US.utf8" },
            { parent: this, dependsOn: [this.restart] },
        );
        sourceServerAlerts(name, { resourceGroupName: args.resourceGroupName, serverId: this.server.id, actionGroupId: args.actionGroupId }, { parent: this });
        this.host = this.server.fullyQualifiedDomainName;
        this.registerOutputs({ host: this.host });
    }
}
