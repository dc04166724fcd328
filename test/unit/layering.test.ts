// The directions imports may take, checked on the source tree: the shared contract and runtime at
// the bottom, connectors/kql/postgres beside each other without arrows back and forth, config and
// components above them, and product code never importing test code.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../runtime/repoRoot";

const ROOT = repoRoot(__dirname);

function sourceFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return ["node_modules", "dist", ".devdist", ".cache", ".git"].includes(e.name) ? [] : sourceFiles(rel);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel] : [];
    });
}

/** Top-level folder of a file; a file at the root is its own unit ("index.ts", "versions.ts"). */
const unitOf = (file: string) => (file.includes(path.sep) ? file.split(path.sep)[0] : file);

const imports: { from: string; to: string }[] = sourceFiles(".").flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom "(\.[^"]+)"/gm)].map((m) => ({
        from: file,
        to: path.normalize(path.join(path.dirname(file), m[1])),
    })),
);

it("no shipped file imports test code", () => {
    assert.deepEqual(
        imports.filter((i) => unitOf(i.from) !== "test" && unitOf(i.to) === "test"),
        [],
    );
});

it("the contract and the runtime import nothing above them", () => {
    const allowed: Record<string, string[]> = { contract: ["contract", "runtime"], runtime: ["runtime"] };
    assert.deepEqual(
        imports.filter((i) => allowed[unitOf(i.from)] && !allowed[unitOf(i.from)].includes(unitOf(i.to))),
        [],
    );
});

it("connectors, kql and postgres never reach up to config, components, operations, local or bench", () => {
    const low = ["connectors", "kql", "postgres"];
    const high = ["plan", "config", "components", "operations", "local", "bench", "index.ts"];
    assert.deepEqual(
        imports.filter((i) => low.includes(unitOf(i.from)) && high.includes(unitOf(i.to))),
        [],
    );
});

it("the plan is made from the layers below it only: what the stack, the local pipeline and the operator commands share cannot depend on any of them", () => {
    const allowed = ["plan", "contract", "runtime", "connectors", "kql", "postgres"];
    assert.deepEqual(
        imports.filter((i) => unitOf(i.from) === "plan" && !allowed.includes(unitOf(i.to))),
        [],
    );
});

it("no two folders import each other", () => {
    const arrows = new Set(imports.filter((i) => unitOf(i.from) !== unitOf(i.to)).map((i) => `${unitOf(i.from)} -> ${unitOf(i.to)}`));
    const twoWay = [...arrows].filter((a) => arrows.has(a.split(" -> ").reverse().join(" -> ")));
    assert.deepEqual(twoWay, []);
});
