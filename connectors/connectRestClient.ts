// Kafka Connect REST calls with the retries Connect needs: connection refused while the worker
// starts, 409 while the group rebalances. Used by the KafkaConnector dynamic provider, so it holds
// no state and requires its libraries inside each function (the provider is serialized by value).
import { pollUntil } from "../runtime/pollUntil";
import { SECRET_SETTING_KEY, WORKER_SECRET_REFERENCE } from "./workerSettings";
import { CONNECT_REST_USER, ConnectCredentials, connectAuthorizationHeaders, connectUnauthorizedMessage, resolveConnectCredentials } from "./connectRestAuth";

/**
 * A worker's REST URL, with the credentials to send; a bare URL sends the operator's
 * (CONNECT_REST_PASSWORD_ENV), which is how the CLI and the e2e tests authenticate.
 */
export type ConnectEndpoint = string | { url: string; credentials?: ConnectCredentials };

export function endpointUrl(endpoint: ConnectEndpoint): string {
    return typeof endpoint === "string" ? endpoint : endpoint.url;
}

function endpointHeaders(endpoint: ConnectEndpoint): Record<string, string> {
    return connectAuthorizationHeaders(resolveConnectCredentials(typeof endpoint === "string" ? undefined : endpoint.credentials));
}

export interface RetryPolicy {
    /** Total time allowed for one logical operation, retries included. */
    deadlineMs: number;
    initialDelayMs: number;
    maxDelayMs: number;
}

export interface ConnectResponse {
    status: number;
    data: any;
}

export interface ConnectorStatus {
    name: string;
    connector: { state: string; worker_id?: string; trace?: string };
    tasks: { id: number; state: string; worker_id?: string; trace?: string }[];
    type?: string;
}

const TRANSIENT_NETWORK_CODES = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ECONNABORTED", "EAI_AGAIN", "ERR_SOCKET_CONNECTION_TIMEOUT"];

/** Capped exponential backoff with full jitter: attempt 0 waits up to initialDelayMs. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
    const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
    return Math.max(1, Math.round(cap * (0.5 + random() / 2)));
}

/** True for errors worth retrying: Connect not listening yet, a rebalance (409), or a worker timeout. */
export function isTransientConnectFailure(error: { code?: string; status?: number; message?: string }): boolean {
    // A restarting worker also answers 500 "Request cannot be completed because a rebalance is expected".
    if (error.status === 500 && /rebalance/i.test(error.message ?? "")) return true;
    // Connect answers 409 both while the group rebalances and for a connector that already exists; the
    // latter is an answer (after a POST that timed out on a busy worker, it is often our own connector).
    if (error.status === 409 && /already exists/i.test(error.message ?? "")) return false;
    if (error.status !== undefined) return error.status === 409 || error.status === 503 || error.status === 504;
    return error.code !== undefined && TRANSIENT_NETWORK_CODES.includes(error.code);
}

/** Redacts values of keys that look secret, for messages and logs. */
export function redactConfig(config: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) out[k] = SECRET_SETTING_KEY.test(k) && !WORKER_SECRET_REFERENCE.test(v) ? "[redacted]" : v;
    return out;
}

/**
 * One REST call, retried on transient failures until the policy's deadline. Resolves with any
 * non-transient HTTP status (the caller decides what 404 means); rejects with the last failure.
 */
