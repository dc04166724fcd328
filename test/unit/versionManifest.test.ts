// One version manifest: versions.ts. Every other file in the tree that names a Kafka, Debezium or
// Kusto sink version must name that one, and the places that consume versions read the manifest.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DEBEZIUM_VERSION, IMAGES, KAFKA_VERSION, KUSTO_SINK } from "../../versions";
import { CONNECT_IMAGE_USER, STACK_WORKER_SECRETS_DIR } from "../../connectors/workerSettings";
import { parseStackConfig } from "../../config/stackConfig";
import { REPO_ROOT } from "../../local/prerequisites";
import { runProgramWithStackFile } from "../support/programUnderMocks";
import { connectImageBuildArgs } from "../../components/kafkaPlatform";
import { AZURE_LIKE_POSTGRES_BINARIES, binariesMajorVersion } from "../../local/postgresBinaries";
import { defaultPostgresSettings } from "../../config/postgresSettings";

/** Files git tracks (or would add), except lock files and the manifest itself. */
function trackedFiles(): string[] {
    const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    return listed.filter((f) => !/package-lock\.json$|^versions\.ts$/.test(f) && fs.existsSync(path.join(REPO_ROOT, f)));
}

/** Version-like mentions of the three components, with where they stand. */
function versionMentions(): { file: string; component: string; version: string }[] {
    const patterns: [string, RegExp][] = [
        ["kafka", /apache\/kafka:(\d+\.\d+\.\d+)|<kafka\.version>([^<]+)<|\bKafka (\d+\.\d+\.\d+)\b|kafka[_-](\d+\.\d+\.\d+)\b/gi],
        ["debezium", /debezium\/connect:([\w.]+)|<debezium\.version>([^<]+)<|\bDebezium (\d+\.\d+\.\d+(?:\.Final)?)\b/gi],
        ["kustoSink", /kafka-sink-azure-kusto[-/](?:releases\/download\/v)?(\d+\.\d+\.\d+)|\bKusto sink (?:v)?(\d+\.\d+\.\d+)\b/gi],
    ];
    const found: { file: string; component: string; version: string }[] = [];
    for (const file of trackedFiles()) {
        const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
        for (const [component, pattern] of patterns) {
            for (const m of text.matchAll(pattern)) found.push({ file, component, version: m.slice(1).find(Boolean)! });
        }
    }
    return found;
}

