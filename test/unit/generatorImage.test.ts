// The generator image compiles from exactly the files its Dockerfile copies (no Docker engine here):
// the COPY lines are replayed into an empty directory and its tsc command is run there, so an
// import of a file the image does not copy fails this test instead of `pulumi up`.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../support/pulumiMocks";

it("generator/Dockerfile: the copied sources compile, and the entry answers --help", () => {
    const root = repoRoot();
    const dockerfile = fs.readFileSync(path.join(root, "generator", "Dockerfile"), "utf8");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "generator-image-"));
    try {
        for (const [, args] of dockerfile.matchAll(/^COPY (?!package\.json)(.+)$/gm)) {
            const parts = args.trim().split(/\s+/);
            const to = parts.pop()!;
            // As Docker does: several sources, or a destination ending in "/", go into that directory; else one source becomes the destination.
            const intoDirectory = parts.length > 1 || to.endsWith("/");
            for (const from of parts) fs.cpSync(path.join(root, from), intoDirectory ? path.join(dir, to, path.basename(from)) : path.join(dir, to), { recursive: true });
        }
        fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
        const tsc = /^RUN npx tsc (.+)$/m.exec(dockerfile)?.[1].split(" ");
        assert.ok(tsc, "the Dockerfile compiles with npx tsc");
        execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), ...tsc], { cwd: dir, stdio: "pipe" });
        const help = execFileSync(process.execPath, [path.join(dir, "dist", "generator", "cli.js"), "--help"], { encoding: "utf8" });
        assert.match(help, /^Usage: generator \[options\]/);
        assert.match(help, /--rate <changes\/s>/);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
