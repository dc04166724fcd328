// PostgreSQL as a Docker container on the Kafka platform's network: the free way to run the
// source. Logical replication is set on its command line (no restart step), its pg_hba.conf lets
// every TCP login use SCRAM (the replication user's logical stream included), and its port is
// published on 127.0.0.1 only.
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { namedContainerOptions } from "./namedContainer";
import { PostgresSettings } from "../config/postgresSettings";
import { PUBLISHED_PORT_IP } from "./kafkaPlatform";
import { buildHbaRules, ServerParameter, toPostgresCommandLine } from "../postgres/serverParameters";

export interface PostgresContainerArgs {
    /** The image: `postgresContainerImage` (the configured one, or the official image of the major version). */
    image: pulumi.Input<string>;
    /** Server parameters for the command line (postgres/serverParameters.ts). */
    parameters: pulumi.Input<ServerParameter[]>;
    databaseName: pulumi.Input<string>;
    administratorLogin: pulumi.Input<string>;
    /** The one user pg_hba.conf lets open a logical replication stream. */
    replicationUser: pulumi.Input<string>;
    /** Admin password (a Pulumi secret from `pg-adx-cdc:postgresAdminPassword`). */
    administratorPassword: pulumi.Input<string>;
    /** Port published on 127.0.0.1; plain, since the stack's operator outputs name it. */
    publishedPort: number;
    containerName: string;
    networkName: pulumi.Input<string>;
}

const HBA_FILE = "/etc/postgresql/pg_hba.conf";
const DATA_DIR = "/var/lib/postgresql/data";

/** The container's command: the image's entrypoint runs `postgres` with these settings. */
export function buildPostgresContainerCommand(parameters: ServerParameter[]): string[] {
    return ["postgres", ...toPostgresCommandLine(parameters), "-c", "password_encryption=scram-sha-256", "-c", `hba_file=${HBA_FILE}`];
}

/** The image: the configured one, or the official image of the configured major version. */
export function postgresContainerImage(settings: Pick<PostgresSettings, "containerImage" | "version">): string {
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
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });
        const data = new docker.Volume(`${name}-data`, {}, { parent: this });
        const envs = pulumi
            .all([args.administratorLogin, args.administratorPassword, args.databaseName])
            .apply(([login, password, database]) => [`POSTGRES_USER=${login}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${database}`]);
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: args.containerName,
                image: image.imageId,
                hostname: args.containerName,
                command: pulumi.output(args.parameters).apply(buildPostgresContainerCommand),
                envs: pulumi.secret(envs),
                uploads: [
                    {
                        file: HBA_FILE,
                        content: pulumi
                            .output(args.replicationUser)
                            .apply((replicationUser) => buildHbaRules({ replicationUser, clientAddress: "all", otherUsersAuth: "scram-sha-256" }).join("\n") + "\n"),
                        permissions: "0644",
                    },
                ],
                networksAdvanced: [{ name: args.networkName, aliases: [args.containerName] }],
                ports: [{ internal: 5432, external: args.publishedPort, ip: PUBLISHED_PORT_IP }],
                volumes: [{ volumeName: data.name, containerPath: DATA_DIR }],
                // Over TCP, so the check passes only once the real server (not the entrypoint's init server) listens.
                healthcheck: {
                    tests: ["CMD-SHELL", pulumi.interpolate`pg_isready -h 127.0.0.1 -U ${args.administratorLogin} -d ${args.databaseName}`],
                    interval: "2s",
                    timeout: "5s",
                    retries: 60,
                    startPeriod: "5s",
                },
                wait: true,
                waitTimeout: 180,
                restart: "unless-stopped",
            },
            namedContainerOptions({ parent: this }),
        );
        this.networkHost = args.containerName;
        this.publishedPort = args.publishedPort;
        this.registerOutputs({ networkHost: this.networkHost, publishedPort: this.publishedPort });
    }
}