describe("version manifest (versions.ts)", () => {
    it("is the only version of Kafka, Debezium and the Kusto sink named anywhere in the tree", () => {
        const expected: Record<string, string[]> = {
            kafka: [KAFKA_VERSION],
            debezium: [DEBEZIUM_VERSION, DEBEZIUM_VERSION.replace(/\.Final$/, "")],
            kustoSink: [KUSTO_SINK.version],
        };
        const disagreeing = versionMentions().filter((m) => !expected[m.component].includes(m.version));
        assert.deepEqual(disagreeing, [], "a second copy of a version: derive it from versions.ts instead");
    });

    it("pins the sink by a full commit id, and the vendored source (when present) is that commit and version", () => {
        assert.match(KUSTO_SINK.commit, /^[0-9a-f]{40}$/);
        const vendored = path.join(REPO_ROOT, "..", "shared", "vendor", `kafka-sink-azure-kusto-${KUSTO_SINK.version}`);
        if (fs.existsSync(vendored)) {
            assert.ok(fs.readFileSync(path.join(vendored, "SOURCE.md"), "utf8").includes(KUSTO_SINK.commit));
            assert.ok(fs.readFileSync(path.join(vendored, "pom.xml"), "utf8").includes(`<version>${KUSTO_SINK.version}</version>`));
        }
    });

    it("feeds the stack: the Kafka image and the Connect image's build args come from the manifest", async () => {
        const run = await runProgramWithStackFile("dev");
        const kafkaImage = run.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage");
        assert.equal(kafkaImage?.inputs.name, IMAGES.kafka);
        const connectImage = run.resources.find((r) => r.type === "docker:index/image:Image");
        const args = connectImage?.inputs.build.args;
        assert.deepEqual(args, connectImageBuildArgs());
        // The versions the e2e run verifies, and the user and directory the workers' secret files use.
        assert.deepEqual(
            [args.CONNECT_BASE_IMAGE, args.KUSTO_SINK_REPOSITORY, args.KUSTO_SINK_COMMIT, args.KUSTO_SINK_VERSION, args.KAFKA_VERSION, args.DEBEZIUM_VERSION],
            [IMAGES.debeziumConnect, KUSTO_SINK.repository, KUSTO_SINK.commit, KUSTO_SINK.version, KAFKA_VERSION, DEBEZIUM_VERSION],
        );
        assert.deepEqual([args.CONNECT_USER, args.CONNECT_USER_UID, args.CONNECT_SECRETS_DIR], [CONNECT_IMAGE_USER.name, String(CONNECT_IMAGE_USER.uid), STACK_WORKER_SECRETS_DIR]);
        // Every ARG the Dockerfile declares is one the stack passes, and no other.
        const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "docker", "connect", "Dockerfile"), "utf8");
        const declared = new Set([...dockerfile.matchAll(/^ARG (\w+)$/gm)].map((m) => m[1]));
        assert.deepEqual([...declared].sort(), Object.keys(connectImage?.inputs.build.args).sort());
    });

    it("feeds the Dockerfile only through build args (no version of its own)", () => {
        const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "docker", "connect", "Dockerfile"), "utf8");
        assert.doesNotMatch(dockerfile, /ARG \w+=/, "an ARG default would be a second copy of a version");
        for (const arg of ["CONNECT_BASE_IMAGE", "KUSTO_SINK_REPOSITORY", "KUSTO_SINK_COMMIT", "KUSTO_SINK_VERSION", "KAFKA_VERSION", "DEBEZIUM_VERSION"])
            assert.match(dockerfile, new RegExp(`ARG ${arg}\\n`));
        // The transforms are built from the module the e2e run builds (local/connectTransformsBuild.ts).
        assert.match(dockerfile, /COPY transforms\/ \.\n/);
        const pom = fs.readFileSync(path.join(REPO_ROOT, "docker", "connect", "transforms", "pom.xml"), "utf8");
        assert.match(pom, /\$\{kafka\.version\}/);
        assert.match(pom, /\$\{debezium\.version\}/);
        assert.doesNotMatch(pom, /<kafka\.version>|<debezium\.version>/, "the transforms' Kafka and Debezium versions come from versions.ts only");
        // The converter loads only from the Debezium connector's plugin directory.
        assert.match(dockerfile, /pg-adx-cdc-transforms\.jar \/kafka\/connect\/debezium-connector-postgres\//);
    });

    it("leaves the e2e runtime's Maven versions to the manifest (passed with -D)", () => {
        const pom = fs.readFileSync(path.join(REPO_ROOT, "local", "maven", "pom.xml"), "utf8");
        assert.doesNotMatch(pom, /<kafka\.version>|<debezium\.version>/);
        const prerequisites = fs.readFileSync(path.join(REPO_ROOT, "local", "prerequisites.ts"), "utf8");
        assert.match(prerequisites, /-Dkafka\.version=\$\{KAFKA_VERSION\}/);
        assert.match(prerequisites, /-Ddebezium\.version=\$\{DEBEZIUM_VERSION\}/);
    });

    it("runs the Azure-like e2e server on the PostgreSQL major version the stack deploys by default", () => {
        assert.equal(binariesMajorVersion(AZURE_LIKE_POSTGRES_BINARIES.version), defaultPostgresSettings().version);
        assert.equal(binariesMajorVersion("16.11.0"), "16");
    });

    it("needs no version, image or checksum in a stack file: dev parses with only the user's own settings", () => {
        const config = parseStackConfig({ postgres: { allowedClientCidrs: ["203.0.113.10/32"] } }, "dev");
        assert.deepEqual(Object.keys(config.kafka).sort(), ["adoptExistingConnectors", "compression", "connectPort", "kafkaPort", "mode"]);
    });
});
