// Builds pg-adx-cdc's own Connect transforms (docker/connect/transforms) as the Connect image does:
// the same pom and sources, Maven Central, the Kafka version from versions.ts. Cached under
// .cache/e2e by a digest of the sources, so an edit rebuilds and an unchanged tree does not.
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { KAFKA_VERSION } from "../versions";

/** The transforms' Maven module, the Connect image's build context's `transforms/`. */
export function connectTransformsSource(repoRoot: string): string {
    return path.join(repoRoot, "docker", "connect", "transforms");
}

function sourceDigest(dir: string): string {
    const hash = createHash("sha256").update(KAFKA_VERSION);
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(d, entry.name);
            if (entry.isDirectory()) {
                if (entry.name !== "target") walk(full);
            } else hash.update(path.relative(dir, full)).update(fs.readFileSync(full));
        }
    };
    walk(dir);
    return hash.digest("hex").slice(0, 16);
}

/** The plugin directory holding the transforms' jar (for the worker's plugin.path). */
export function ensureConnectTransformsPlugin(repoRoot: string, cacheDir: string): string {
    const source = connectTransformsSource(repoRoot);
    const pluginDir = path.join(cacheDir, `plugins-pg-adx-cdc-transforms-${sourceDigest(source)}`);
    const jar = path.join(pluginDir, "pg-adx-cdc-transforms", "pg-adx-cdc-transforms.jar");
    if (fs.existsSync(jar)) return pluginDir;
    process.stderr.write("building pg-adx-cdc's Connect transforms with Maven (seconds)\n");
    const buildDir = path.join(cacheDir, "pg-adx-cdc-transforms-build");
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.cpSync(source, buildDir, { recursive: true, filter: (f) => !f.includes(`${path.sep}target`) });
    const result = spawnSync("mvn", ["-B", "-q", `-Dkafka.version=${KAFKA_VERSION}`, "package"], { cwd: buildDir, stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) throw new Error(`building the Connect transforms failed (mvn exit ${result.status}); see the Maven output above. Maven Central must be reachable.`);
    fs.mkdirSync(path.dirname(jar), { recursive: true });
    fs.copyFileSync(path.join(buildDir, "target", "pg-adx-cdc-transforms.jar"), jar);
    fs.rmSync(buildDir, { recursive: true, force: true });
    return pluginDir;
}
