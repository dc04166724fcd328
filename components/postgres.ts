// The PostgreSQL source: the server (an Azure flexible server, or a container for the free path)
// and the source bootstrap on it (tables, publication, heartbeat, replication user). Everything
// downstream reads the connection details from here, whichever way the server runs.
import { SslMode } from "../contract/sslMode";
import * as pulumi from "@pulumi/pulumi";
import { AzurePostgresServer, AzurePostgresServerArgs } from "./azurePostgresServer";
import { PostgresContainer, PostgresContainerArgs } from "./postgresContainer";
import { ExistingPostgresServer, ExistingPostgresServerArgs } from "./existingPostgresServer";
import { PostgresSourceBootstrap } from "../postgres/sourceBootstrap";
import { GENERATOR_USER, OPERATOR_USER, SourceObjectNames } from "../postgres/sourceSchema";

/** Where the server runs, with what that way of running it needs (each component's own Args). */
export type PostgresServerPlacement =
    | ({ mode: "azure" } & Omit<AzurePostgresServerArgs, SharedServerArgs>)
    | ({ mode: "container" } & Omit<PostgresContainerArgs, SharedServerArgs | "replicationUser">)
    | ({ mode: "existing" } & Omit<ExistingPostgresServerArgs, SharedServerArgs | "slotName">);

/** What PostgresSource passes to whichever server component it creates. */
type SharedServerArgs = "databaseName" | "administratorLogin" | "administratorPassword";

export interface PostgresSourceArgs {
    server: PostgresServerPlacement;
    /**
     * Plain strings: they name objects the bootstrap creates and go into the connector configs the
     * pure builders make, which read them when the program runs.
     */
    databaseName: string;
    administratorLogin: string;
    replicationUser: string;
    /** Captured tables ("schema.table"). */
    tables: string[];
    /** Captured tables left at REPLICA IDENTITY DEFAULT (pg-adx-cdc:capture.replicaIdentity); the others are set FULL. */
    defaultIdentityTables?: string[];
    /** Create the demo tables the stack owns (retail.orders_info) when captured and missing: only with the generator. */
    createDemoTables?: boolean;
    /** The stack's objects in PostgreSQL (slot, publication, heartbeat and signal tables, WAL guard), as the pipeline's plan names them. */
    objects: SourceObjectNames;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
    /** SCRAM-SHA-256 verifier of the replication user's password (never the password). */
    replicationPasswordVerifier: pulumi.Input<string>;
    /** SCRAM-SHA-256 verifier of the operator commands' role (OPERATOR_USER); absent, they connect as the admin. */
    operatorPasswordVerifier?: pulumi.Input<string>;
    /** SCRAM-SHA-256 verifier of the orders generator's role (GENERATOR_USER), with createDemoTables only. */
    generatorPasswordVerifier?: pulumi.Input<string>;
    /** The WAL guard's limit in bytes (postgres/walGuard.ts); absent turns the guard off. */
    walGuardMaxRetainedWalBytes?: number;
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
    /** Where the WAL guard logs the slots it dropped (postgres/walGuard.ts). */
    public readonly walGuardLogTable: string;
    /** How the stack's providers reach PostgreSQL as the admin (bootstrap, catalog, snapshot signals). */
    public readonly adminConnection: { host: pulumi.Input<string>; port: pulumi.Input<number>; database: string; user: string; sslMode: SslMode };

    constructor(name: string, args: PostgresSourceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:PostgresSource", name, {}, opts);
        const placement = args.server;
        const shared = { databaseName: args.databaseName, administratorLogin: args.administratorLogin };
        let ready: pulumi.Resource[];
        const names = args.objects;
        if (placement.mode === "existing") {
            const { mode, ...existing } = placement;
            const roles = [
                args.replicationUser,
                ...(args.operatorPasswordVerifier === undefined ? [] : [OPERATOR_USER]),
                ...(args.generatorPasswordVerifier === undefined ? [] : [GENERATOR_USER]),
            ];
            const server = new ExistingPostgresServer(`${name}-existing`, { ...existing, ...shared, slotName: names.slotName, tables: args.tables, roles }, { parent: this });
            this.connectEndpoint = { host: server.host, port: server.port, sslMode: server.sslMode };
            this.adminEndpoint = this.connectEndpoint;
            ready = [server.readiness];
        } else if (placement.mode === "azure") {
            const { mode, ...azure } = placement;
            const server = new AzurePostgresServer(`${name}-azure`, { ...azure, ...shared, administratorPassword: args.administratorPassword }, { parent: this });
            // TLS is required by the server (require_secure_transport=ON) and by every client here.
            this.connectEndpoint = { host: server.host, port: 5432, sslMode: "require" };
            this.adminEndpoint = this.connectEndpoint;
            ready = [server.database, server.restart, ...server.firewallRules];
        } else {
            const { mode, ...container } = placement;
            const server = new PostgresContainer(
                `${name}-container`,
                { ...container, ...shared, replicationUser: args.replicationUser, administratorPassword: args.administratorPassword },
                { parent: this },
            );
            // Plain TCP on a private Docker network and on 127.0.0.1; the official image has no certificate.
            this.connectEndpoint = { host: pulumi.output(server.networkHost), port: server.networkPort, sslMode: "disable" };
            this.adminEndpoint = { host: pulumi.output(server.publishedHost), port: server.publishedPort, sslMode: "disable" };
            ready = [server.container];
        }

        this.slotName = names.slotName;
        this.walGuardLogTable = names.walGuard.logTable;
        this.publicationName = names.publicationName;
        this.heartbeatTable = names.heartbeatTable;
        this.signalTable = names.signalTable;
        this.databaseName = args.databaseName;
        this.administratorLogin = args.administratorLogin;
        this.replicationUser = args.replicationUser;

        this.adminConnection = {
            host: this.adminEndpoint.host,
            port: this.adminEndpoint.port,
            database: args.databaseName,
            user: args.administratorLogin,
            sslMode: this.adminEndpoint.sslMode,
        };
        this.bootstrap = new PostgresSourceBootstrap(
            `${name}-bootstrap`,
            {
                connection: this.adminConnection,
                bootstrap: {
                    tables: args.tables,
                    ...(args.defaultIdentityTables?.length ? { defaultIdentityTables: args.defaultIdentityTables } : {}),
                    publicationName: names.publicationName,
                    heartbeatTable: names.heartbeatTable,
                    signalTable: names.signalTable,
                    replicationUser: args.replicationUser,
                    replicationPasswordVerifier: pulumi.secret(args.replicationPasswordVerifier),
                    createDemoTables: args.createDemoTables ?? false,
                    ...(args.generatorPasswordVerifier === undefined
                        ? {}
                        : { generator: pulumi.secret(pulumi.output(args.generatorPasswordVerifier).apply((passwordVerifier) => ({ user: GENERATOR_USER, passwordVerifier }))) }),
                    ...(args.operatorPasswordVerifier === undefined
                        ? {}
                        : { operator: pulumi.secret(pulumi.output(args.operatorPasswordVerifier).apply((passwordVerifier) => ({ user: OPERATOR_USER, passwordVerifier }))) }),
                },
                slotName: names.slotName,
                walGuard: { ...names.walGuard, ...(args.walGuardMaxRetainedWalBytes === undefined ? {} : { maxRetainedWalBytes: args.walGuardMaxRetainedWalBytes }) },
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
