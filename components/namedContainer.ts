// Resource options every container of the stack takes. Each has a fixed name (other containers and the
// operators reach it by that name) and most publish a fixed host port, so a second one cannot exist
// beside it: the Docker provider replaces by creating the new container first (pulumi-docker #1356),
// which fails on the name or the port. Deleting first is the only replacement that works.
import * as pulumi from "@pulumi/pulumi";

export function namedContainerOptions(opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return { ...opts, deleteBeforeReplace: true };
}
