// Pulumi mocks for the unit and provider tests: records every resource the program registers,
// with its inputs exactly as the engine would receive them (including a dynamic resource's
// serialized `__provider` text).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { CATALOG_FIXTURES, heartbeatCatalog } from "./catalogFixtures";
import { captureProblems } from "../../postgres/sourceCatalogResource";
import { currentStateKey } from "../../postgres/catalog";
import type { PulumiProject } from "./pulumiCliConfigRules";

export interface MockedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id: string;
}

export const STACK = "dev";
export const PROJECT = "pg-adx-cdc";
export const CLIENT_CONFIG = {
    clientId: "00000000-0000-0000-0000-00000000c11e",
    objectId: "00000000-0000-0000-0000-0000000000b1",
    tenantId: "00000000-0000-0000-0000-00000000te4a",
    subscriptionId: "00000000-0000-0000-0000-0000000005b5",
};

/** The object id the mocked Entra directory gives the service principal of a client id. */
export function mockServicePrincipalObjectId(clientId: string): string {
    return `${clientId.slice(0, 24)}0000000000b2`;
}

/** Outputs the real providers compute, so that components that read them get realistic values. */
function computedOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    switch (type) {
        case "azure-native:kusto:Cluster":
            return {
                name: inputs.clusterName,
                uri: `https://${inputs.clusterName}.westeurope.kusto.windows.net`,
                dataIngestionUri: `https://ingest-${inputs.clusterName}.westeurope.kusto.windows.net`,
            };
        case "azure-native:kusto:ReadWriteDatabase":
            return { name: `${inputs.clusterName}/${inputs.databaseName}` };
        case "azure-native:dbforpostgresql:Server":
            return { name: inputs.serverName, fullyQualifiedDomainName: `${inputs.serverName}.postgres.database.azure.com` };
        case "azure-native:resources:ResourceGroup":
            return { name: inputs.resourceGroupName, location: "westeurope" };
        case "azure-native:eventhub:Namespace":
            return { name: inputs.namespaceName };
        case "azure-native:eventhub:NamespaceAuthorizationRule":
            return { name: inputs.authorizationRuleName };
        case "azuread:index/application:Application":
            return { clientId: "11111111-2222-3333-4444-555555555555" };
        case "azuread:index/applicationPassword:ApplicationPassword":
            return { value: "mock-client-secret-value", endDate: "2027-11-30T10:00:00Z" };
        case "azure-native:managedidentity:UserAssignedIdentity":
            return { clientId: "99999999-8888-7777-6666-555555555555", principalId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" };
        case "random:index/randomString:RandomString":
            return { result: "abc123" };
        case "random:index/randomPassword:RandomPassword":
            // Letters and digits, as `special: false` gives; the REST password is checked for that.
            return {
                result: name.endsWith("connect-rest-password")
                    ? MOCK_CONNECT_REST_PASSWORD
                    : name.endsWith("kafka-operator-password")
                      ? MOCK_KAFKA_OPERATOR_PASSWORD
                      : "mock-replication-password-0123456789",
            };
        case "random:index/randomBytes:RandomBytes":
            return { base64: "c2FsdHNhbHRzYWx0c2FsdA==" };
        case "docker:index/network:Network":
            return { name: inputs.name };
        case "docker:index/image:Image":
            return { imageName: inputs.imageName };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:mock-${name}` };
        case "docker:index/volume:Volume":
            return { name: `${name}-volume` };
        case "pulumi-nodejs:dynamic/pg-adx-cdc:SourceCatalog": {
            // The catalog a PostgreSQL holding the fixture tables would report, checked as the provider checks it.
            const fixture = (t: string) => CATALOG_FIXTURES[t] ?? (t.startsWith("cdc_meta.heartbeat_") ? heartbeatCatalog(t) : undefined);
            const found = { tables: inputs.tables.filter(fixture).map(fixture), missing: inputs.tables.filter((t: string) => !fixture(t)) };
            const problems = captureProblems(inputs as any, found);
            if (problems.length) throw new Error(problems.join("\n"));
            return { described: found.tables.map((t: any) => ({ ...t, key: currentStateKey(t, inputs.keys?.[t.qualifiedName]) })) };
        }
        default:
            return {};
    }
}

/** A registration as the engine receives it: its URN, its parent's and the alias specs the SDK sent. */
export interface RegisteredUrn {
    urn: string;
    parent: string;
    type: string;
    name: string;
    aliases: { urn?: string; name?: string; type?: string; parentUrn?: string; noParent?: boolean }[];
    /** The resource options the engine acts on when it replaces: delete first, and what must be done before. */
    deleteBeforeReplace: boolean;
    dependencies: string[];
}

/** Every resource the program registered, in order (test/support/stackUrns.ts resolves their aliases as the engine does). */
export const REGISTERED_URNS: RegisteredUrn[] = [];

// The mock monitor prefixes a child's type with its parent's last type only; the engine uses the
// parent's whole type chain. Here URNs are built as the engine builds them, and each registration's
// alias specs are recorded for the engine's own resolution (stackUrns.ts).
function recordEngineUrns(): void {
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    if (MockMonitor.prototype.__engineUrns) return;
    MockMonitor.prototype.__engineUrns = true;
    MockMonitor.prototype.newUrn = function (parent: string, type: string, name: string) {
        const chain = parent ? `${parent.split("::")[2]}$${type}` : type;
        return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${chain}::${name}`;
    };
    const register = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (req: any, callback: any) {
        REGISTERED_URNS.push({
            urn: this.newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent(),
            type: req.getType(),
            name: req.getName(),
            aliases: req.getAliasesList().map((a: any) => {
                if (a.getUrn()) return { urn: a.getUrn() };
                const spec = a.getSpec();
                return { name: spec.getName() || undefined, type: spec.getType() || undefined, parentUrn: spec.getParenturn() || undefined, noParent: spec.getNoparent() };
            }),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            dependencies: req.getDependenciesList(),
        });
        return register.call(this, req, callback);
    };
}

