// TEST DOUBLE helper: evaluates the scalar KQL expressions the generated model uses, on one row, as
// ADX does: column references (plain or ['quoted']), element access on a dynamic (`['record']["c"]`),
// string and number literals, and/or/not, comparisons, + and - of whole numbers, and the functions the generator emits
// (coalesce, isnull/isnotnull, isempty/isnotempty, to<type>, parse_json, substring, trim_end) and
// reconcile's (iff, strcat_delim, hash_md5, format_datetime, strcat_array, array_sort_asc).
// Anything else is an error naming what the double does not evaluate; it knows no table.
import { createHash } from "crypto";
import { parse as parseLosslessJson, stringify as stringifyLosslessJson } from "lossless-json";
import { convertToKustoType, KustoRow, KustoValue } from "./adxIngestionTestDouble";

type Node =
    | { kind: "column"; name: string }
    | { kind: "literal"; value: KustoValue }
    | { kind: "index"; target: Node; key: string }
    | { kind: "call"; name: string; args: Node[] }
    | { kind: "binary"; op: string; left: Node; right: Node }
    | { kind: "in"; left: Node; values: Node[] };

const TOKEN = /\s*(\['(?:[^'\\]|\\.)*'\]|\[|\]|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|>=|<=|==|!=|[(),<>+-]|[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string): string[] {
    const tokens: string[] = [];
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < text.length) {
        const start = TOKEN.lastIndex;
        const m = TOKEN.exec(text);
        if (!m) {
            if (/^\s*$/.test(text.slice(start))) break;
            throw new Error(`the ADX test double cannot read KQL at: ${text.slice(start, start + 40)}`);
        }
        tokens.push(m[1]);
    }
    return tokens;
}

const unquote = (token: string) => token.slice(2, -2).replace(/\\(.)/g, "$1");

/** Parses one scalar expression. */
export function parseKqlExpression(text: string): Node {
    const tokens = tokenize(text);
    let i = 0;
    const peek = () => tokens[i];
    const take = (expected?: string) => {
        const t = tokens[i++];
        if (expected !== undefined && t !== expected) throw new Error(`the ADX test double expected "${expected}" but read "${t}" in: ${text.slice(0, 80)}`);
        return t;
    };
    const primary = (): Node => {
        const t = take();
        let node: Node;
        if (t === "(") {
            node = or();
            take(")");
        } else if (t.startsWith("['")) node = { kind: "column", name: unquote(t) };
        else if (t.startsWith('"')) node = { kind: "literal", value: JSON.parse(t) };
        else if (/^-?\d/.test(t)) node = { kind: "literal", value: Number(t) };
        else if (peek() === "(") {
            take("(");
            const args: Node[] = [];
            while (peek() !== ")") {
                args.push(or());
                if (peek() === ",") take(",");
            }
            take(")");
            node = { kind: "call", name: t, args };
        } else node = { kind: "column", name: t };
        while (peek() === "[") {
            take("[");
            const key = take();
            take("]");
            node = { kind: "index", target: node, key: JSON.parse(key) };
        }
        return node;
    };
    const additive = (): Node => {
        let left = primary();
        while (peek() === "+" || peek() === "-") left = { kind: "binary", op: take(), left, right: primary() };
        return left;
    };
    const comparison = (): Node => {
        const left = additive();
        if (peek() === "in") {
            take("in");
            take("(");
            const values: Node[] = [];
            while (peek() !== ")") {
                values.push(primary());
                if (peek() === ",") take(",");
            }
            take(")");
            return { kind: "in", left, values };
        }
        return [">=", "<=", "==", "!=", "<", ">"].includes(peek()) ? { kind: "binary", op: take(), left, right: additive() } : left;
    };
    const and = (): Node => {
        let left = comparison();
        while (peek() === "and") left = (take(), { kind: "binary", op: "and", left, right: comparison() });
        return left;
    };
    const or = (): Node => {
        let left = and();
        while (peek() === "or") left = (take(), { kind: "binary", op: "or", left, right: and() });
        return left;
    };
    const node = or();
    if (i !== tokens.length) throw new Error(`the ADX test double did not expect "${tokens[i]}" in: ${text.slice(0, 80)}`);
    return node;
}

const isEmpty = (v: KustoValue) => v === null || v === undefined || v === "";
const compare = (a: KustoValue, b: KustoValue) => {
    if (typeof a === "bigint" || typeof b === "bigint") return BigInt(a as bigint) < BigInt(b as bigint) ? -1 : BigInt(a as bigint) > BigInt(b as bigint) ? 1 : 0;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
};
const CONVERSIONS: Record<string, string> = {
    toint: "int",
    tolong: "long",
    toreal: "real",
    todecimal: "decimal",
    tobool: "bool",
    tostring: "string",
    toguid: "guid",
    todatetime: "datetime",
    totimespan: "timespan",
    todynamic: "dynamic",
};

