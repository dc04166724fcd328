// KafkaConnector: one Kafka Connect connector as a Pulumi resource (dynamic provider).
// check/diff are pure (they run in `pulumi preview`); create/update/read/delete talk to Connect.
import * as pulumi from "@pulumi/pulumi";
import * as rest from "./connectRestClient";
import { SECRET_SETTING_KEY, WORKER_SECRET_REFERENCE } from "./workerSettings";
import type { ConnectCredentials } from "./connectRestAuth";
import { ConnectCredentialsInput, withSecretConnectCredentials } from "./connectCredentialsInput";
import { findRemovedDebeziumSettings } from "./removedSettings";
import { checkedBy, goneFromRead, logProgress } from "../runtime/providerKit";

export interface KafkaConnectorInputs {
    connectUrl: string;
    /** The group's other workers: used when connectUrl does not answer (a worker down during `pulumi up`). */
    standbyConnectUrls?: string[];
    connectorName: string;
    config: Record<string, string>;
    /** Deadline for each operation (create or update plus the wait for RUNNING), in seconds. */
    timeoutSeconds?: number;
    /** Adopt a connector of this name that already exists (pg-adx-cdc:kafka.adoptExistingConnectors) instead of failing at create. */
    adoptExisting?: boolean;
    /** The REST API's credentials (a Pulumi secret: encrypted in state, "[secret]" in diffs); without them, the operator's variable. */
    connectCredentials?: ConnectCredentials;
}

/** Keys every connector needs before Connect will even accept it. */
const REQUIRED_KEYS = ["connector.class"];

/** Offline validation of a connector's inputs; returns the failures `check` reports. */
export function validateConnectorInputs(inputs: Partial<KafkaConnectorInputs>): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    if (typeof inputs.connectUrl !== "string" || !/^https?:\/\/[^/]+/.test(inputs.connectUrl)) {
        failures.push({ property: "connectUrl", reason: `must be the Connect REST URL such as "http://127.0.0.1:8083" (got ${JSON.stringify(inputs.connectUrl)})` });
    }
    for (const url of inputs.standbyConnectUrls ?? []) {
        if (typeof url !== "string" || !/^https?:\/\/[^/]+/.test(url))
            failures.push({ property: "standbyConnectUrls", reason: `must be Connect REST URLs (got ${JSON.stringify(url)})` });
    }
    if (typeof inputs.connectorName !== "string" || !/^[A-Za-z0-9._-]{1,200}$/.test(inputs.connectorName)) {
        failures.push({ property: "connectorName", reason: `must be 1-200 letters, digits, ".", "_" or "-" (got ${JSON.stringify(inputs.connectorName)})` });
    }
    const config = inputs.config;
    if (!config || typeof config !== "object") {
        failures.push({ property: "config", reason: "the connector config map is required" });
        return failures;
    }
    const credentials = inputs.connectCredentials;
    if (credentials !== undefined && (typeof credentials?.username !== "string" || typeof credentials?.password !== "string" || !credentials.password))
        failures.push({ property: "connectCredentials", reason: "must be { username, password } of the Connect REST API" });
    for (const key of REQUIRED_KEYS) if (!config[key]) failures.push({ property: `config.${key}`, reason: `"${key}" is required` });
    if (config.name !== undefined && config.name !== inputs.connectorName) {
        failures.push({
            property: "config.name",
            reason: `"name" in the config ("${config.name}") differs from connectorName ("${inputs.connectorName}"); Connect would reject the PUT`,
        });
    }
    for (const [key, value] of Object.entries(config)) {
        if (typeof value !== "string") failures.push({ property: `config.${key}`, reason: `values must be strings (got ${typeof value}); Connect configs are string maps` });
        else if (SECRET_SETTING_KEY.test(key) && !WORKER_SECRET_REFERENCE.test(value)) {
            failures.push({
                property: `config.${key}`,
                reason: `holds a literal secret (or a reference the workers cannot resolve); pass it as "\${dir:<secrets directory>:<file>}" and give the worker that file (it would otherwise be stored in Pulumi state and in Connect's config topic)`,
            });
        }
    }
    for (const problem of findRemovedDebeziumSettings(config)) failures.push({ property: "config", reason: problem });
    return failures;
}

