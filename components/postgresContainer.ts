// PostgreSQL as a Docker container on the Kafka platform's network: the free way to run the
// source. Logical replication is set on its command line (no restart step), its pg_hba.conf lets
// every TCP login use SCRAM (the replication user's logical stream included), and its port is
// published on 127.0.0.1 only.
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { PostgresSettings } from "./config";
import { PUBLISHED_PORT_IP } from "./kafkaPlatform";
import { buildHbaRules, buildLogicalReplicationParameters, toPostgresCommandLine } from "../postgres/serverParameters";

export interface PostgresContainerArgs {
    settings: PostgresSettings;
    containerName: string;
    networkName: pulumi.Input<string>;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
}

const HBA_FILE = "/etc/postgresql/pg_hba.conf";
const DATA_DIR = "/var/lib/postgresql/data";

/** The container's command: the image's entrypoint runs `postgres` with these settings. */
export function buildPostgresContainerCommand(settings: PostgresSettings): string[] {
    return ["postgres", ...toPostgresCommandLine(buildLogicalReplicationParameters(settings)), "-c", "password_encryption=scram-sha-256", "-c", `hba_file=${HBA_FILE}`];
}

/** The image: the configured one, or the official image of the configured major version. */
export function postgresContainerImage(settings: PostgresSettings): string {
    return settings.containerImage ?? `postgres:${settings.version}`;
}

export class PostgresContainer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Where Kafka Connect reaches the server: the container's name on the Docker network. */
    public readonly networkHost: string;
    public readonly networkPort = 5432;
    /** Where `pulumi` (the bootstrap) and operator commands reach it: the published port. */
    public readonly publishedHost = PUBLISHED_PORT_IP;
    public readonly publishedPort: number;

    constructor(name: string, args: PostgresContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:PostgresContainer", name, {}, opts);
        const s = args.settings;
        const image = new docker.RemoteImage(`${name}-image`, { name: postgresContainerImage(s), keepLocally: true }, { parent: this });
        const data = new docker.Volume(`${name}-data`, {}, { parent: this });
        const envs = pulumi
            .output(args.administratorPassword)
            .apply((password) => [`POSTGRES_USER=${s.administratorLogin}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${s.databaseName}`]);
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: args.containerName,
                image: image.imageId,
                hostname: args.containerName,
                command: buildPostgresContainerCommand(s),
                envs: pulumi.secret(envs),
                uploads: [
                    {
                        file: HBA_FILE,
                        content: buildHbaRules({ replicationUser: s.replicationUser, clientAddress: "all", otherUsersAuth: "scram-sha-256" }).join("\n") + "\n",
                        permissions: "0644",
                    },
                ],
                networksAdvanced: [{ name: args.networkName, aliases: [args.containerName] }],
                ports: [{ internal: 5432, external: s.containerPort, ip: PUBLISHED_PORT_IP }],
                volumes: [{ volumeName: data.name, containerPath: DATA_DIR }],
                // Over TCP, so the check passes only once the real server (not the entrypoint's init server) listens.
                healthcheck: {
                    tests: ["CMD-SHELL", `pg_isready -h 127.0.0.1 -U ${s.administratorLogin} -d ${s.databaseName}`],
                    interval: "2s",
                    timeout: "5s",
                    retries: 60,
                    startPeriod: "5s",
                },
                wait: true,
                waitTimeout: 180,
                restart: "unless-stopped",
            },
            { parent: this },
        );
        this.networkHost = args.containerName;
        this.publishedPort = s.containerPort;
        this.registerOutputs({ networkHost: this.networkHost, publishedPort: this.publishedPort });
    }
}