/** Installs mocks (once per process) and returns the list every registered resource is added to. */
export function installMocks(config: Record<string, unknown>, secretKeys: string[] = [], stack = STACK, project = PROJECT): MockedResource[] {
    const resources: MockedResource[] = [];
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) flat[key] = typeof value === "string" ? value : JSON.stringify(value);
    pulumi.runtime.setAllConfig(flat, secretKeys);
    pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const id = `${args.name}-id`;
                const outputs = { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs) };
                if (args.type === "azure-native:dbforpostgresql:Server")
                    outputs.id = `/subscriptions/${CLIENT_CONFIG.subscriptionId}/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/${args.inputs.serverName ?? args.name}`;
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, id });
                return { id, state: outputs };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                if (args.token === "azure-native:authorization:getClientConfig" || args.token === "azuread:index/getClientConfig:getClientConfig") return CLIENT_CONFIG;
                if (args.token === "azure-native:dbforpostgresql:getServer") {
                    const { resourceGroupName, serverName } = args.inputs;
                    return {
                        id: `/subscriptions/${CLIENT_CONFIG.subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${serverName}`,
                        name: serverName,
                        fullyQualifiedDomainName: `${serverName}.postgres.database.azure.com`,
                    };
                }
                // The existing server's own parameters (program.existingPostgres.test.ts): more slots than the stack asks for.
                if (args.token === "azure-native:dbforpostgresql:getConfiguration")
                    return {
                        name: args.inputs.configurationName,
                        value: ({ max_replication_slots: "40", max_wal_senders: "4", wal_level: "replica" } as Record<string, string>)[args.inputs.configurationName],
                    };
                // An existing identity's service principal, found by its client id (its object id is what Azure RBAC names).
                if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal")
                    return { clientId: args.inputs.clientId, objectId: mockServicePrincipalObjectId(args.inputs.clientId) };
                if (args.token === "azure-native:eventhub:listNamespaceKeys") {
                    const endpoint = `Endpoint=sb://${args.inputs.namespaceName}.servicebus.windows.net/;SharedAccessKeyName=${args.inputs.authorizationRuleName}`;
                    return {
                        primaryConnectionString: `${endpoint};SharedAccessKey=${MOCK_EVENT_HUBS_KEY}`,
                        primaryKey: MOCK_EVENT_HUBS_KEY,
                        keyName: args.inputs.authorizationRuleName,
                    };
                }
                return args.inputs;
            },
        },
        project,
        stack,
        false,
    );
    recordEngineUrns();
    return resources;
}

/** The config of a stack file (Pulumi.<stack>.yaml), as a flat key → value map. */
export function readStackFile(stack: string): Record<string, unknown> {
    const file = path.join(repoRoot(), `Pulumi.${stack}.yaml`);
    return (parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;
}

/** Pulumi.yaml, as the CLI reads it. */
export function readProject(): PulumiProject {
    return parseYaml(fs.readFileSync(path.join(repoRoot(), "Pulumi.yaml"), "utf8"));
}

export function repoRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) dir = path.dirname(dir);
    return dir;
}

/** Resolves an Output's value (and whether it is secret) inside a mocks test. */
export function resolveOutput<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
    return new Promise((resolve) => {
        pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => resolve({ value: value as T, secret }));
    });
}

/** The Connect REST password the mocked RandomPassword gives (it must never show in plaintext). */
export const MOCK_CONNECT_REST_PASSWORD = "mockConnectRestPassword0123456789";
export const MOCK_KAFKA_OPERATOR_PASSWORD = "mockKafkaOperatorPassword0123456789";

/** The Event Hubs key the mocked listNamespaceKeys returns (it must never show in plaintext). */
export const MOCK_EVENT_HUBS_KEY = "mock-eventhubs-key-value";

/** The signature Pulumi puts on a secret value when it crosses to the engine. */
export const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/** A secret input's value as the mocks received it (inside Pulumi's secret envelope). */
export function unsecret(value: any): any {
    return value && typeof value === "object" && SECRET_SIGNATURE in value ? value.value : value;
}

/**
 * A container's uploaded secret files (path -> content), asserting how they are held: the uploads are a
 * Pulumi secret, and each file belongs to the given uid with mode 0400.
 */
export function secretFilesOf(container: { inputs: any }, uid: number): Record<string, string> {
    const uploads = container.inputs.uploads;
    if (!(uploads && typeof uploads === "object" && SECRET_SIGNATURE in uploads)) throw new Error(`${container.inputs.name}: uploads are not a Pulumi secret`);
    const files: Record<string, string> = {};
    for (const u of uploads.value as { file: string; content: string; owner: string; group: string; permissions: string }[]) {
        if (u.owner !== String(uid) || u.group !== String(uid) || u.permissions !== "0400") throw new Error(`${u.file} is not owner-only (${u.owner}:${u.group} ${u.permissions})`);
        files[u.file] = u.content;
    }
    return files;
}

/** Lets the mocked engine finish registering resources. */
export async function settle(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
}

/** Rebuilds a dynamic provider from its serialized text, as the provider host does. */
export function loadSerializedProvider(serialized: string): any {
    const requireFromString = require("require-from-string");
    return requireFromString(serialized).handler();
}
