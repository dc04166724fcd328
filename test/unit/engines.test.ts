// package.json's `engines` and the README promise Node versions; every package the program and the CLI
// load must accept the oldest of them, or users on it get warnings (or worse) the tests never saw.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as semver from "semver";
import { repoRoot } from "../support/pulumiMocks";

it("every production dependency accepts the oldest Node version package.json's engines allow", () => {
    const root = repoRoot();
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    // The production closure, from the lock file (what `npm ci` installs, dev-only packages left out).
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
    const refused: string[] = [];
    for (const [where, entry] of Object.entries<any>(lock.packages)) {
        if (!where || entry.dev || entry.optional || !entry.engines?.node) continue;
        if (!semver.satisfies(oldest, entry.engines.node)) refused.push(`${where.replace(/^.*node_modules\//, "")}@${entry.version} wants node ${entry.engines.node}`);
    }
    assert.deepEqual(refused, [], `package.json says node ${pkg.engines.node}; oldest ${oldest}`);
    assert.match(fs.readFileSync(path.join(root, "README.md"), "utf8"), new RegExp(`Node\\.js ${oldest.replace(/\.0$/, "").replace(/\./g, "\\.")}\\+`));
});
