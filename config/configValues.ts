// Values as Pulumi stores them, and keys as users mistype them. `pulumi config set --path` stores
// "true"/"false" as booleans, integers as numbers and everything else (0.3 included) as a string, and a
// top-level key always as a string: a setting accepts the other spelling of its value where that is
// unambiguous. A key the schema does not know is refused with the nearest one it does know.
import { z } from "zod";

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A number (checked by `schema`), also when stored as its decimal text ("0.3" from `config set --path`). */
export function configNumber(schema: z.ZodNumber = z.number()) {
    return z.preprocess((v) => (typeof v === "string" && DECIMAL.test(v.trim()) ? Number(v) : v), schema);
}

/** A boolean, also when stored as the text "true" or "false". */
export function configBoolean() {
    return z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());
}

/** One of fixed text values; a number that spells one (16 for "16", from `config set --path`) is that value. */
export function configEnum<const T extends readonly [string, ...string[]]>(values: T) {
    return z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.enum(values));
}

/** The `--type` a user gives `pulumi config set --path` for a value of a Zod type. */
export function pulumiTypeFlag(expected: string): string | undefined {
    return ({ number: "float", boolean: "bool", string: "string" } as Record<string, string>)[expected];
}

/** Levenshtein distance, case-insensitive (`allowedClientCIDRs` is one step from `allowedClientCidrs`). */
function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
    for (let i = 1; i <= s.length; i++) {
        const current = [i];
        for (let j = 1; j <= t.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
        previous = current;
    }
    return previous[t.length];
}

/** The known key nearest to an unknown one, when it is close enough to be a typo. */
export function nearestKey(unknown: string, known: readonly string[]): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const key of known) {
        const distance = editDistance(unknown, key);
        if (!best || distance < best.distance) best = { key, distance };
    }
    if (!best) return undefined;
    const close = best.distance <= Math.max(2, Math.floor(unknown.length / 3)) || best.key.toLowerCase().startsWith(unknown.toLowerCase());
    return close ? best.key : undefined;
}

type AnySchema = z.core.$ZodType;

/**
 * The keys an object schema accepts at `path` of `value` (through defaults, optionals, preprocessing,
 * refinements and unions, whose options' keys are merged); undefined where no object schema is found.
 */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] | undefined {
    const def = schema._zod.def as unknown as Record<string, any>;
    switch (def.type) {
        case "default":
        case "prefault":
        case "optional":
        case "nullable":
        case "readonly":
        case "catch":
            return knownKeysAt(def.innerType, path);
        case "pipe":
            return knownKeysAt(def.out, path) ?? knownKeysAt(def.in, path);
        case "union": {
            const sets = (def.options as AnySchema[]).map((o) => knownKeysAt(o, path)).filter((k): k is string[] => !!k);
            return sets.length ? [...new Set(sets.flat())] : undefined;
        }
        case "object": {
            if (path.length === 0) return Object.keys(def.shape);
            const child = def.shape[path[0] as string] as AnySchema | undefined;
            return child ? knownKeysAt(child, path.slice(1)) : undefined;
        }
        case "record":
            return path.length === 0 ? undefined : knownKeysAt(def.valueType, path.slice(1));
        case "array":
            return path.length === 0 ? undefined : knownKeysAt(def.element, path.slice(1));
        default:
            return undefined;
    }
}
