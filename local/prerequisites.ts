// What the local pipeline needs on this machine: Java 17+, Maven, PostgreSQL server binaries, and
// the Kafka/Debezium artifacts from Maven Central (fetched once into .cache/e2e, never committed).
// Missing tools (and pg_cron) are installed with apt-get when running as root (CI); otherwise the error says what to install.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEBEZIUM_VERSION, KAFKA_VERSION } from "../versions";
import { ensureKustoSinkPlugin } from "./kustoSinkBuild";
import { ensureDebeziumWithTransformsPlugin } from "./connectTransformsBuild";

/** The repository root: the nearest folder above this file that holds package.json (works from dist/ too). */
export const REPO_ROOT = (() => {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    return dir;
})();
export const CACHE_DIR = path.join(REPO_ROOT, ".cache", "e2e");

export interface Prerequisites {
    java: string;
    postgresBin: string;
    kafkaLibs: string;
    debeziumPluginPath: string;
    /** Directory holding the Kusto sink built from the pinned commit. */
    kustoSinkPluginPath: string;
    /** The worker's plugin.path: Debezium, the Kusto sink and pg-adx-cdc's own transforms. */
    pluginPath: string;
    /** Jars the worker's class path holds besides Kafka's (pg-adx-cdc's Event Hubs managed-identity login). */
    workerClasspathJars: string[];
}

function has(command: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function aptInstall(packages: string[]): void {
    if (process.getuid?.() !== 0) throw new Error(`missing ${packages.join(", ")}: install them (apt-get install ${packages.join(" ")}) and run again`);
    process.stderr.write(`e2e: installing ${packages.join(", ")} with apt-get\n`);
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function findPostgresBin(): string | undefined {
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    const versions = fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a));
    return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

/** Ensures every tool and artifact is present; installs what it can, fails loudly otherwise. */
export async function ensurePrerequisites(): Promise<Prerequisites> {
    const missing: string[] = [];
    if (!has("java")) missing.push("openjdk-17-jre-headless");
    if (!has("mvn")) missing.push("maven");
    if (!has("openssl")) missing.push("openssl");
    // tar unpacks the Azure-like PostgreSQL build (local/postgresBinaries.ts) through xz.
    if (!has("xz")) missing.push("xz-utils");
    if (!findPostgresBin()) missing.push("postgresql");
    if (missing.length) aptInstall(missing);
    const postgresBin = findPostgresBin();
    if (!postgresBin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin after installing postgresql");
    // pg_cron, which runs the WAL guard (postgres/walGuard.ts), packaged per PostgreSQL major version.
    if (!fs.existsSync(path.join(path.dirname(postgresBin), "lib", "pg_cron.so"))) aptInstall([`postgresql-${path.basename(path.dirname(postgresBin))}-cron`]);

    const kafkaLibs = path.join(CACHE_DIR, `kafka-${KAFKA_VERSION}`, "libs");
    const debeziumPluginPath = path.join(CACHE_DIR, `plugins-debezium-${DEBEZIUM_VERSION}`);
    const ready =
        fs.existsSync(kafkaLibs) &&
        ["connect-runtime-", "connect-basic-auth-extension-"].every((jar) => fs.readdirSync(kafkaLibs).some((f) => f.startsWith(jar))) &&
        fs.existsSync(path.join(debeziumPluginPath, "debezium-connector-postgres"));
    if (!ready) {
        process.stderr.write("e2e: fetching Kafka and Debezium from Maven Central (cached in ~/.m2 and .cache/e2e)\n");
        const result = spawnSync(
            "mvn",
            [
                "-B",
                "-q",
                "-f",
                path.join(REPO_ROOT, "local", "maven", "pom.xml"),
                `-Dcdc.cache.dir=${CACHE_DIR}`,
                `-Dkafka.version=${KAFKA_VERSION}`,
                `-Ddebezium.version=${DEBEZIUM_VERSION}`,
                "package",
            ],
            { stdio: "inherit" },
        );
        if (result.status !== 0) throw new Error("mvn could not fetch the Kafka/Debezium artifacts (see its output above); Maven Central must be reachable");
        if (!fs.existsSync(path.join(debeziumPluginPath, "debezium-connector-postgres"))) {
            throw new Error(`mvn finished but ${debeziumPluginPath} holds no debezium-connector-postgres; delete ${CACHE_DIR} and run again`);
        }
    }
    const kustoSinkPluginPath = await ensureKustoSinkPlugin(REPO_ROOT, CACHE_DIR);
    const transforms = ensureDebeziumWithTransformsPlugin(REPO_ROOT, CACHE_DIR, debeziumPluginPath);
    return {
        java: "java",
        postgresBin,
        kafkaLibs,
        debeziumPluginPath,
        kustoSinkPluginPath,
        pluginPath: [transforms.pluginDir, kustoSinkPluginPath].join(","),
        workerClasspathJars: [transforms.workerClasspathJar],
    };
}
