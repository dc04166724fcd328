// The Pulumi CLI's checks of project and stack configuration, ported so that a test can apply them to
// Pulumi.yaml and every stack file (the CLI itself cannot be installed here). Ported from
// github.com/pulumi/pulumi at v3.260 (commit 1b5949891b3c):
//   sdk/go/common/workspace/project.json  — ConfigTypeDeclaration's allowed attributes, the type names
//   sdk/go/common/workspace/project.go    — Project.Validate, ValidateConfigValue
//   pkg/workspace/config.go               — mergeConfig (required keys, defaults applied),
//                                           validateStackConfigValue (secret, type)
// `pulumi preview` / `up` / `destroy` / `refresh` run these before the program starts, and check
// `requiredPulumiVersion` against the CLI's version (pkg/cmd/pulumi/operations/*.go).

/** A config declaration in Pulumi.yaml (project.json's ConfigTypeDeclaration, additionalProperties: false). */
export interface ProjectConfigType {
    type?: string;
    items?: { type: string; items?: ProjectConfigType["items"] };
    description?: string;
    secret?: boolean;
    default?: unknown;
    value?: unknown;
}

export interface PulumiProject {
    name: string;
    requiredPulumiVersion?: string;
    config?: Record<string, ProjectConfigType | string | number | boolean>;
}

const DECLARATION_KEYS = new Set(["type", "items", "description", "secret", "default", "value"]);
const SIMPLE_CONFIG_TYPES = new Set(["string", "integer", "boolean", "array", "object"]);

/** A secret as a stack file holds it after `pulumi config set --secret`. */
export const SECURE_VALUE = { secure: "v1:AAAAAAAAAAAAAAAA:ciphertext" };

function isSecure(value: unknown): boolean {
    return !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

function declarationOf(raw: ProjectConfigType | string | number | boolean): ProjectConfigType {
    // project.json: a config entry may be a bare value (shorthand for { value }).
    return raw !== null && typeof raw === "object" ? raw : { value: raw };
}

/** workspace.ValidateConfigValue */
export function validateConfigValue(typeName: string, items: ProjectConfigType["items"] | undefined, value: unknown): boolean {
    switch (typeName) {
        case "string":
            return typeof value === "string";
        case "integer":
            if (typeof value === "number") return Number.isInteger(value);
            // strconv.Atoi: an optional sign and decimal digits
            return typeof value === "string" && /^[+-]?\d+$/.test(value);
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return !!value && typeof value === "object" && !Array.isArray(value);
    }
    if (!Array.isArray(value) || !items) return false;
    return value.every((item) => validateConfigValue(items.type, items.items, item));
}

function fullTypeName(typeName: string, items: ProjectConfigType["items"] | undefined): string {
    return items ? `array<${fullTypeName(items.type, items.items)}>` : typeName;
}

function isNamespacedByProject(project: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${project}:`);
}

/** The project file's schema (project.json) and Project.Validate; returns the CLI's error or undefined. */
export function validateProject(project: PulumiProject): string | undefined {
    if (!project.name) return "project is missing a 'name' attribute";
    for (const [key, raw] of Object.entries(project.config ?? {})) {
        if (raw !== null && typeof raw === "object") {
            for (const attribute of Object.keys(raw)) {
                if (!DECLARATION_KEYS.has(attribute)) return `config.${key}: additional property ${attribute} not allowed`;
            }
            if (raw.type !== undefined && !SIMPLE_CONFIG_TYPES.has(raw.type)) return `config.${key}.type: value must be one of ${[...SIMPLE_CONFIG_TYPES].join(", ")}`;
        }
        const declaration = declarationOf(raw);
        if (declaration.default !== undefined && declaration.value !== undefined) return `project config '${key}' cannot have both a 'default' and 'value' attribute`;
        if (isNamespacedByProject(project.name, key)) {
            if (declaration.type === "array" && !declaration.items)
                return `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`;
            if (declaration.type !== undefined && declaration.default !== undefined && !validateConfigValue(declaration.type, declaration.items, declaration.default))
                return `The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(declaration.type, declaration.items)}'`;
        } else {
            if (declaration.type !== undefined) return `Configuration key '${key}' is not namespaced by the project and should not define a type`;
            if (declaration.default !== undefined) return `Configuration key '${key}' is not namespaced by the project and should not define a default value.`;
            if (declaration.value === undefined) return `Configuration key '${key}' is namespaced and must provide an attribute 'value'`;
        }
    }
    return undefined;
}

function formatMissingKeys(keys: string[]): string {
    if (keys.length === 1) return `'${keys[0]}'`;
    const sorted = [...keys].sort();
    return sorted.map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `)).join("");
}

/** A stack file's config value as the program then receives it: top-level scalars as strings, the rest as JSON. */
function asReceived(value: unknown): unknown {
    return value !== null && typeof value === "object" ? value : String(value);
}

/**
 * mergeConfig(validate = true): fills defaults, reports required keys the stack lacks, then checks each
 * typed value (secret where declared secret, then its type). Returns the merged config (what the
 * program's `pulumi.Config` sees) or the CLI's first error.
 */
export function validateStackConfig(project: PulumiProject, stackName: string, stackConfig: Record<string, unknown>): { error?: string; merged: Record<string, unknown> } {
    const merged: Record<string, unknown> = { ...stackConfig };
    const missing: string[] = [];
    const keys = Object.keys(project.config ?? {}).sort();
    const fullKey = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    for (const key of keys) {
        const declaration = declarationOf(project.config![key]);
        const found = fullKey(key) in merged;
        const hasDefault = declaration.default !== undefined;
        const hasValue = declaration.value !== undefined;
        if (!found && !hasValue && !hasDefault && fullKey(key).startsWith(`${project.name}:`)) {
            missing.push(key);
            continue;
        }
        if (!found) merged[fullKey(key)] = hasDefault ? declaration.default : declaration.value;
    }
    if (missing.length > 0) return { error: `Stack '${stackName}' is missing configuration value${missing.length > 1 ? "s" : ""} ${formatMissingKeys(missing)}`, merged };
    for (const key of keys) {
        const declaration = declarationOf(project.config![key]);
        if (declaration.type === undefined) continue;
        const value = merged[fullKey(key)];
        if (declaration.secret && !isSecure(value)) return { error: `Stack '${stackName}' with configuration key '${key}' must be encrypted as it's secret`, merged };
        // A secret decrypts to its plaintext string.
        const content = isSecure(value) ? "decrypted" : asReceived(value);
        if (!validateConfigValue(declaration.type, declaration.items, content))
            return { error: `Stack '${stackName}' with configuration key '${key}' must be of type '${fullTypeName(declaration.type, declaration.items)}'`, merged };
    }
    return { merged };
}

/** `requiredPulumiVersion` holds for a CLI version (the ">=x.y.z" form this project uses). */
export function satisfiesRequiredVersion(range: string, version: string): boolean {
    const match = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
    if (!match) throw new Error(`unsupported range "${range}" (this port reads ">=x.y.z")`);
    const want = match.slice(1).map(Number);
    const have = version.split(".").map(Number);
    for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
    return true;
}
