// Renders every setting the stack reads (key, type, allowed values, default) from the config schema
// into docs/configuration.md, so the reference is the schema itself; test/unit/configReference.test.ts
// fails when they differ. Regenerate with: npm run docs:config
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { CONFIG_NAMESPACE, stackConfigSchema } from "./stackConfig";
import { repoRoot } from "../runtime/repoRoot";
import { DEFAULT_TABLE_PARTITIONS, TABLE_PARTITION_BUDGET } from "../connectors/kafkaTopics";
import { SINK_MAX_TASKS } from "../connectors/kustoSink";

type JsonSchema = {
    type?: string;
    enum?: unknown[];
    const?: unknown;
    default?: unknown;
    items?: JsonSchema;
    properties?: Record<string, JsonSchema>;
    oneOf?: JsonSchema[];
    minimum?: number;
    maximum?: number;
    pattern?: string;
    additionalProperties?: JsonSchema | boolean;
};

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``.replace(/\|/g, "\\|");

function describeType(s: JsonSchema): string {
    if (s.enum) return s.enum.map(code).join(", ");
    if (s.type === "array") return `list of ${describeType(s.items ?? {})}`;
    if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") return `map of ${describeType(s.additionalProperties)}`;
    const bound = (b: number | undefined) => (b === undefined || Math.abs(b) >= Number.MAX_SAFE_INTEGER ? "" : String(b));
    const [min, max] = [bound(s.minimum), bound(s.maximum)];
    const range = min || max ? ` ${min || "…"}–${max || "…"}` : "";
    return `${s.type ?? "any"}${range}`;
}

function rows(s: JsonSchema, key: string, mode: string | undefined, out: string[]): void {
    if (s.oneOf) {
        for (const option of s.oneOf) rows(option, key, String(option.properties?.mode?.const), out);
        return;
    }
    if (s.type === "object" && s.properties) {
        for (const [name, child] of Object.entries(s.properties)) {
            if (child.const !== undefined) {
                out.push(`| \`${key}.${name}\` | ${code(child.const)} | | |`);
                continue;
            }
            rows(child, `${key}.${name}`, mode, out);
        }
        return;
    }
    out.push(`| \`${key}\` | ${describeType(s)} | ${s.default === undefined ? "" : code(s.default)} | ${mode ?? ""} |`);
}