export async function connectRequest(
    endpoint: ConnectEndpoint,
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body: unknown,
    policy: RetryPolicy,
    onRetry?: (message: string) => void,
): Promise<ConnectResponse> {
    const axios = require("axios");
    const baseUrl = endpointUrl(endpoint);
    const auth = endpointHeaders(endpoint);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
        let failure: { code?: string; status?: number; message: string };
        try {
            const remaining = policy.deadlineMs - (Date.now() - started);
            const response = await axios.request({
                baseURL: baseUrl,
                url: path,
                method,
                data: body,
                timeout: Math.max(1000, Math.min(30_000, remaining)),
                validateStatus: () => true,
                headers: { "Content-Type": "application/json", Accept: "application/json", ...auth },
            });
            if (response.status === 401) throw Object.assign(new Error(connectUnauthorizedMessage(baseUrl, "Authorization" in auth)), { unauthorized: true });
            // A worker that is still booting serves Jetty's HTML 404 for every path before Connect's resources are
            // registered; Connect's own 404 ("connector not found") is JSON. Only the latter is an answer.
            const booting = response.status === 404 && (typeof response.data !== "object" || response.data === null);
            if (!booting && !isTransientConnectFailure({ status: response.status, message: describeConnectError(response.data) }))
                return { status: response.status, data: response.data };
            failure = { status: response.status, message: `HTTP ${response.status}: ${describeConnectError(response.data)}` };
        } catch (error: any) {
            if (error?.unauthorized) throw error;
            const code = error?.code ?? error?.cause?.code;
            if (!isTransientConnectFailure({ code })) throw new Error(`Kafka Connect ${method} ${baseUrl}${path} failed: ${error?.message ?? error}`);
            failure = { code, message: `${code}` };
        }
        const delay = backoffDelayMs(attempt, policy);
        if (Date.now() - started + delay > policy.deadlineMs) {
            throw new Error(
                `Kafka Connect ${method} ${baseUrl}${path} still failing after ${Math.round((Date.now() - started) / 1000)} s (${failure.message}); is the worker up and reachable from where pulumi runs?`,
            );
        }
        onRetry?.(`Kafka Connect ${method} ${path}: ${failure.message}, retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
    }
}

/** A config's entries in key order, for comparing two configs. */
function sortedEntries(config: Record<string, string>): [string, string][] {
    return Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Connect's error body is {"error_code":..,"message":..}; fall back to the raw body. */
export function describeConnectError(data: any): string {
    if (data && typeof data === "object" && typeof data.message === "string") return data.message;
    return typeof data === "string" ? data.slice(0, 2000) : (JSON.stringify(data)?.slice(0, 2000) ?? "");
}

/**
 * Waits until the worker has joined its group and read the config topic (Connect's /health,
 * Kafka 3.9+). A worker that has just restarted answers 404 for every connector before that, which
 * must not be mistaken for "deleted". Workers without /health (404 there) are taken as ready.
 */
export async function waitForWorkerReady(baseUrl: ConnectEndpoint, policy: RetryPolicy, onRetry?: (m: string) => void): Promise<void> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
        const response = await connectRequest(baseUrl, "GET", "/health", undefined, { ...policy, deadlineMs: Math.max(1000, policy.deadlineMs - (Date.now() - started)) }, onRetry);
        if (response.status === 200 || response.status === 404) return;
        if (Date.now() - started > policy.deadlineMs)
            throw new Error(`Kafka Connect at ${endpointUrl(baseUrl)} is not ready: HTTP ${response.status}: ${describeConnectError(response.data)}`);
        if (attempt % 10 === 0) onRetry?.(`Kafka Connect worker still starting (${describeConnectError(response.data)})`);
        await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, policy)));
    }
}

/**
 * The live config of a connector, or undefined when a ready worker does not know it. A worker that has
 * just (re)joined its group answers "not found" from a config snapshot it has not read yet (seen for
 * several seconds after a crash, while the group rebalances): with `confirmGoneMs`, "not found" is the
 * answer only once it has lasted that long. Refresh uses it, so a restarting worker never makes a live
 * connector disappear from state.
 */
export async function getConnectorConfig(
    baseUrl: ConnectEndpoint,
    name: string,
    policy: RetryPolicy,
    onRetry?: (m: string) => void,
    confirmGoneMs = 0,
): Promise<Record<string, string> | undefined> {
    await waitForWorkerReady(baseUrl, policy, onRetry);
    const path = `/connectors/${encodeURIComponent(name)}/config`;
    const firstNotFound: { at?: number } = {};
    const answer = await pollUntil<{ config?: Record<string, string> }>({
        attempt: async () => {
            const response = await connectRequest(baseUrl, "GET", path, undefined, policy, onRetry);
            if (response.status === 200) return { config: response.data };
            if (response.status !== 404) throw new Error(`reading connector "${name}" failed: HTTP ${response.status}: ${describeConnectError(response.data)}`);
            firstNotFound.at ??= Date.now();
            return Date.now() - firstNotFound.at >= confirmGoneMs ? {} : undefined;
        },
        timeoutMs: confirmGoneMs + policy.deadlineMs,
        intervalMs: 1000,
        timeoutError: () => new Error(`reading connector "${name}" on ${endpointUrl(baseUrl)} gave no lasting answer`),
    });
    return answer.config;
}

/**
 * Creates a connector. One of that name that already exists is adopted when `adopt` is set (its
 * config replaced by this one; Connect keeps its offsets), and otherwise an error that says how to adopt it.
 */
export async function createConnector(
    baseUrl: ConnectEndpoint,
    name: string,
    config: Record<string, string>,
    policy: RetryPolicy,
    onRetry?: (m: string) => void,
    adopt = false,
): Promise<"created" | "adopted"> {
    const existing = await getConnectorConfig(baseUrl, name, policy, onRetry);
    if (existing && adopt) {
        await putConnectorConfig(baseUrl, name, config, policy, onRetry);
        return "adopted";
    }
    const notOurs = () =>
        new Error(
            `connector "${name}" already exists on ${endpointUrl(baseUrl)} but is not in this stack's state. To adopt it: ` +
                `pulumi config set --path pg-adx-cdc:kafka.adoptExistingConnectors true, then pulumi up (its config becomes the stack's; Connect keeps its offsets, so it resumes where it stopped); ` +
                `or delete it (curl -X DELETE -u ${CONNECT_REST_USER} ${endpointUrl(baseUrl)}/connectors/${name}; offsets are kept too) and run pulumi up again; or choose another connector name.`,
        );
    if (existing) throw notOurs();
    const response = await connectRequest(baseUrl, "POST", "/connectors", { name, config }, policy, onRetry);
    if (response.status === 409) {
        // Created between the check above and this answer: by an earlier attempt of this POST whose answer
        // did not arrive in time (a worker busy starting many tasks), when it holds exactly this config.
        const now = await getConnectorConfig(baseUrl, name, policy, onRetry);
        if (now && JSON.stringify(sortedEntries(now)) === JSON.stringify(sortedEntries({ ...config, name }))) return "created";
        throw notOurs();
    }
    if (response.status !== 201 && response.status !== 200) {
        throw new Error(`creating connector "${name}" failed: HTTP ${response.status}: ${describeConnectError(response.data)}`);
    }
    return "created";
}

