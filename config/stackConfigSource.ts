// Where the program reads its configuration: the stack's pg-adx-cdc:* keys, and the admin password
// as a Pulumi secret.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, POSTGRES_ADMIN_PASSWORD_KEY, StackConfigError } from "./stackConfig";

/** The current stack's `pg-adx-cdc:*` config as raw objects, every key of the namespace (so CdcPipeline's validation refuses a mistyped one); the admin password excluded. */
export function readStackSettings(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        // The admin password is a secret read where it is used (requirePostgresAdminPassword).
        if (key === POSTGRES_ADMIN_PASSWORD_KEY) continue;
        raw[key] = parseConfigText(text);
    }
    return raw;
}

/** A config value as the engine hands it to the program: objects and arrays as JSON text, the rest as text. */
function parseConfigText(text: string): unknown {
    if (!/^\s*[[{]/.test(text)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** The admin password, as a secret; its absence is a clear error that says how to set it. */
export function requirePostgresAdminPassword(): pulumi.Output<string> {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const value = config.getSecret(POSTGRES_ADMIN_PASSWORD_KEY);
    if (value === undefined) {
        throw new StackConfigError([
            `${CONFIG_NAMESPACE}:${POSTGRES_ADMIN_PASSWORD_KEY} is required and must be a secret: pulumi config set --secret ${CONFIG_NAMESPACE}:${POSTGRES_ADMIN_PASSWORD_KEY} '<8-128 characters, three of upper, lower, digit, symbol>'`,
        ]);
    }
    return value;
}