export function renderConfigReferenceMarkdown(): string {
    const schema = z.toJSONSchema(stackConfigSchema, { io: "output", unrepresentable: "any" }) as JsonSchema;
    const out: string[] = [];
    for (const [section, s] of Object.entries(schema.properties ?? {})) rows(s, `${CONFIG_NAMESPACE}:${section}`, undefined, out);
    return [
        "# Configuration",
        "",
        "Every setting is validated before anything is created: an error names the key, the value and what",
        "is allowed; a key that is not a setting is refused with the nearest one that is. Values stored by",
        "`pulumi config set --path` (integers as numbers, `true`/`false` as booleans, everything else as text)",
        "are read as the setting's type where that is unambiguous (`postgres.version 16`, `generator.updates 0.3`).",
        "",
        "Secrets never appear in plaintext: the PostgreSQL admin password is a Pulumi secret read by the",
        "bootstrap provider when it runs; the replication password reaches the bootstrap only as a",
        "SCRAM-SHA-256 verifier and the Connect workers only as a file (owner-only, uploaded into the container,",
        "not in its environment), as do the sink's client secret, the Event Hubs connection string (`kafka.mode:",
        "eventhubs`, [environments](environments.md#kafka-the-broker-container-or-event-hubs)) and the REST API's",
        "password; connector configs hold `${dir:/run/secrets/pg-adx-cdc:<file>}` references resolved by Kafka's",
        "`DirectoryConfigProvider` (allowed to read that directory only); the ADX token is fetched",
        "at call time (Azure credential chain, or `AZURE_KUSTO_ACCESS_TOKEN`). [Every credential](security.md).",
        "",
        "TLS to PostgreSQL (`postgres.sslMode: require`, the default) is verified by every client: the bootstrap,",
        "catalog and operator commands check the certificate chain and host name with Node's roots; Debezium",
        "connects with `sslmode=verify-full` against the worker JVM's trust store, to which the Connect image adds",
        "the roots Azure Database for PostgreSQL chains to (DigiCert Global Root G2, Microsoft RSA Root Certificate",
        "Authority 2017, DigiCert Global Root CA). The e2e runs Debezium over verified TLS and shows a host name",
        "the certificate does not carry refused. A server whose certificate chains to a private CA needs that CA in",
        "the image's trust store (not a setting yet).",
        "",
        "## The sink's identity: no long-lived key",
        "",
        "`sinkIdentity.kind: managedIdentity` is the setting for a Connect host in Azure (a VM running the",
        "Docker engine): the Kusto sink authenticates as a **user-assigned managed identity** of that host",
        "(`aad.auth.strategy=managed_identity`), so no secret exists at all: the workers hold no sink secret,",
        "the token comes from the host's identity endpoint (IMDS) and expires within hours. Give the identity the",
        "host already has with `sinkIdentity.managedIdentityClientId` (`az identity show --query clientId`); without",
        "it the stack creates one (output `sinkManagedIdentityResourceId`) that you attach to the host once",
        "(`az vm identity assign -g <group> -n <vm> --identities <that id>`). Either way the identity is granted",
        "`Ingestor` on the one database and nothing else. `Pulumi.prod.yaml` runs this way, and the e2e runs the",
        "real sink this way: its worker asks a managed-identity endpoint double (the App Service protocol the Azure",
        "Identity library reads from `IDENTITY_ENDPOINT`) for its tokens, and a sink configured with an identity",
        "the host does not hold gets none: the sink keeps retrying without failing its task and holds its offsets (nothing is",
        "lost), and `status` reports the lag and the stale heartbeat with the `az vm identity assign` fix.",
        "",
        "`sinkIdentity.kind: clientSecret` (the default, for a Docker host outside Azure) creates an Entra",
        "application with a client secret valid one year, kept as a Pulumi secret and handed to the workers only",
        "as an owner-only file. `status` reports it from 30 days before it expires; a new `sinkSecretRotation`",
        "value and `pulumi up` issue a new one. Workload identity federation is not offered: it needs a token",
        "file from an OIDC issuer (Kubernetes), which a Docker host does not have.",
        "",
        "## Alerts: told when nobody runs `status`",
        "",
        "Every stack that deploys into an Azure subscription (or captures an existing Azure server) has Azure Monitor",
        "alerts: the source server's storage past 80% and its CDC slot more than 256 MiB behind (on a server the",
        "stack creates and on `postgres.existingServer` alike), and the pipeline stalled: no heartbeat in ADX for",
        "`alerts.maxHeartbeatAgeSeconds` (a log search alert whose own managed identity reads the heartbeat's",
        "change table as a Viewer of the one database), and a connector task failing for 15 minutes despite the",
        "watchdog's restarts, or given up on (read from the workers' health records in ADX by the same identity).",
        "`alerts.emails` is e-mailed by all of them through one",
        "action group; without it they show in the Azure portal only. Details: [faults](faults.md).",
        "",
        "## Partitions per table topic",
        "",
        `Each captured table's topic has \`kafka.partitions\` partitions on the stack's broker (\`kafka.eventHubs.partitions\`, default ${DEFAULT_TABLE_PARTITIONS},`,
        `on Event Hubs), and the sink one task per partition up to ${SINK_MAX_TASKS}. Unset, it is ${DEFAULT_TABLE_PARTITIONS} up to ${TABLE_PARTITION_BUDGET / DEFAULT_TABLE_PARTITIONS} captured tables, then`,
        `${TABLE_PARTITION_BUDGET} ÷ tables (at least 1): several partitions let several sink tasks share a large table's initial load,`,
        "while every partition is a sink writer flushing on its own (ADX requests, latency of quiet tables).",
        "A changed value reaches topics created afterwards. Measured: [benchmark](benchmark.md).",
        "",
        "## Every setting",
        "",
        `Generated from the schema in [\`config/\`](../config/stackConfig.ts) (one file per section) by \`npm run docs:config\`.`,
        `\`${CONFIG_NAMESPACE}:postgresAdminPassword\` (a secret) is required; every other section is optional`,
        '(`Pulumi.yaml` gives each an empty default, which the schema fills). "mode" names the',
        "`kafka.mode` a setting belongs to; settings of the other mode are refused.",
        "",
        "| key | type or values | default | mode |",
        "| --- | --- | --- | --- |",
        ...out,
        "",
    ].join("\n");
}

export const CONFIG_REFERENCE_DOC = path.join(repoRoot(__dirname), "docs", "configuration.md");

if (require.main === module) {
    if (process.argv.includes("--help")) {
        process.stdout.write("npm run docs:config — writes docs/configuration.md from the config schema (config/)\n");
        process.exit(0);
    }
    fs.writeFileSync(CONFIG_REFERENCE_DOC, renderConfigReferenceMarkdown());
    process.stdout.write(`wrote ${path.relative(process.cwd(), CONFIG_REFERENCE_DOC)}\n`);
}
