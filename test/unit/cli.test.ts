// The pg-adx-cdc CLI as a user runs it (the compiled entry in a child process): every subcommand
// answers --help with usage, defaults and an example and does no work; a bad option or value fails
// with the usage and exit code 2.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";

const CLI = path.join(__dirname, "..", "..", "operations", "cli.js");
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 20_000, env: { ...process.env, PATH: "" } });

describe("pg-adx-cdc CLI", () => {
    it("lists every subcommand", () => {
        const result = run("--help");
        assert.equal(result.status, 0);
        for (const c of ["status", "verify", "restart-sink", "snapshot", "reconcile", "generate", "demo", "bench"]) assert.match(result.stdout, new RegExp(`^  ${c}\\b`, "m"), c);
    });

    for (const c of ["status", "verify", "restart-sink", "snapshot", "reconcile", "generate", "demo", "bench"]) {
        it(`${c} --help: usage, options with defaults, an example; exit 0 at once, nothing started`, () => {
            const started = Date.now();
            const result = run(c, "--help");
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stdout, new RegExp(`^Usage: pg-adx-cdc ${c} \\[options\\]`));
            assert.match(result.stdout, /\nExamples?:\n  /);
            if (c !== "restart-sink") assert.match(result.stdout, /\(default: /);
            assert.ok(Date.now() - started < 10_000);
        });
    }

    it("an unknown option fails with the usage, exit 2", () => {
        const result = run("status", "--bogus");
        assert.equal(result.status, 2);
        assert.match(result.stderr, /error: unknown option '--bogus'\n\nUsage: pg-adx-cdc status/);
    });

    it("a bad value names the option and what it takes, exit 2", () => {
        const result = run("verify", "--timeout", "soon", "--outputs", "x.json");
        assert.equal(result.status, 2);
        assert.match(result.stderr, /--duration must look like 30s|--timeout/);
    });

    it("a command that cannot run says why, exit 2 (no stack named, no pulumi on PATH)", () => {
        const result = run("status");
        assert.equal(result.status, 2);
        assert.match(result.stderr, /^pg-adx-cdc: name the stack: --stack <name> \(or --outputs <file>\)$/m);
    });

    it("demo: a bad --adx-cluster, or an --adx-* option without it, is refused naming the option before anything starts", () => {
        const bad = run("demo", "--adx-cluster", "http://kvc-x.kusto.windows.net/cdc");
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /--adx-cluster "http:\/\/kvc-x\.kusto\.windows\.net\/cdc" must be an https URI with a host only, e\.g\. https:\/\/kvc-xxxx/);
        const alone = run("demo", "--adx-streaming");
        assert.equal(alone.status, 2);
        assert.match(alone.stderr, /--adx-streaming needs --adx-cluster <uri>/);
    });
});

describe("the CLI as the README offers it", () => {
    const root = path.join(__dirname, "..", "..", "..");
    const pkg = JSON.parse(require("fs").readFileSync(path.join(root, "package.json"), "utf8"));
    const commands = ["status", "verify", "restart-sink", "snapshot", "reconcile", "generate", "demo", "bench"];

    it("every command has its npm script, which runs the built CLI without rebuilding", () => {
        // exec: a long-running command is npm's own child, so Ctrl-C returns the prompt only once it has stopped.
        for (const c of commands) assert.match(pkg.scripts[c], new RegExp(`^(exec )?node ${pkg.bin["pg-adx-cdc"]} ${c}$`), c);
        for (const c of ["demo", "bench", "generate"]) assert.match(pkg.scripts[c], /^exec /, c);
        assert.equal(pkg.scripts.prepare, pkg.scripts.build, "npm ci builds dist/ once");
        // npx pg-adx-cdc runs the bin through a shell: it must be executable after the build.
        assert.ok(require("fs").statSync(path.join(root, pkg.bin["pg-adx-cdc"])).mode & 0o100, `${pkg.bin["pg-adx-cdc"]} is executable`);
    });

    it("every `npm run <script>` the README and docs name exists", () => {
        const fs = require("fs");
        const files = ["README.md", ...fs.readdirSync(path.join(root, "docs")).map((f: string) => `docs/${f}`)];
        for (const file of files) {
            for (const [, script] of fs.readFileSync(path.join(root, file), "utf8").matchAll(/npm run ([a-z][a-z0-9:-]*)/g)) {
                assert.ok(pkg.scripts[script], `${file} names npm run ${script}, which package.json does not have`);
            }
        }
    });

    it("--help loads no command's clients (PostgreSQL, Kafka, Azure, the local pipeline): it answers at once", () => {
        const probe = `require(${JSON.stringify(CLI)}).buildCli().exitOverride().configureOutput({ writeOut() {} }); try { require(${JSON.stringify(CLI)}).buildCli().exitOverride().configureOutput({ writeOut() {} }).parse(["node", "cli", "--help"]); } catch {} process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
        const result = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", timeout: 20_000 });
        const loaded: string[] = JSON.parse(result.stdout);
        const heavy = loaded.filter((m) => /node_modules[\\/](pg|kafkajs|@azure|axios|zod)[\\/]|statusCommand|demoCommand|localPipeline|snapshotCommand/.test(m));
        assert.deepEqual(heavy, []);
    });
});
