// The URNs a stack's resources had before a refactor, kept in test/unit/urns/<stack>.txt: a resource
// whose URN changes is deleted and created again by `pulumi up` (a PostgreSQL server, an ADX
// cluster), unless an alias names its old URN. Aliases are resolved here as the engine resolves
// them (pkg/resource/deploy/step_generator.go: generateAliases, collapseAliasToUrn,
// inheritedChildAlias, and the match in generateSteps). Regenerate a file only when a URN change
// is intended: PG_ADX_CDC_WRITE_URNS=1 node --test dist/test/unit/program.<stack>.test.js
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { REGISTERED_URNS, RegisteredUrn, repoRoot } from "./pulumiMocks";

const STACK_TYPE = "pulumi:pulumi:Stack";

function parts(urn: string): { prefix: string; qualifiedType: string; name: string } {
    const [, , qualifiedType, ...rest] = urn.split("::");
    return { prefix: urn.split("::").slice(0, 2).join("::"), qualifiedType, name: rest.join("::") };
}

/** resource.NewURN: a parent's qualified type prefixes the type, unless the parent is the stack. */
function newUrn(prefix: string, parentQualifiedType: string | undefined, type: string, name: string): string {
    const qualified = parentQualifiedType && parentQualifiedType !== STACK_TYPE ? `${parentQualifiedType}$${type}` : type;
    return `${prefix}::${qualified}::${name}`;
}

/**
 * Which old resource each registration takes over, as the engine's step generator decides it: the
 * URN itself first, then the aliases generateAliases derives — the resource's own, and its parent's
 * matched alias carried down (the engine remembers, per resource, only the alias that matched an old
 * resource; a parent that matched by its own URN passes nothing down).
 */
export function oldResourcesTakenOver(registered: RegisteredUrn[], olds: Set<string>): Map<string, string> {
    const matchedAlias = new Map<string, string>();
    const takenOver = new Map<string, string>();
    const collapse = (r: RegisteredUrn, alias: RegisteredUrn["aliases"][number]): string => {
        if (alias.urn) return alias.urn;
        let parent = alias.parentUrn ? (matchedAlias.get(alias.parentUrn) ?? alias.parentUrn) : r.parent;
        if (alias.noParent || (parent && parts(parent).qualifiedType === STACK_TYPE)) parent = "";
        return newUrn(parts(r.urn).prefix, parent ? parts(parent).qualifiedType : undefined, alias.type ?? r.type, alias.name ?? r.name);
    };
    const inheritedChildAlias = (childType: string, childName: string, parentName: string, parentAlias: string): string => {
        const alias = parts(parentAlias);
        const name = childName.startsWith(parentName) ? alias.name + childName.slice(parentName.length) : childName;
        return newUrn(alias.prefix, alias.qualifiedType, childType, name);
    };
    for (const r of registered) {
        const own = r.aliases.map((a) => collapse(r, a));
        const parentAlias = r.parent ? matchedAlias.get(r.parent) : undefined;
        const inherited = parentAlias
            ? [
                  inheritedChildAlias(r.type, r.name, parts(r.parent).name, parentAlias),
                  ...own.map((a) => inheritedChildAlias(parts(a).qualifiedType.split("$").pop()!, parts(a).name, parts(r.parent).name, parentAlias)),
              ]
            : [];
        const found = [r.urn, ...own, ...inherited].find((u) => olds.has(u));
        if (found === undefined) continue;
        assert.ok(!takenOver.has(found), `${found} is claimed by ${takenOver.get(found)} and by ${r.urn} (the engine refuses the update)`);
        takenOver.set(found, r.urn);
        if (found !== r.urn) matchedAlias.set(r.urn, found);
    }
    return takenOver;
}

function goldenFile(stack: string): string {
    return path.join(repoRoot(), "test", "unit", "urns", `${stack}.txt`);
}

/** Every resource recorded for the stack is taken over by exactly one resource of the program now. */
export function assertUrnsKept(stack: string): void {
    const file = goldenFile(stack);
    if (process.env.PG_ADX_CDC_WRITE_URNS === "1") {
        fs.writeFileSync(file, [...new Set(REGISTERED_URNS.map((r) => r.urn))].sort().join("\n") + "\n");
        return;
    }
    const golden = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const takenOver = oldResourcesTakenOver(REGISTERED_URNS, new Set(golden));
    const lost = golden.filter((u) => !takenOver.has(u));
    assert.deepEqual(lost, [], `resources of stack ${stack} whose URN changed without an alias (pulumi up would replace them)`);
}
