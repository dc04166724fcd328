// The repository's root, from a module's directory: the same answer whether the module runs from
// source (Pulumi runs index.ts with ts-node) or compiled into dist/ or any other out dir, so files
// read or written beside the code (docs/, kql/) are found either way.
import * as fs from "fs";
import * as path from "path";

export function repoRoot(fromDir: string): string {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no package.json above ${fromDir}: run from the pg-adx-cdc checkout`);
    }
}