/**
 * Replaces a connector's whole config in place and returns once the worker serves it. Connect answers
 * the PUT when the config is in its config topic, but a worker serves reads from a snapshot it refreshes
 * on its next tick: read at once, the old config comes back (seen in CI), and a refresh right after
 * `pulumi up` would show a drift that is not there.
 */
export async function putConnectorConfig(
    baseUrl: ConnectEndpoint,
    name: string,
    config: Record<string, string>,
    policy: RetryPolicy,
    onRetry?: (m: string) => void,
): Promise<void> {
    const response = await connectRequest(baseUrl, "PUT", `/connectors/${encodeURIComponent(name)}/config`, config, policy, onRetry);
    if (response.status !== 200 && response.status !== 201) {
        throw new Error(`updating connector "${name}" failed: HTTP ${response.status}: ${describeConnectError(response.data)}`);
    }
    let live: Record<string, string> | undefined;
    await pollUntil({
        attempt: async () => {
            live = await getConnectorConfig(baseUrl, name, policy, onRetry);
            return live && Object.entries(config).every(([key, value]) => live![key] === value) ? true : undefined;
        },
        timeoutMs: policy.deadlineMs,
        intervalMs: 250,
        timeoutError: () => {
            const stale = Object.keys(config).filter((key) => live?.[key] !== config[key]);
            return new Error(
                `connector "${name}" on ${endpointUrl(baseUrl)} still serves its old config ${Math.round(policy.deadlineMs / 1000)} s after the update (keys not applied: ${stale.join(", ")})`,
            );
        },
    });
}

/** Deletes a connector; one that is already gone counts as deleted. */
export async function deleteConnector(baseUrl: ConnectEndpoint, name: string, policy: RetryPolicy, onRetry?: (m: string) => void): Promise<"deleted" | "already-gone"> {
    await waitForWorkerReady(baseUrl, policy, onRetry);
    const response = await connectRequest(baseUrl, "DELETE", `/connectors/${encodeURIComponent(name)}`, undefined, policy, onRetry);
    if (response.status === 404) return "already-gone";
    if (response.status !== 204 && response.status !== 200) {
        throw new Error(`deleting connector "${name}" failed: HTTP ${response.status}: ${describeConnectError(response.data)}`);
    }
    return "deleted";
}

