// The typed stack configuration: one schema, validated up front, so a bad setting fails
// `pulumi preview` with the key, the value and what is allowed, before anything is created. Each
// section's schema lives in its own file; this one assembles them and explains what is wrong.
import { z } from "zod";
import { configBoolean, configEnum, configNumber, knownKeysAt, nearestKey, pulumiTypeFlag } from "./configValues";
import { adxSchema } from "./adxSettings";
import { postgresSchema } from "./postgresSettings";
import { captureSchema } from "./captureSettings";
import { findEventHubsProblems, kafkaSchema } from "./kafkaSettings";
import { findKeysIgnoredByMode, findRemovedSettings } from "./modeOnlySettings";
import { alertsSchema } from "./alertSettings";

/** Config namespace (the project name in Pulumi.yaml) and the admin password's key: the providers read that key too. */
export { CONFIG_NAMESPACE, POSTGRES_ADMIN_PASSWORD_KEY } from "../runtime/providerKit";
import { CONFIG_NAMESPACE, POSTGRES_ADMIN_PASSWORD_KEY } from "../runtime/providerKit";
import { GUID_PATTERN } from "../contract/guid";

const generatorSchema = z
    .strictObject({
        enabled: configBoolean().default(false),
        rate: configNumber(z.number().positive().max(20000)).default(20),
        updates: configNumber(z.number().min(0).max(1)).default(0.2),
        deletes: configNumber(z.number().min(0).max(1)).default(0.05),
    })
    .refine((g) => g.updates + g.deletes <= 1, { message: "updates + deletes must not exceed 1 (the rest are inserts)", path: ["deletes"] });

/**
 * How the Kusto sink proves who it is to ADX. "managedIdentity": a user-assigned managed identity on
 * the Docker host (an Azure VM): no secret exists. "clientSecret": an Entra application's secret in the
 * workers' environment (a Docker host outside Azure); it expires after a year (`status` warns 30 days
 * ahead) and `sinkSecretRotation` replaces it.
 */
const sinkIdentitySchema = z
    .strictObject({
        kind: configEnum(["clientSecret", "managedIdentity"]).default("clientSecret"),
        /** An identity already on the Docker host (its client id); unset, the stack creates one to attach to the host. */
        managedIdentityClientId: z
            .string()
            .regex(GUID_PATTERN, {
                message: "must be the identity's client id, a GUID (`az identity show -g <group> -n <name> --query clientId -o tsv`)",
            })
            .optional(),
    })
    .refine((s) => s.kind === "managedIdentity" || s.managedIdentityClientId === undefined, {
        message: 'applies to kind "managedIdentity" only: set sinkIdentity.kind to managedIdentity, or remove it',
        path: ["managedIdentityClientId"],
    });

const deployerSchema = z.strictObject({
    principalType: configEnum(["User", "App"]).default("User"),
});

export const stackConfigSchema = z
    .strictObject({
        adx: adxSchema.default(adxSchema.parse({})),
        postgres: postgresSchema,
        capture: captureSchema.default(captureSchema.parse({})),
        kafka: kafkaSchema.default(kafkaSchema.parse({})),
        generator: generatorSchema.default(generatorSchema.parse({})),
        alerts: alertsSchema.default(alertsSchema.parse({})),
        deployer: deployerSchema.default(deployerSchema.parse({})),
        sinkIdentity: sinkIdentitySchema.default(sinkIdentitySchema.parse({})),
        sinkSecretRotation: z.string().min(1).default("initial"),
    })
    .superRefine((config, ctx) => {
        if (config.kafka.mode !== "eventhubs") return;
        for (const problem of findEventHubsProblems(config.kafka, config.capture)) {
            ctx.addIssue({ code: "custom", path: ["kafka", ...problem.path], message: problem.message });
        }
        if (config.sinkIdentity.kind !== "managedIdentity" && config.kafka.eventHubs.operatorObjectIds.length > 0)
            ctx.addIssue({
                code: "custom",
                path: ["kafka", "eventHubs", "operatorObjectIds"],
                message:
                    "applies with Entra ID only, which needs the workers' managed identity (sinkIdentity.kind managedIdentity); with SAS keys operators use the Listen-only connection string (stack output eventHubsConnectionString): remove the list, or set sinkIdentity.kind managedIdentity",
            });
        if (eventHubsAllowedCidrs(config).length === 0)
            ctx.addIssue({
                code: "custom",
                path: ["kafka", "eventHubs", "allowedClientCidrs"],
                message:
                    "the Event Hubs namespace admits only listed addresses: list the Connect host's public address (and the operators'), e.g. [\"203.0.113.7/32\"], or set postgres.allowedClientCidrs, which it then uses",
            });
    });

