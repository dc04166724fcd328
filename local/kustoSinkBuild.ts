// Builds the Kusto sink connector at the commit pinned in versions.ts, as the Connect image does:
// the upstream pom, unmodified, with Maven Central. Source: ../shared/vendor/ when it holds that
// commit, otherwise GitHub's archive of the commit. The jar is cached under .cache/e2e per commit.
// One difference from the image build, and why: Confluent's repository (the only home of the
// `provided` Avro converter) is unreachable from CI, so a compile-only stand-in is installed in its
// place (local/maven/kusto-sink-standin); it is never packaged, and the stack's topics are JSON.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KAFKA_VERSION, KUSTO_SINK, kustoSinkArchiveUrl } from "../versions";

const STANDIN_VERSION = "0-pg-adx-cdc-compile-stand-in";

function mvn(args: string[], cwd: string, what: string): void {
    const result = spawnSync("mvn", ["-B", "-q", ...args], { cwd, stdio: ["ignore", "inherit", "inherit"] });
    if (result.status !== 0) throw new Error(`${what} failed (mvn exit ${result.status}); see the Maven output above. Maven Central must be reachable.`);
}

/** Names a local copy of the sink's source (a checkout of the pinned commit, or GitHub's .tar.gz of it) instead of a download. */
export const KUSTO_SINK_SOURCE_ENV = "PG_ADX_CDC_KUSTO_SINK_SOURCE";

/** Why the download failed and the ways around it, for a machine without (direct) internet access. */
function downloadHelp(cause: string): string {
    const url = kustoSinkArchiveUrl();
    return (
        `cannot download the Kusto sink's source (${cause}) from ${url}.\n` +
        `  Behind a proxy: Node ${process.versions.node.split(".")[0]}'s fetch uses HTTPS_PROXY only with NODE_USE_ENV_PROXY=1 (Node 24+); or download it yourself:\n` +
        `    curl -L -o kusto-sink.tar.gz ${url}\n` +
        `  then: export ${KUSTO_SINK_SOURCE_ENV}=$PWD/kusto-sink.tar.gz   (or a checkout of commit ${KUSTO_SINK.commit})`
    );
}

/** Where the pinned sink's source is: a copy named by the environment, the vendored copy, else a downloaded archive. */
async function pinnedSource(repoRoot: string, cacheDir: string): Promise<string> {
    const unpacked = path.join(cacheDir, `kusto-sink-source-${KUSTO_SINK.commit}`);
    const named = process.env[KUSTO_SINK_SOURCE_ENV];
    if (named) {
        if (fs.existsSync(path.join(named, "pom.xml"))) return named;
        if (!fs.existsSync(named) || !fs.statSync(named).isFile())
            throw new Error(`${KUSTO_SINK_SOURCE_ENV}=${named} is neither a directory with pom.xml nor a .tar.gz archive of the sink's source`);
        fs.rmSync(unpacked, { recursive: true, force: true });
        fs.mkdirSync(unpacked, { recursive: true });
        execFileSync("tar", ["-xzf", named, "-C", unpacked, "--strip-components=1"]);
        return unpacked;
    }
    const vendored = path.join(repoRoot, "..", "shared", "vendor", `kafka-sink-azure-kusto-${KUSTO_SINK.version}`);
    const sourceNote = path.join(vendored, "SOURCE.md");
    if (fs.existsSync(sourceNote) && fs.readFileSync(sourceNote, "utf8").includes(KUSTO_SINK.commit)) return vendored;
    if (!fs.existsSync(path.join(unpacked, "pom.xml"))) {
        process.stderr.write(`downloading the Kusto sink's source: ${kustoSinkArchiveUrl()}\n`);
        let response: Response;
        try {
            response = await fetch(kustoSinkArchiveUrl(), { signal: AbortSignal.timeout(120_000) });
        } catch (error) {
            const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
            throw new Error(downloadHelp(cause?.code ?? cause?.message ?? (error as Error).message));
        }
        if (!response.ok) throw new Error(downloadHelp(`HTTP ${response.status}`));
        const archive = path.join(cacheDir, `kusto-sink-${KUSTO_SINK.commit}.tar.gz`);
        fs.writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
        fs.mkdirSync(unpacked, { recursive: true });
        execFileSync("tar", ["-xzf", archive, "-C", unpacked, "--strip-components=1"]);
    }
    return unpacked;
}

/**
 * The plugin directory holding the built sink jar (for the worker's plugin.path). Builds it the first
 * time (about 2 minutes on 2 cores); later runs reuse the cached jar of the same commit.
 */
export async function ensureKustoSinkPlugin(repoRoot: string, cacheDir: string): Promise<string> {
    const pluginDir = path.join(cacheDir, `plugins-kusto-sink-${KUSTO_SINK.commit}`);
    const jar = path.join(pluginDir, "kafka-sink-azure-kusto", `kafka-sink-azure-kusto-${KUSTO_SINK.version}.jar`);
    if (fs.existsSync(jar)) return pluginDir;
    const source = await pinnedSource(repoRoot, cacheDir);
    if (!fs.readFileSync(path.join(source, "pom.xml"), "utf8").includes(`<version>${KUSTO_SINK.version}</version>`)) {
        throw new Error(`${source}/pom.xml is not version ${KUSTO_SINK.version}; versions.ts and the source disagree`);
    }
    process.stderr.write(`e2e: building the Kusto sink ${KUSTO_SINK.version} (${KUSTO_SINK.commit.slice(0, 12)}) with Maven, about 2 minutes the first time\n`);
    const started = Date.now();
    mvn([`-Dkafka.version=${KAFKA_VERSION}`, "install"], path.join(repoRoot, "local", "maven", "kusto-sink-standin"), "installing the Avro converter's compile-only stand-in");
    // Build in a copy: the source (vendored, read-only) is never written to.
    const buildDir = path.join(cacheDir, `kusto-sink-build-${KUSTO_SINK.commit}`);
    fs.rmSync(buildDir, { recursive: true, force: true });
    fs.cpSync(source, buildDir, { recursive: true });
    execFileSync("chmod", ["-R", "u+w", buildDir]);
    // enforcer: the pom asks for Maven 3.9 (Debian ships 3.8); dependency-check: a vulnerability database download.
    mvn(
        ["-Dmaven.test.skip=true", "-Denforcer.skip=true", "-Ddependency-check.skip=true", `-Dkafka.connect.avro.converter.version=${STANDIN_VERSION}`, "package"],
        buildDir,
        "building the Kusto sink",
    );
    const built = path.join(buildDir, "target", `kafka-sink-azure-kusto-${KUSTO_SINK.version}-jar-with-dependencies.jar`);
    if (!fs.existsSync(built)) throw new Error(`the Kusto sink build produced no ${path.basename(built)}`);
    fs.mkdirSync(path.dirname(jar), { recursive: true });
    fs.copyFileSync(built, jar);
    fs.rmSync(buildDir, { recursive: true, force: true });
    process.stderr.write(`e2e: Kusto sink built in ${Math.round((Date.now() - started) / 1000)} s\n`);
    return pluginDir;
}
