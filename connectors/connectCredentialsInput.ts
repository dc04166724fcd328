// How a dynamic resource that calls Kafka Connect takes the REST credentials: always as a Pulumi secret
// (encrypted in state, "[secret]" in preview diffs), and kept secret in its outputs, where the provider's
// read and delete find them.
import * as pulumi from "@pulumi/pulumi";

export type ConnectCredentialsInput = pulumi.Input<{ username: pulumi.Input<string>; password: pulumi.Input<string> }>;

/** The resource's inputs with the credentials wrapped as a secret, and its options with them as a secret output. */
export function withSecretConnectCredentials<T extends { connectCredentials?: ConnectCredentialsInput }>(
    args: T,
    opts: pulumi.CustomResourceOptions | undefined,
): [T, pulumi.CustomResourceOptions] {
    const connectCredentials = args.connectCredentials === undefined ? undefined : pulumi.secret(args.connectCredentials);
    return [
        { ...args, connectCredentials },
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connectCredentials"] },
    ];
}
