// Runs an operator command as `npm run <name>` would (the compiled CLI), against a local pipeline,
// with the stack outputs from a file and the ADX test double's token and certificate.
import { execFile } from "child_process";
import * as path from "path";
import { LocalPipeline } from "../../../local/localPipeline";
import { REPO_ROOT } from "../../../local/prerequisites";

export function runOperatorCli(
    pipeline: LocalPipeline,
    outputsFile: string,
    command: string,
    args: string[],
    timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            [path.join(REPO_ROOT, "dist", "operations", "cli.js"), command, "--outputs", outputsFile, ...args],
            {
                env: { ...process.env, PGPASSWORD: pipeline.operatorPassword, AZURE_KUSTO_ACCESS_TOKEN: pipeline.adxAccessToken, NODE_EXTRA_CA_CERTS: pipeline.tls.certFile },
                timeout: timeoutMs,
            },
            (error, stdout, stderr) => resolve({ code: error ? Number((error as any).code ?? 1) : 0, stdout, stderr }),
        );
    });
}
