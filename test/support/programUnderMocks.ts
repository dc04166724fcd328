// Runs the whole program (index.ts) under Pulumi mocks with one stack file's config, as
// `pulumi preview -s <stack>` would, and gives the tests what the engine would have received.
import * as assert from "node:assert/strict";
import {
    installMocks,
    MOCK_CONNECT_REST_PASSWORD,
    MOCK_EVENT_HUBS_KEY,
    MOCK_KAFKA_OPERATOR_PASSWORD,
    MockedResource,
    readProject,
    readStackFile,
    SECRET_SIGNATURE,
    settle,
    unsecret,
} from "./pulumiMocks";
import { SECURE_VALUE, validateStackConfig } from "./pulumiCliConfigRules";

/**
 * Values a stack file leaves to `pulumi config set`, besides the admin password: none for dev and
 * prod (`pulumi preview -s dev` needs only the password and the stack file), the cluster for free.
 */
export const OPERATOR_SET_CONFIG: Record<string, Record<string, unknown>> = {};
export const MOCK_ADMIN_PASSWORD = "Mock-Admin-Passw0rd!";
/** Plaintext of every secret the mocks hand the program, to prove none leaks. */
export const MOCK_SECRETS = [
    "mock-client-secret-value",
    "mock-replication-password-0123456789",
    MOCK_ADMIN_PASSWORD,
    MOCK_EVENT_HUBS_KEY,
    MOCK_CONNECT_REST_PASSWORD,
    MOCK_KAFKA_OPERATOR_PASSWORD,
];

export interface ProgramRun {
    resources: MockedResource[];
    program: any;
    byType(type: string): MockedResource[];
    one(type: string): MockedResource;
    dynamic(kind: string): MockedResource[];
}

/** Loads index.ts once (one stack per test process: node's test runner gives each file its own). */
export async function runProgramWithStackFile(stack: string, extraConfig: Record<string, Record<string, unknown>> = {}, replacedSections: string[] = []): Promise<ProgramRun> {
    process.env.PG_ADX_CDC_DEPLOYER_IP = "198.51.100.23";
    const config: Record<string, unknown> = readStackFile(stack);
    const overrides: Record<string, Record<string, unknown>> = { ...OPERATOR_SET_CONFIG };
    for (const [key, values] of Object.entries(extraConfig)) overrides[key] = { ...overrides[key], ...values };
    // A replaced section is the override alone (a stack file written for another mode); others merge.
    for (const [key, values] of Object.entries(overrides)) config[key] = replacedSections.includes(key) ? values : { ...(config[key] as object), ...values };
    // What the Pulumi CLI hands the program: its own checks passed, Pulumi.yaml's defaults applied.
    const cli = validateStackConfig(readProject(), stack, { ...config, "pg-adx-cdc:postgresAdminPassword": SECURE_VALUE });
    assert.equal(cli.error, undefined, "the Pulumi CLI would stop before the program runs");
    const resources = installMocks({ ...cli.merged, "pg-adx-cdc:postgresAdminPassword": MOCK_ADMIN_PASSWORD }, ["pg-adx-cdc:postgresAdminPassword"], stack);
    const started = Date.now();
    const program = require("../../index");
    await settle(1500);
    assert.ok(Date.now() - started < 10_000, "the program should run under mocks in seconds");
    const byType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        program,
        byType,
        one(type: string) {
            const found = byType(type);
            assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
            return found[0];
        },
        dynamic: (kind: string) => byType(`pulumi-nodejs:dynamic/pg-adx-cdc:${kind}`),
    };
}

/** Resource counts by type. */
export function countByType(resources: MockedResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

/**
 * What `pulumi preview --diff` could print of a resource's inputs: every value except those inside a
 * secret envelope (the engine shows those as [secret]).
 */
export function displayedInputs(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(displayedInputs);
    if (value && typeof value === "object") {
        if (SECRET_SIGNATURE in (value as object)) return "[secret]";
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
                .filter(([k]) => k !== "__provider")
                .map(([k, v]) => [k, displayedInputs(v)]),
        );
    }
    return value;
}

/** The Connect worker containers of a run (named pg-adx-cdc-connect-*), each with its environment as a map (secrets revealed). */
export function connectWorkerEnvironments(run: ProgramRun): { worker: MockedResource; env: Record<string, string> }[] {
    return run
        .byType("docker:index/container:Container")
        .filter((c) => c.inputs.name.startsWith("pg-adx-cdc-connect-"))
        .map((worker) => {
            const envs: string[] = unsecret(worker.inputs.envs);
            return { worker, env: Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) };
        });
}