/** The addresses the Event Hubs namespace admits: its own list, else the Connect host's from postgres.allowedClientCidrs. */
export function eventHubsAllowedCidrs(config: { kafka: { mode: string; eventHubs?: { allowedClientCidrs: string[] } }; postgres: { allowedClientCidrs: string[] } }): string[] {
    const own = config.kafka.eventHubs?.allowedClientCidrs ?? [];
    return own.length > 0 ? own : config.postgres.allowedClientCidrs;
}

export type StackConfig = z.infer<typeof stackConfigSchema>;
/** Config as a stack file or a program writes it: sections and keys with defaults may be left out. */
export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type GeneratorSettings = StackConfig["generator"];
export type SinkIdentitySettings = StackConfig["sinkIdentity"];

/** A configuration error that lists every bad setting at once. */
export class StackConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "StackConfigError";
    }
}

function describeValue(root: unknown, path: PropertyKey[]): string {
    let value: unknown = root;
    for (const key of path) value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    return value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
}

/**
 * Validates raw config objects (as `pulumi.Config.getObject` returns them) and fills defaults.
 * Pure: the unit tests call it directly. Throws StackConfigError naming `pg-adx-cdc:<key>.<path>`.
 */
export function parseStackConfig(raw: Record<string, unknown>, stack: string): StackConfig {
    const problems: string[] = [];
    if (!/^[a-z][a-z0-9-]{0,11}$/.test(stack)) {
        problems.push(
            `stack name "${stack}" must be 1-12 lower-case letters, digits or -, starting with a letter: it is part of Azure resource names (the ADX cluster allows 22 characters)`,
        );
    }
    const result = stackConfigSchema.safeParse(raw);
    const explained = [...findKeysIgnoredByMode(raw), ...findRemovedSettings(raw)];
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const unknown of issue.keys) {
                    const key = configKeyName([...issue.path, unknown]);
                    if (!explained.some((p) => p.startsWith(`${key} `))) problems.push(unknownKeyProblem(issue.path, unknown));
                }
                continue;
            }
            const key = configKeyName(issue.path);
            const missing = issue.code === "invalid_type" && describeValue(raw, issue.path) === "";
            if (missing) problems.push(`${key} is required: ${issue.message}; set it in Pulumi.${stack}.yaml`);
            else if (issue.code === "invalid_type") problems.push(`${key}: ${issue.message}${describeValue(raw, issue.path)}${typeHint(key, issue.expected, issue.path.length)}`);
            else problems.push(`${key}: ${issue.message}${describeValue(raw, issue.path)}`);
        }
    }
    problems.push(...explained);
    if (problems.length > 0) throw new StackConfigError(problems);
    return result.data!;
}

/** `pg-adx-cdc:section.key[.more]` for a path into the config. */
function configKeyName(path: readonly PropertyKey[]): string {
    const [top, ...rest] = path.map(String);
    return `${CONFIG_NAMESPACE}:${top}${rest.length ? "." + rest.join(".") : ""}`;
}

/** A key no setting has: named, with the nearest setting and the settings of its section. */
function unknownKeyProblem(parent: readonly PropertyKey[], unknown: string): string {
    const known = (knownKeysAt(stackConfigSchema, parent) ?? []).concat(parent.length === 0 ? [POSTGRES_ADMIN_PASSWORD_KEY] : []);
    const nearest = nearestKey(unknown, known);
    const where = parent.length === 0 ? `${CONFIG_NAMESPACE}:` : `${configKeyName(parent)}.`;
    return (
        `${configKeyName([...parent, unknown])} is not a setting` +
        (nearest ? `; did you mean ${where}${nearest}?` : "") +
        ` (${parent.length === 0 ? "settings" : `settings of ${configKeyName(parent)}`}: ${known.join(", ")}; docs/configuration.md)`
    );
}

/** How to store a value of the expected type with `pulumi config set`. */
function typeHint(key: string, expected: string, depth: number): string {
    const flag = pulumiTypeFlag(expected);
    if (!flag) return "";
    return depth > 1 ? `; set it with: pulumi config set --path '${key}' <value> --type ${flag}` : `; set it in the stack file as a ${expected}`;
}
