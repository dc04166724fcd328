// Pulumi.yaml and every stack file pass the checks the real Pulumi CLI runs before the program starts
// (ported in test/support/pulumiCliConfigRules.ts), and the config the CLI then hands the program
// (project defaults applied) is accepted by the program's own schema.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parseStackConfig } from "../../config/stackConfig";
import { readProject, readStackFile, repoRoot } from "../support/pulumiMocks";
import { satisfiesRequiredVersion, SECURE_VALUE, validateProject, validateStackConfig } from "../support/pulumiCliConfigRules";

const project = readProject;
/** What the README and each stack file's header tell the user to set before `pulumi up`. */
const OPERATOR_SETS: Record<string, Record<string, unknown>> = {
    dev: { "pg-adx-cdc:postgresAdminPassword": SECURE_VALUE },
    prod: { "pg-adx-cdc:postgresAdminPassword": SECURE_VALUE },
    free: { "pg-adx-cdc:postgresAdminPassword": SECURE_VALUE },
};
const programView = (merged: Record<string, unknown>) =>
    Object.fromEntries(
        Object.entries(merged)
            .filter(([k]) => k.startsWith("pg-adx-cdc:") && !k.endsWith(":postgresAdminPassword"))
            .map(([k, v]) => [k.slice("pg-adx-cdc:".length), v]),
    );

describe("the Pulumi CLI's project and stack config checks", () => {
    it("Pulumi.yaml is a valid project file", () => assert.equal(validateProject(project()), undefined));

    for (const stack of ["dev", "prod", "free"]) {
        it(`Pulumi.${stack}.yaml with the README's settings passes, and the program accepts what the CLI hands it`, () => {
            const stackConfig = { ...readStackFile(stack), ...OPERATOR_SETS[stack] };
            const { error, merged } = validateStackConfig(project(), stack, stackConfig);
            assert.equal(error, undefined);
            const raw = programView(merged);
            if (stack === "free") (raw.adx as any).clusterUri = "https://kvc-x.northeurope.kusto.windows.net";
            assert.doesNotThrow(() => parseStackConfig(raw, stack));
        });
    }

    it("fails the Pulumi.yaml this replaced: object sections without a default are required keys", () => {
        const old = project();
        for (const declaration of Object.values(old.config!)) if (typeof declaration === "object" && declaration.type === "object") delete declaration.default;
        assert.equal(
            validateStackConfig(old, "dev", { ...readStackFile("dev"), ...OPERATOR_SETS.dev }).error,
            "Stack 'dev' is missing configuration values 'pg-adx-cdc:adx', 'pg-adx-cdc:alerts', 'pg-adx-cdc:capture', 'pg-adx-cdc:generator', 'pg-adx-cdc:kafka' and 'pg-adx-cdc:sinkIdentity'",
        );
    });

    it("the admin password is required, and only as a secret", () => {
        assert.equal(validateStackConfig(project(), "dev", readStackFile("dev")).error, "Stack 'dev' is missing configuration value 'pg-adx-cdc:postgresAdminPassword'");
        assert.equal(
            validateStackConfig(project(), "dev", { ...readStackFile("dev"), "pg-adx-cdc:postgresAdminPassword": "plain" }).error,
            "Stack 'dev' with configuration key 'pg-adx-cdc:postgresAdminPassword' must be encrypted as it's secret",
        );
    });

    it("a section set to a scalar is refused by the CLI's type check", () => {
        assert.equal(
            validateStackConfig(project(), "dev", { ...readStackFile("dev"), ...OPERATOR_SETS.dev, "pg-adx-cdc:capture": "retail.orders_info" }).error,
            "Stack 'dev' with configuration key 'pg-adx-cdc:capture' must be of type 'object'",
        );
    });

    it("requiredPulumiVersion admits the CLI the project pins and refuses one without object-typed config", () => {
        const range = project().requiredPulumiVersion!;
        const pinned = JSON.parse(fs.readFileSync(path.join(repoRoot(), "node_modules/pulumi/package.json"), "utf8")).version;
        assert.ok(satisfiesRequiredVersion(range, pinned), `${range} admits ${pinned}`);
        assert.ok(!satisfiesRequiredVersion(range, "3.186.0"), "3.186 cannot read type: object");
        assert.match(fs.readFileSync(path.join(repoRoot(), "README.md"), "utf8"), new RegExp(`Pulumi CLI ${range.replace(/[>=]/g, "").trim().replace(/\./g, "\\.")}`));
    });
});