/** Evaluates a parsed expression on a row; `scalars` are let-bound names (e.g. a toscalar result). */
export function evaluateKql(node: Node, row: KustoRow, scalars: Record<string, KustoValue> = {}): KustoValue {
    const ev = (n: Node) => evaluateKql(n, row, scalars);
    switch (node.kind) {
        case "literal":
            return node.value;
        case "column":
            if (node.name in scalars) return scalars[node.name];
            if (!(node.name in row)) throw new Error(`Semantic error: the name '${node.name}' does not refer to any known column`);
            return row[node.name];
        case "index": {
            const target = ev(node.target);
            return target && typeof target === "object" ? (((target as Record<string, KustoValue>)[node.key] ?? null) as KustoValue) : null;
        }
        case "in": {
            const value = ev(node.left);
            return value !== null && node.values.some((v) => String(ev(v)) === String(value));
        }
        case "binary": {
            if (node.op === "and") return ev(node.left) === true && ev(node.right) === true;
            if (node.op === "or") return ev(node.left) === true || ev(node.right) === true;
            const [a, b] = [ev(node.left), ev(node.right)];
            if (a === null || b === null) return null;
            if (node.op === "+" || node.op === "-") {
                // A long (bigint) with a whole-number literal, as the change order's shift: exact, as Kusto's long.
                if (!((typeof a === "bigint" || Number.isInteger(a)) && (typeof b === "bigint" || Number.isInteger(b))))
                    throw new Error(`the ADX test double adds and subtracts whole numbers only, not ${String(a)} ${node.op} ${String(b)}`);
                return node.op === "+" ? BigInt(a as bigint) + BigInt(b as bigint) : BigInt(a as bigint) - BigInt(b as bigint);
            }
            const c = compare(a, b);
            return { ">=": c >= 0, "<=": c <= 0, "==": c === 0, "!=": c !== 0, "<": c < 0, ">": c > 0 }[node.op] ?? null;
        }
        case "call": {
            const args = node.args.map(ev);
            const [x] = args;
            if (node.name === "tostring" && typeof x === "number") return dotnetDoubleText(x);
            if (node.name in CONVERSIONS) return convertToKustoType(x, CONVERSIONS[node.name]);
            switch (node.name) {
                case "coalesce":
                    return args.find((a) => !isEmpty(a)) ?? args[args.length - 1] ?? null;
                case "isnull":
                    return x === null || x === undefined;
                case "isnotnull":
                    return !(x === null || x === undefined);
                case "isempty":
                    return isEmpty(x);
                case "isnotempty":
                    return !isEmpty(x);
                case "not":
                    return x === null ? null : x !== true;
                case "parse_json":
                    // As Kusto: text that is not JSON (including "", a null string) comes back as that string.
                    if (typeof x !== "string") return x;
                    try {
                        return parseLosslessJson(x) as KustoValue;
                    } catch {
                        return x;
                    }
                case "substring":
                    return typeof x === "string" ? x.substr(Number(args[1]), Number(args[2])) : null;
                case "iff":
                    return x === true ? args[1] : args[2];
                case "strcat_delim":
                    // As Kusto: at most 64 arguments, the delimiter included.
                    if (args.length > 64) throw new Error(`strcat_delim(): expects between 2 and 64 arguments, got ${args.length}`);
                    return args
                        .slice(1)
                        .map((a) => String(convertToKustoType(a, "string")))
                        .join(String(x));
                case "hash_md5":
                    // Kusto hashes a string's UTF-8 bytes; the result is lower-case hex.
                    return createHash("md5")
                        .update(String(convertToKustoType(x, "string")), "utf8")
                        .digest("hex");
                case "format_datetime": {
                    if (args[1] !== "yyyy-MM-dd HH:mm:ss.fffffff") throw new Error(`the ADX test double formats datetimes only as "yyyy-MM-dd HH:mm:ss.fffffff", not ${args[1]}`);
                    const m = typeof x === "string" ? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.(\d{7})Z$/.exec(x) : null;
                    return m ? `${m[1]} ${m[2]}.${m[3]}` : null;
                }
                case "array_sort_asc":
                    return Array.isArray(x) ? [...x].sort((a, b) => compare(a as KustoValue, b as KustoValue)) : null;
                case "strcat_array":
                    return Array.isArray(x) ? x.map((v) => (typeof v === "string" ? v : stringifyLosslessJson(v))).join(String(args[1])) : null;
                case "trim_end":
                    return typeof args[1] === "string" ? args[1].replace(new RegExp(`(${String(x)})+$`), "") : null;
                default:
                    throw new Error(`the ADX test double does not evaluate ${node.name}()`);
            }
        }
    }
}

/**
 * A real as Kusto's tostring() writes it (.NET's shortest round-trip text, invariant culture):
 * "0.1", "1E+15", "1E-05", "-3.4E+38", "NaN", "Infinity".
 */
export function dotnetDoubleText(n: number): string {
    if (Number.isNaN(n)) return "NaN";
    if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
    if (n === 0) return Object.is(n, -0) ? "-0" : "0";
    const [mantissa, exponentText] = n.toExponential().split("e");
    const exponent = Number(exponentText);
    if (exponent >= 15 || exponent < -4) return `${mantissa}E${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
    const sign = n < 0 ? "-" : "";
    const digits = mantissa.replace(/^-/, "").replace(".", "");
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    const whole = digits.padEnd(exponent + 1, "0");
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole.slice(0, exponent + 1)}${fraction ? `.${fraction}` : ""}`;
}
