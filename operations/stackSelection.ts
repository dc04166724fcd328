// Which deployed stack an operator command works on, and how it reads that stack's `operations`
// output and the admin password: `pulumi stack output --json`, or a file holding that command's output.
import { execFileSync } from "child_process";
import * as fs from "fs";
import { OperationsOutputs, parseOperationsOutputs } from "../contract/stackOutputs";
import { OPERATOR_USER } from "../postgres/sourceSchema";

export interface StackSelection {
    /** Pulumi stack name (--stack). */
    stack?: string;
    /** A file with the JSON of `pulumi stack output --json` (--outputs), instead of asking Pulumi. */
    outputsFile?: string;
}

function runPulumi(args: string[]): string {
    try {
        return execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error: any) {
        if (error.code === "ENOENT") throw new Error("the pulumi CLI is not on PATH: install it, or pass --outputs <file> with the JSON of `pulumi stack output --json`");
        throw new Error(`pulumi ${args.join(" ")} failed: ${String(error.stderr ?? error.message).trim()}`);
    }
}

/** Reads the stack's `operations` output. */
export function readOperationsOutputs(selection: StackSelection): OperationsOutputs {
    if (selection.outputsFile) {
        return parseOperationsOutputs(JSON.parse(fs.readFileSync(selection.outputsFile, "utf8")), selection.outputsFile);
    }
    if (!selection.stack) throw new Error("name the stack: --stack <name> (or --outputs <file>)");
    return parseOperationsOutputs(JSON.parse(runPulumi(["stack", "output", "--json", "--stack", selection.stack])), `stack ${selection.stack}`);
}

/**
 * The password of the PostgreSQL user the outputs name: PGPASSWORD when set, else the stack's secret output
 * `postgresOperatorPassword` for the operator role, or its secret config for the admin (a stack deployed
 * before the operator role existed), both decrypted by Pulumi.
 */
export function resolvePostgresPassword(selection: StackSelection, user: string): string | undefined {
    if (process.env.PGPASSWORD !== undefined) return process.env.PGPASSWORD;
    if (!selection.stack) return undefined;
    const source =
        user === OPERATOR_USER
            ? ["stack", "output", "--show-secrets", "postgresOperatorPassword", "--stack", selection.stack]
            : ["config", "get", "pg-adx-cdc:postgresAdminPassword", "--stack", selection.stack];
    return runPulumi(source).replace(/\n$/, "");
}

/**
 * The Kafka password the outputs name (the stack's broker's host listener, or Event Hubs' SAS connection
 * string), for this process's Kafka clients: its variable when set, else the stack's secret output that holds
 * it, decrypted by Pulumi and put into the variable. Without a stack (--outputs) the variable must be set.
 */
export function resolveKafkaPassword(selection: StackSelection, outputs: OperationsOutputs): void {
    const auth = outputs.kafkaAuthentication;
    if (auth?.mechanism !== "PLAIN" || process.env[auth.passwordEnvVar] !== undefined || !selection.stack) return;
    process.env[auth.passwordEnvVar] = runPulumi(["stack", "output", "--show-secrets", auth.passwordOutput, "--stack", selection.stack]).replace(/\n$/, "");
}
