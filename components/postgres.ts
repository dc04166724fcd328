// PostgreSQL source: an Azure Database for PostgreSQL Flexible Server with logical replication
// on (and the restart that makes it effective), TLS required, explicit firewall rules, the
// database, and the source bootstrap (tables, publication, heartbeat, replication user).
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql";
import { PostgresSettings, parseIpv4Cidr } from "./config";
import { PostgresServerRestart } from "../postgres/serverRestart";
import { PostgresSourceBootstrap } from "../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";
import { sourceObjectNames } from "../postgres/sourceSchema";

export interface PostgresSourceArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    serverName: pulumi.Input<string>;
    settings: PostgresSettings;
    /** Captured tables ("schema.table"). */
    tables: string[];
    topicPrefix: string;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
    /** The deployer's public IPv4 address, when config asks for it to be allowed. */
    deployerIp?: pulumi.Input<string | undefined>;
}

/**
 * Server parameters the pipeline needs; `static` ones only take effect after a restart.
 * Not max_slot_wal_keep_size: Azure lists it as read-only (allowed value -1), so setting it would
 * fail the deployment. WAL held by the slot is bounded by the heartbeat instead, and the slot is
 * dropped on destroy.
 */
export function buildServerParameters(settings: PostgresSettings): { name: string; value: string; static: boolean }[] {
    return [
        { name: "wal_level", value: "logical", static: true },
        { name: "max_replication_slots", value: String(settings.maxReplicationSlots), static: true },
        { name: "max_wal_senders", value: String(settings.maxWalSenders), static: true },
        { name: "max_worker_processes", value: String(settings.maxWorkerProcesses), static: true },
        { name: "require_secure_transport", value: "ON", static: false },
    ];
}

/** Firewall rules from the configured CIDRs (validated by config.ts) plus, optionally, the deployer's address. */
export function buildFirewallRules(cidrs: string[]): { name: string; start: string; end: string }[] {
    return cidrs.map((cidr, i) => {
        const parsed = parseIpv4Cidr(cidr);
        if (!parsed) throw new Error(`invalid CIDR ${cidr}`);
        return { name: `allowed-${i}`, start: parsed.start, end: parsed.end };
    });
}

export class PostgresSource extends pulumi.ComponentResource {
    public readonly server: dbforpostgresql.Server;
    public readonly restart: PostgresServerRestart;
    public readonly bootstrap: PostgresSourceBootstrap;
    public readonly firewallRules: dbforpostgresql.FirewallRule[];
    public readonly host: pulumi.Output<string>;
    public readonly databaseName: string;
    public readonly replicationUser: string;
    public readonly replicationPassword: pulumi.Output<string>;
    public readonly slotName: string;
    public readonly publicationName: string;
    public readonly heartbeatTable: string;

    constructor(name: string, args: PostgresSourceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:PostgresSource", name, {}, opts);
        const s = args.settings;
        this.server = new dbforpostgresql.Server(
            `${name}-server`,
            {
                serverName: args.serverName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                version: s.version,
                sku: { name: s.skuName, tier: s.skuTier },
                storage: { storageSizeGB: s.storageSizeGb },
                administratorLogin: s.administratorLogin,
                administratorLoginPassword: pulumi.secret(args.administratorPassword),
                authConfig: { passwordAuth: "Enabled", activeDirectoryAuth: "Disabled" },
                highAvailability: { mode: s.highAvailability ? "ZoneRedundant" : "Disabled" },
                network: { publicNetworkAccess: "Enabled" },
                backup: { backupRetentionDays: 7, geoRedundantBackup: "Disabled" },
            },
            { parent: this },
        );

        // Azure applies one parameter change at a time per server, so they are chained.
        let previous: pulumi.Resource = this.server;
        const parameters: dbforpostgresql.Configuration[] = [];
        for (const p of buildServerParameters(s)) {
            const configuration: dbforpostgresql.Configuration = new dbforpostgresql.Configuration(
                `${name}-param-${p.name.replace(/_/g, "-")}`,
                { serverName: this.server.name, resourceGroupName: args.resourceGroupName, configurationName: p.name, value: p.value, source: "user-override" },
                { parent: this, dependsOn: [previous] },
            );
            parameters.push(configuration);
            previous = configuration;
        }
        const staticParameters = Object.fromEntries(buildServerParameters(s).filter((p) => p.static).map((p) => [p.name, p.value]));
        this.restart = new PostgresServerRestart(`${name}-restart`, { serverId: this.server.id, staticParameters }, { parent: this, dependsOn: parameters });

        const rules = buildFirewallRules(s.allowedClientCidrs);
        this.firewallRules = rules.map(
            (r) =>
                new dbforpostgresql.FirewallRule(
                    `${name}-fw-${r.name}`,
                    { serverName: this.server.name, resourceGroupName: args.resourceGroupName, firewallRuleName: r.name, startIpAddress: r.start, endIpAddress: r.end },
                    { parent: this, dependsOn: [this.server] },
                ),
        );
        if (s.allowDeployerIp) {
            if (!args.deployerIp) throw new Error("pg-adx-cdc:postgres.allowDeployerIp is true but the deployer's public IP could not be determined; set PG_ADX_CDC_DEPLOYER_IP or list it in allowedClientCidrs");
            this.firewallRules.push(
                new dbforpostgresql.FirewallRule(
                    `${name}-fw-deployer`,
                    { serverName: this.server.name, resourceGroupName: args.resourceGroupName, firewallRuleName: "deployer", startIpAddress: args.deployerIp as pulumi.Input<string>, endIpAddress: args.deployerIp as pulumi.Input<string> },
                    { parent: this, dependsOn: [this.server] },
                ),
            );
        }

        const database = new dbforpostgresql.Database(
            `${name}-database`,
            { serverName: this.server.name, resourceGroupName: args.resourceGroupName, databaseName: s.databaseName, charset: "UTF8", collation: "en_US.utf8" },
            { parent: this, dependsOn: [this.restart] },
        );

        const password = new random.RandomPassword(`${name}-replication-password`, { length: 32, special: false }, { parent: this });
        const salt = new random.RandomBytes(`${name}-replication-salt`, { length: 16 }, { parent: this });
        this.replicationPassword = pulumi.secret(password.result);
        // Only the SCRAM verifier reaches the bootstrap resource; the password stays with the Connect worker.
        const verifier = pulumi.secret(pulumi.all([password.result, salt.base64]).apply(([pw, saltB64]) => buildScramSha256Verifier(pw, saltB64)));

        const names = sourceObjectNames(args.topicPrefix);
        this.slotName = names.slotName;
        this.publicationName = names.publicationName;
        this.heartbeatTable = names.heartbeatTable;
        this.databaseName = s.databaseName;
        this.replicationUser = s.replicationUser;
        this.host = this.server.fullyQualifiedDomainName;

        this.bootstrap = new PostgresSourceBootstrap(
            `${name}-bootstrap`,
            {
                connection: { host: this.host, port: 5432, database: s.databaseName, user: s.administratorLogin, sslMode: "require" },
                bootstrap: {
                    tables: args.tables,
                    publicationName: names.publicationName,
                    heartbeatTable: names.heartbeatTable,
                    replicationUser: s.replicationUser,
                    replicationPasswordVerifier: verifier,
                },
                slotName: names.slotName,
            },
            { parent: this, dependsOn: [database, this.restart, ...this.firewallRules] },
        );
        this.registerOutputs({ host: this.host, databaseName: this.databaseName, slotName: this.slotName, publicationName: this.publicationName });
    }
}
