// The PostgreSQL source: the server (an Azure flexible server, or a container for the free path)
// and the source bootstrap on it (tables, publication, heartbeat, replication user). Everything
// downstream reads the connection details from here, whichever way the server runs.
import { SslMode } from "../postgres/sslMode";
import * as pulumi from "@pulumi/pulumi";
import { PostgresSettings } from "./config";
import { AzurePostgresServer } from "./azurePostgresServer";
import { PostgresContainer } from "./postgresContainer";
import { ExistingPostgresServer } from "./existingPostgresServer";
import { PostgresSourceBootstrap } from "../postgres/sourceBootstrap";
import { sourceObjectNames } from "../postgres/sourceSchema";

export interface PostgresSourceArgs {
    settings: PostgresSettings;
    /** Captured tables ("schema.table"). */
    tables: string[];
    /** Create the demo tables the stack owns (retail.orders_info) when captured and missing: only with the generator. */
    createDemoTables?: boolean;
    topicPrefix: string;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
    /** SCRAM-SHA-256 verifier of the replication user's password (never the password). */
    replicationPasswordVerifier: pulumi.Input<string>;
    /** Azure mode: where the flexible server goes. */
    azure?: { resourceGroupName: pulumi.Input<string>; location: pulumi.Input<string>; serverName: pulumi.Input<string>; deployerIp?: pulumi.Input<string | undefined> };
    /** Existing mode: the deployer's public IPv4 address, when config asks for it to be allowed (Azure server). */
    existing?: { deployerIp?: pulumi.Input<string | undefined> };
    /** Container mode: the Docker network Kafka Connect is on, and the container's name. */
    container?: { networkName: pulumi.Input<string>; containerName: string };
}

/** How a client reaches the server. */
export interface PostgresEndpoint {
    host: pulumi.Output<string>;
    port: number;
    sslMode: SslMode;
}

export class PostgresSource extends pulumi.ComponentResource {
    public readonly bootstrap: PostgresSourceBootstrap;
    /** Where Kafka Connect (and the generator container) connect. */
    public readonly connectEndpoint: PostgresEndpoint;
    /** Where `pulumi` and the operator commands connect. */
    public readonly adminEndpoint: PostgresEndpoint;
    public readonly databaseName: string;
    public readonly administratorLogin: string;
    public readonly replicationUser: string;
    public readonly slotName: string;
    public readonly publicationName: string;
    public readonly heartbeatTable: string;
    /** Debezium's signal table (cdc_meta): incremental snapshots of tables added to a running stack. */
    public readonly signalTable: string;
    /** How the stack's providers reach PostgreSQL as the admin (bootstrap, catalog, snapshot signals). */
    public readonly adminConnection: { host: pulumi.Input<string>; port: pulumi.Input<number>; database: string; user: string; sslMode: SslMode };

    constructor(name: string, args: PostgresSourceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:PostgresSource", name, {}, opts);
        const s = args.settings;
        let ready: pulumi.Resource[];
        const names = sourceObjectNames(args.topicPrefix);
        if (s.mode === "existing") {
            const server = new ExistingPostgresServer(`${name}-existing`, { settings: s, slotName: names.slotName, deployerIp: args.existing?.deployerIp }, { parent: this });
            this.connectEndpoint = { host: server.host, port: server.port, sslMode: server.sslMode };
            this.adminEndpoint = this.connectEndpoint;
            ready = [server.readiness];
        } else if (s.mode === "azure") {
            if (!args.azure) throw new Error("PostgresSource: azure mode needs args.azure (resource group, location, server name)");
            const server = new AzurePostgresServer(`${name}-azure`, { ...args.azure, settings: s, administratorPassword: args.administratorPassword }, { parent: this });
            // TLS is required by the server (require_secure_transport=ON) and by every client here.
            this.connectEndpoint = { host: server.host, port: 5432, sslMode: "require" };
            this.adminEndpoint = this.connectEndpoint;
            ready = [server.database, server.restart, ...server.firewallRules];
        } else {
            if (!args.container) throw new Error("PostgresSource: container mode needs args.container (Docker network and container name)");
            const server = new PostgresContainer(
                `${name}-container`,
                { settings: s, containerName: args.container.containerName, networkName: args.container.networkName, administratorPassword: args.administratorPassword },
                { parent: this },
            );
            // Plain TCP on a private Docker network and on 127.0.0.1; the official image has no certificate.
            this.connectEndpoint = { host: pulumi.output(server.networkHost), port: server.networkPort, sslMode: "disable" };
            this.adminEndpoint = { host: pulumi.output(server.publishedHost), port: server.publishedPort, sslMode: "disable" };
            ready = [server.container];
        }

        this.slotName = names.slotName;
        this.publicationName = names.publicationName;
        this.heartbeatTable = names.heartbeatTable;
        this.signalTable = names.signalTable;
        this.databaseName = s.databaseName;
        this.administratorLogin = s.administratorLogin;
        this.replicationUser = s.replicationUser;

        this.adminConnection = {
            host: this.adminEndpoint.host,
            port: this.adminEndpoint.port,
            database: s.databaseName,
            user: s.administratorLogin,
            sslMode: this.adminEndpoint.sslMode,
        };
        this.bootstrap = new PostgresSourceBootstrap(
            `${name}-bootstrap`,
            {
                connection: this.adminConnection,
                bootstrap: {
                    tables: args.tables,
                    publicationName: names.publicationName,
                    heartbeatTable: names.heartbeatTable,
                    signalTable: names.signalTable,
                    replicationUser: s.replicationUser,
                    replicationPasswordVerifier: pulumi.secret(args.replicationPasswordVerifier),
                    createDemoTables: args.createDemoTables ?? false,
                },
                slotName: names.slotName,
            },
            { parent: this, dependsOn: ready },
        );
        this.registerOutputs({
            connectHost: this.connectEndpoint.host,
            adminHost: this.adminEndpoint.host,
            databaseName: this.databaseName,
            slotName: this.slotName,
            publicationName: this.publicationName,
        });
    }
}