/**
 * Waits until the connector and all its tasks are RUNNING. A FAILED connector or task fails at
 * once with Connect's stack trace; the deadline fails with the last status seen.
 */
export async function waitForConnectorRunning(baseUrl: ConnectEndpoint, name: string, policy: RetryPolicy, onProgress?: (message: string) => void): Promise<ConnectorStatus> {
    const started = Date.now();
    let last: ConnectorStatus | string = "no status yet";
    let lastReported = "";
    return pollUntil({
        attempt: async () => {
            const remaining = Math.max(1000, policy.deadlineMs - (Date.now() - started));
            const response = await connectRequest(baseUrl, "GET", `/connectors/${encodeURIComponent(name)}/status`, undefined, { ...policy, deadlineMs: remaining }, onProgress);
            if (response.status !== 200) {
                if (response.status !== 404) last = `HTTP ${response.status}: ${describeConnectError(response.data)}`;
                return undefined;
            }
            const status = response.data as ConnectorStatus;
            last = status;
            // A sink task without a committed offset for a new topic fails by design (auto.offset.reset=none);
            // the workers' watchdog commits offset 0 and resumes it within seconds (FailedTaskWatchdog).
            const failedTask = status.tasks.find((t) => t.state === "FAILED" && !/NoOffsetForPartitionException/.test(t.trace ?? ""));
            if (status.connector.state === "FAILED") throw new Error(`connector "${name}" FAILED:\n${status.connector.trace ?? "(no trace)"}`);
            if (failedTask) throw new Error(`connector "${name}" task ${failedTask.id} FAILED:\n${failedTask.trace ?? "(no trace)"}`);
            if (status.connector.state === "RUNNING" && status.tasks.length > 0 && status.tasks.every((t) => t.state === "RUNNING")) return status;
            const summary = `connector ${status.connector.state}, tasks [${status.tasks.map((t) => `${t.id}:${t.state}`).join(", ")}]`;
            if (summary !== lastReported) onProgress?.(`waiting for "${name}": ${summary}`);
            lastReported = summary;
            return undefined;
        },
        timeoutMs: policy.deadlineMs,
        intervalMs: 500,
        timeoutError: () =>
            new Error(
                `connector "${name}" not RUNNING after ${Math.round(policy.deadlineMs / 1000)} s; last status: ${typeof last === "string" ? last : JSON.stringify(last)}` +
                    (typeof last !== "string" && last.type === "source" && last.tasks.length === 0 ? `\n${SOURCE_TASK_NOT_STARTED_HINT}` : ""),
            ),
    });
}

/**
 * Why a source connector can run with no task for minutes: Debezium's PostgreSQL task starts by creating its
 * replication slot, which waits for every transaction open at that moment to end (postgres/slotCreationWait.ts).
 */
export const SOURCE_TASK_NOT_STARTED_HINT =
    "Its task has not started: a Debezium PostgreSQL task starts by creating its replication slot, which waits until every transaction open at that " +
    "moment has ended (a session idle in transaction after a write, a long batch, a prepared transaction); `pg-adx-cdc status` names them (SLOT CREATION WAITING). " +
    "End them and run pulumi up again.";

/**
 * The first worker of a Connect group that answers (GET / within `probeMs`): any worker takes
 * reads and forwards writes to the leader, so with one worker down the others still serve. When
 * none answers, the first, so that the caller's retries and errors name it.
 */
export async function firstAnsweringWorker(endpoints: ConnectEndpoint[], probeMs = 3000): Promise<ConnectEndpoint> {
    // One worker: nothing to choose; its own retries handle a restart.
    if (endpoints.length === 1) return endpoints[0];
    const axios = require("axios");
    for (const endpoint of endpoints) {
        try {
            const response = await axios.get(`${endpointUrl(endpoint).replace(/\/+$/, "")}/`, { timeout: probeMs, validateStatus: () => true, headers: endpointHeaders(endpoint) });
            if (response.status === 200) return endpoint;
        } catch {
            /* not answering: try the next */
        }
    }
    return endpoints[0];
}
