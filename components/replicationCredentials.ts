// The Debezium replication user's credentials: a generated password (a Pulumi secret, handed to
// the Connect workers only as a secret file) and its SCRAM-SHA-256 verifier, which is all
// the source bootstrap ever sees.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { buildScramSha256Verifier } from "../postgres/scramVerifier";

export interface ReplicationCredentialsArgs {
    /** Password length; 32 characters of letters and digits by default. */
    length?: number;
}

export class ReplicationCredentials extends pulumi.ComponentResource {
    public readonly password: pulumi.Output<string>;
    public readonly scramVerifier: pulumi.Output<string>;

    constructor(name: string, args: ReplicationCredentialsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:ReplicationCredentials", name, {}, opts);
        const password = new random.RandomPassword(`${name}-password`, { length: args.length ?? 32, special: false }, { parent: this });
        const salt = new random.RandomBytes(`${name}-salt`, { length: 16 }, { parent: this });
        this.password = pulumi.secret(password.result);
        this.scramVerifier = pulumi.secret(pulumi.all([password.result, salt.base64]).apply(([pw, saltB64]) => buildScramSha256Verifier(pw, saltB64)));
        this.registerOutputs({ password: this.password, scramVerifier: this.scramVerifier });
    }
}
