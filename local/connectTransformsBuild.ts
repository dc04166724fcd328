// Builds pg-adx-cdc's own Connect transforms and Debezium converter (docker/connect/transforms) as the
// Connect image does: the same pom and sources, Maven Central, the Kafka and Debezium versions from
// versions.ts. Cached under .cache/e2e by a digest of the sources, so an edit rebuilds and an unchanged
// tree does not. The jar joins the Debezium connector's plugin directory, as in the image: Debezium
// loads a custom converter only from its own plugin's class loader.
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DEBEZIUM_VERSION, KAFKA_VERSION } from "../versions";

/** The transforms' Maven module, the Connect image's build context's `transforms/`. */
export function connectTransformsSource(repoRoot: string): string {
    return path.join(repoRoot, "docker", "connect", "transforms");
}

function sourceDigest(dir: string): string {
    const hash = createHash("sha256").update(KAFKA_VERSION).update(DEBEZIUM_VERSION);
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

/** The jar's name, in the image and in the local plugin directory. */
export const CONNECT_TRANSFORMS_JAR = "pg-adx-cdc-transforms.jar";
/** The second jar (pgadxcdc.auth only), on the worker's class path in the image and in the local worker. */
export const WORKER_CLASSPATH_JAR = "pg-adx-cdc-transforms-worker-classpath.jar";

export interface ConnectTransformsLayout {
    /** A plugin directory (for the worker's plugin.path): the Debezium connector with pg-adx-cdc's jar beside its jars. */
    pluginDir: string;
    /** The jar the worker's own class path holds (the Event Hubs managed-identity login). */
    workerClasspathJar: string;
}

/**
 * Lays out pg-adx-cdc's jars as docker/connect/Dockerfile does: the plugin jar in a copy of the Debezium
 * connector's directory from `debeziumPluginPath`, the worker-classpath jar outside every plugin directory.
 */
export function ensureDebeziumWithTransformsPlugin(repoRoot: string, cacheDir: string, debeziumPluginPath: string): ConnectTransformsLayout {
    const source = connectTransformsSource(repoRoot);
    const digest = sourceDigest(source);
    const pluginDir = path.join(cacheDir, `plugins-debezium-${DEBEZIUM_VERSION}-pg-adx-cdc-${digest}`);
    const connectorDir = path.join(pluginDir, "debezium-connector-postgres");
    const jar = path.join(connectorDir, CONNECT_TRANSFORMS_JAR);
    const workerClasspathJar = path.join(cacheDir, `worker-classpath-pg-adx-cdc-${digest}`, WORKER_CLASSPATH_JAR);
    if (fs.existsSync(jar) && fs.existsSync(workerClasspathJar)) return { pluginDir, workerClasspathJar };
    const built = buildTransformsJars(source, cacheDir);
    fs.rmSync(pluginDir, { recursive: true, force: true });
    fs.cpSync(path.join(debeziumPluginPath, "debezium-connector-postgres"), connectorDir, { recursive: true });
    fs.renameSync(built.plugin, jar);
    fs.mkdirSync(path.dirname(workerClasspathJar), { recursive: true });
    fs.renameSync(built.workerClasspath, workerClasspathJar);
    return { pluginDir, workerClasspathJar };
}

function buildTransformsJars(source: string, cacheDir: string): { plugin: string; workerClasspath: string } {
    process.stderr.write("building pg-adx-cdc's Connect transforms with Maven (seconds)\n");
    const buildDir = path.join(cacheDir, "pg-adx-cdc-transforms-build");
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.cpSync(source, buildDir, { recursive: true, filter: (f) => !f.includes(`${path.sep}target`) });
    const result = spawnSync("mvn", ["-B", "-q", `-Dkafka.version=${KAFKA_VERSION}`, `-Ddebezium.version=${DEBEZIUM_VERSION}`, "package"], {
        cwd: buildDir,
        stdio: ["ignore", "inherit", "inherit"],
    });
    if (result.status !== 0) throw new Error(`building the Connect transforms failed (mvn exit ${result.status}); see the Maven output above. Maven Central must be reachable.`);
    const keep = (name: string) => {
        const kept = path.join(cacheDir, `${name}.${process.pid}`);
        fs.copyFileSync(path.join(buildDir, "target", name), kept);
        return kept;
    };
    const built = { plugin: keep(CONNECT_TRANSFORMS_JAR), workerClasspath: keep(WORKER_CLASSPATH_JAR) };
    fs.rmSync(buildDir, { recursive: true, force: true });
    return built;
}