/** Config keys whose values differ (added, removed or changed), sorted. */
export function changedConfigKeys(olds: Record<string, string>, news: Record<string, string>): string[] {
    const keys = new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})]);
    return [...keys].filter((k) => olds?.[k] !== news?.[k]).sort();
}

/** Pure diff: name or URL changes replace the connector (deleted first: it owns a slot); config changes update it in place. */
export function diffConnector(olds: KafkaConnectorInputs, news: KafkaConnectorInputs): pulumi.dynamic.DiffResult {
    const replaces: string[] = [];
    if (olds.connectorName !== news.connectorName) replaces.push("connectorName");
    if (olds.connectUrl !== news.connectUrl) replaces.push("connectUrl");
    // timeoutSeconds, adoptExisting and standbyConnectUrls are how the provider works, not part of the connector: changing them alone changes nothing in Connect.
    const configChanged = changedConfigKeys(olds.config, news.config).length > 0;
    // Rotated REST credentials are an update (it re-applies the same config), so the state holds the ones later reads and
    // deletes need. A state without them (an imported connector) is no change: it falls back to the operator's variable.
    const credentialsChanged = olds.connectCredentials !== undefined && JSON.stringify(olds.connectCredentials) !== JSON.stringify(news.connectCredentials ?? null);
    return { changes: replaces.length > 0 || configChanged || credentialsChanged, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/**
 * The id `pulumi import` (or the `import` resource option) gives to adopt a connector that already
 * exists: its REST location, `<connect URL>/connectors/<name>`, so that `read` can find it without state.
 */
export function connectorImportId(connectUrl: string, connectorName: string): string {
    return `${connectUrl.replace(/\/+$/, "")}/connectors/${connectorName}`;
}

/** The Connect URL and connector name an import id names; undefined for a plain name (the id of a connector this stack created). */
export function parseConnectorImportId(id: string): { connectUrl: string; connectorName: string } | undefined {
    const m = /^(https?:\/\/.+)\/connectors\/([A-Za-z0-9._-]{1,200})$/.exec(id);
    return m ? { connectUrl: m[1], connectorName: m[2] } : undefined;
}

/** The workers to try, first the main one, each with the resource's credentials. */
function endpointsOf(inputs: KafkaConnectorInputs): rest.ConnectEndpoint[] {
    return [inputs.connectUrl, ...(inputs.standbyConnectUrls ?? [])].map((url) => ({ url, credentials: inputs.connectCredentials }));
}

function policyFor(inputs: KafkaConnectorInputs): rest.RetryPolicy {
    return { deadlineMs: (inputs.timeoutSeconds ?? 300) * 1000, initialDelayMs: 250, maxDelayMs: 5000 };
}

/** The provider. Methods resolve nothing from the closure but the functions above and `rest`. */
export const kafkaConnectorProvider: pulumi.dynamic.ResourceProvider = {
    check: checkedBy(validateConnectorInputs),

    async diff(_id: string, olds: any, news: any) {
        return diffConnector(olds, news);
    },

    async create(inputs: any) {
        const policy = policyFor(inputs);
        const url = await rest.firstAnsweringWorker(endpointsOf(inputs));
        logProgress(`creating connector "${inputs.connectorName}" on ${rest.endpointUrl(url)}`);
        const outcome = await rest.createConnector(url, inputs.connectorName, inputs.config, policy, logProgress, inputs.adoptExisting === true);
        if (outcome === "adopted") logProgress(`connector "${inputs.connectorName}" already existed: adopted, its config replaced by the stack's (offsets kept)`);
        let status: rest.ConnectorStatus;
        try {
            status = await rest.waitForConnectorRunning(url, inputs.connectorName, policy, logProgress);
        } catch (error: any) {
            // A failed create is not in Pulumi's state: remove the connector so the next `pulumi up` starts clean
            // instead of stopping at "already exists". Its offsets stay in Connect's offsets topic.
            await rest.deleteConnector(url, inputs.connectorName, policy, logProgress).catch(() => undefined);
            throw new Error(`${error.message}\n(the connector was removed again, so fixing the config and running pulumi up retries cleanly)`);
        }
        logProgress(`connector "${inputs.connectorName}" RUNNING with ${status.tasks.length} task(s)`);
        return { id: inputs.connectorName, outs: { ...inputs, connectorType: status.type ?? "" } };
    },

    async update(_id: string, olds: any, news: any) {
        const policy = policyFor(news);
        const changed = changedConfigKeys(olds.config, news.config);
        logProgress(`updating connector "${news.connectorName}": ${changed.length ? changed.join(", ") : "no config keys"} changed`);
        const url = await rest.firstAnsweringWorker(endpointsOf(news));
        await rest.putConnectorConfig(url, news.connectorName, news.config, policy, logProgress);
        const status = await rest.waitForConnectorRunning(url, news.connectorName, policy, logProgress);
        return { outs: { ...news, connectorType: status.type ?? olds.connectorType ?? "" } };
    },

    async read(id: string, props: any) {
        // Adopting an existing connector (`import`): no state yet, the id says where it is; its live config becomes the state,
        // so the next diff against the program shows exactly what the stack would change.
        const imported = !props?.connectUrl ? parseConnectorImportId(id) : undefined;
        if (!props?.connectUrl && !imported)
            throw new Error(`cannot import connector "${id}": give its REST location as the id, e.g. ${connectorImportId("http://127.0.0.1:8083", id)}`);
        if (imported) {
            const live = await rest.getConnectorConfig(imported.connectUrl, imported.connectorName, policyFor({ ...imported, config: {} }), logProgress);
            if (!live) throw new Error(`cannot import: Kafka Connect at ${imported.connectUrl} has no connector "${imported.connectorName}"`);
            const status = await rest
                .waitForConnectorRunning(imported.connectUrl, imported.connectorName, policyFor({ ...imported, config: {} }), logProgress)
                .catch(() => undefined);
            return { id, props: { ...imported, config: live, connectorType: status?.type ?? "" } };
        }
        // "Gone" only when the worker says so for 20 s: a worker rejoining after a crash answers "not found" meanwhile.
        const url = await rest.firstAnsweringWorker(endpointsOf(props));
        const live = await rest.getConnectorConfig(url, props.connectorName ?? id, policyFor(props), logProgress, 20_000);
        if (!live) return goneFromRead();
        // Connect adds "name" to every stored config; keep the declared shape so refresh shows real drift only.
        const declaredHasName = props.config && Object.prototype.hasOwnProperty.call(props.config, "name");
        const config = { ...live };
        if (!declaredHasName) delete config.name;
        return { id, props: { ...props, config } };
    },

    async delete(id: string, props: any) {
        const url = await rest.firstAnsweringWorker(endpointsOf(props));
        const outcome = await rest.deleteConnector(url, props.connectorName ?? id, policyFor(props), logProgress);
        logProgress(`connector "${props.connectorName ?? id}" ${outcome === "deleted" ? "deleted" : "was already gone"}`);
    },
};

export interface KafkaConnectorArgs {
    /** Kafka Connect REST URL as seen from where `pulumi` runs. */
    connectUrl: pulumi.Input<string>;
    /** The group's other workers' REST URLs, used when connectUrl does not answer. */
    standbyConnectUrls?: pulumi.Input<pulumi.Input<string>[]>;
    connectorName: pulumi.Input<string>;
    /** Built by the pure builders in connectors/; secrets only as `${dir:...}` references to worker secret files. */
    config: pulumi.Input<Record<string, pulumi.Input<string>>>;
    timeoutSeconds?: pulumi.Input<number>;
    adoptExisting?: pulumi.Input<boolean>;
    /** The Connect REST API's credentials; kept secret in state and diffs. */
    connectCredentials?: ConnectCredentialsInput;
}

/** A Kafka Connect connector, created and kept RUNNING by the provider above. */
export class KafkaConnector extends pulumi.dynamic.Resource {
    public readonly connectorName!: pulumi.Output<string>;
    public readonly config!: pulumi.Output<Record<string, string>>;
    public readonly connectorType!: pulumi.Output<string>;

    constructor(name: string, args: KafkaConnectorArgs, opts?: pulumi.CustomResourceOptions) {
        const [inputs, options] = withSecretConnectCredentials(args, opts);
        super(kafkaConnectorProvider, name, { ...inputs, connectorType: undefined }, options, "pg-adx-cdc", "KafkaConnector");
    }
}
