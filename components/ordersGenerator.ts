// Optional orders generator: the generator/ CLI as a container on the Kafka platform's Docker
// host, writing inserts, updates and deletes to the source database at the configured rate.
import { SslMode } from "../contract/sslMode";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { namedContainerOptions } from "./namedContainer";
import { GeneratorSettings } from "../config/stackConfig";

export interface OrdersGeneratorArgs {
    /** Changes per second. */
    rate: pulumi.Input<number>;
    /** Share of changes that update an existing order (0-1). */
    updates: pulumi.Input<number>;
    /** Share of changes that delete one (0-1); the rest insert. */
    deletes: pulumi.Input<number>;
    imageName: pulumi.Input<string>;
    containerName: pulumi.Input<string>;
    networkName: pulumi.Input<string>;
    postgresHost: pulumi.Input<string>;
    postgresPort: number;
    /** "require" against Azure; "disable" for the PostgreSQL container on the Docker network. */
    sslMode: SslMode;
    database: pulumi.Input<string>;
    user: pulumi.Input<string>;
    /** Its role's password: a file in the container (PGPASSWORD_FILE), never an environment variable. */
    password: pulumi.Input<string>;
}

/** Where the generator's container holds its password, and the image's user (node) that alone reads it. */
export const GENERATOR_PASSWORD_FILE = "/run/secrets/pg-adx-cdc/generator-password";
export const GENERATOR_IMAGE_UID = 1000;

/** The generator's command line for the configured rate and mix (runs until stopped). */
export function buildGeneratorCommand(settings: Pick<GeneratorSettings, "rate" | "updates" | "deletes">): string[] {
    return ["node", "dist/generator/cli.js", "--rate", String(settings.rate), "--updates", String(settings.updates), "--deletes", String(settings.deletes), "--duration", "0"];
}

export class OrdersGenerator extends pulumi.ComponentResource {
    public readonly container: docker.Container;

    constructor(name: string, args: OrdersGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:OrdersGenerator", name, {}, opts);
        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: args.imageName,
                skipPush: true,
                buildOnPreview: false,
                build: {
                    context: path.join(__dirname, ".."),
                    dockerfile: path.join(__dirname, "..", "generator", "Dockerfile"),
                    platform: "linux/amd64",
                    args: { GENERATOR_UID: String(GENERATOR_IMAGE_UID) },
                },
            },
            { parent: this },
        );
        const envs = pulumi
            .all([args.postgresHost, args.database, args.user])
            .apply(([host, db, user]) => [
                `PGHOST=${host}`,
                `PGPORT=${args.postgresPort}`,
                `PGDATABASE=${db}`,
                `PGUSER=${user}`,
                `PGPASSWORD_FILE=${GENERATOR_PASSWORD_FILE}`,
                `PGSSLMODE=${args.sslMode}`,
            ]);
        const uid = String(GENERATOR_IMAGE_UID);
        const uploads = pulumi.secret(pulumi.output(args.password).apply((content) => [{ file: GENERATOR_PASSWORD_FILE, content, owner: uid, group: uid, permissions: "0400" }]));
        this.container = new docker.Container(
            `${name}-container`,
            {
                name: args.containerName,
                image: image.imageName,
                command: pulumi.all([args.rate, args.updates, args.deletes]).apply(([rate, updates, deletes]) => buildGeneratorCommand({ rate, updates, deletes })),
                envs,
                uploads,
                networksAdvanced: [{ name: args.networkName }],
                restart: "unless-stopped",
            },
            namedContainerOptions({ parent: this }),
        );
        this.registerOutputs({});
    }
}
