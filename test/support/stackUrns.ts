// The URNs a stack's resources had before a refactor, kept in test/unit/urns/<stack>.txt: a resource
// whose URN changes is deleted and created again by `pulumi up` (a PostgreSQL server, an ADX
// cluster), unless it carries an alias to its old URN. Regenerate a file only when a URN change is
// intended: PG_ADX_CDC_WRITE_URNS=1 node --test dist/test/unit/program.<stack>.test.js
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { REGISTERED_URNS, repoRoot } from "./pulumiMocks";

function goldenFile(stack: string): string {
    return path.join(repoRoot(), "test", "unit", "urns", `${stack}.txt`);
}

/** Every URN recorded for the stack is still a resource's URN or one of its aliases, and names one resource only. */
export function assertUrnsKept(stack: string): void {
    const file = goldenFile(stack);
    if (process.env.PG_ADX_CDC_WRITE_URNS === "1") {
        fs.writeFileSync(file, [...new Set(REGISTERED_URNS.map((r) => r.urn))].sort().join("\n") + "\n");
        return;
    }
    const golden = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const claimedBy = new Map<string, string[]>();
    for (const r of REGISTERED_URNS) for (const u of new Set([r.urn, ...r.aliases])) claimedBy.set(u, [...(claimedBy.get(u) ?? []), r.urn]);
    const lost = golden.filter((u) => !claimedBy.has(u));
    assert.deepEqual(lost, [], `resources of stack ${stack} whose URN changed without an alias (pulumi up would replace them)`);
    const ambiguous = golden.filter((u) => claimedBy.get(u)!.length > 1).map((u) => `${u} ← ${claimedBy.get(u)!.join(", ")}`);
    assert.deepEqual(ambiguous, [], "an old URN claimed by two resources");
}
