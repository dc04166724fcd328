// PostgresServerRestart: restarts an Azure PostgreSQL Flexible Server when a static server
// parameter (wal_level, max_worker_processes, ...) changed. azure-native sets the parameters but
// does not restart, and without a restart logical replication never turns on.
// Authentication at call time through the Azure credential chain (@azure/identity).
import { getAzureAccessToken } from "../runtime/azureAccessToken";
import { pollUntil } from "../runtime/pollUntil";
import * as pulumi from "@pulumi/pulumi";
import { CheckFailure, checkAnswer, logProgress } from "../runtime/providerKit";

export interface ServerRestartInputs {
    /** ARM id of the flexible server. */
    serverId: string;
    /** The static parameters and their values; a change of any of them triggers a restart. */
    staticParameters: Record<string, string>;
    /** ARM endpoint; the public cloud's by default. */
    armEndpoint?: string;
    timeoutSeconds?: number;
    /** How often the restart operation is polled. */
    pollIntervalSeconds?: number;
}

export const FLEXIBLE_SERVER_API_VERSION = "2024-08-01";

/** Pure diff: a restart is due whenever the static parameter values (or the server) change. */
export function diffServerRestart(olds: ServerRestartInputs, news: ServerRestartInputs): pulumi.dynamic.DiffResult {
    const changes = olds.serverId !== news.serverId || JSON.stringify(sorted(olds.staticParameters)) !== JSON.stringify(sorted(news.staticParameters));
    return { changes, replaces: [], deleteBeforeReplace: false };
}

function sorted(map: Record<string, string> | undefined): [string, string][] {
    return Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

async function restartServer(inputs: ServerRestartInputs): Promise<string> {
    const axios = require("axios");
    const endpoint = (inputs.armEndpoint ?? "https://management.azure.com").replace(/\/$/, "");
    const token = await getAzureAccessToken(endpoint, "AZURE_ARM_ACCESS_TOKEN", `to restart ${inputs.serverId}`);
    const headers = { Authorization: `Bearer ${token}` };
    const url = `${endpoint}${inputs.serverId}/restart?api-version=${FLEXIBLE_SERVER_API_VERSION}`;
    logProgress(`restarting ${inputs.serverId} so that static parameters take effect (${Object.keys(inputs.staticParameters).join(", ")})`);
    const started = Date.now();
    const deadline = started + (inputs.timeoutSeconds ?? 1200) * 1000;
    const busyRetryMs = (inputs.pollIntervalSeconds ?? 15) * 1000;
    const response = await pollUntil({
        attempt: async () => {
            const answer = await axios.post(url, {}, { headers, validateStatus: () => true });
            if (answer.status !== 409) return answer;
            // Another operation (e.g. a parameter update) is still running on the server.
            logProgress(`server busy with another operation; retrying the restart in ${busyRetryMs / 1000} s`);
            return undefined;
        },
        timeoutMs: deadline - started,
        intervalMs: busyRetryMs,
        timeoutError: (elapsed) => new Error(`restart of ${inputs.serverId} failed: the server stayed busy with another operation (HTTP 409) for ${Math.round(elapsed / 1000)} s`),
    });
    if (response.status !== 200 && response.status !== 202) {
        throw new Error(`restart of ${inputs.serverId} failed: HTTP ${response.status}: ${JSON.stringify(response.data?.error ?? response.data)}`);
    }
    const operationUrl = response.headers["azure-asyncoperation"] ?? response.headers["location"];
    if (!operationUrl) return new Date().toISOString();
    const pollMs = (inputs.pollIntervalSeconds ?? 10) * 1000;
    await new Promise((r) => setTimeout(r, pollMs));
    return pollUntil({
        attempt: async () => {
            const poll = await axios.get(operationUrl, { headers, validateStatus: () => true });
            const status = poll.data?.status;
            logProgress(`restart ${status ?? `HTTP ${poll.status}`} after ${Math.round((Date.now() - started) / 1000)} s`);
            if (status === "Succeeded" || (poll.status === 200 && status === undefined)) return new Date().toISOString();
            if (status === "Failed" || status === "Canceled") throw new Error(`restart of ${inputs.serverId} ${status}: ${JSON.stringify(poll.data?.error ?? poll.data)}`);
            return undefined;
        },
        timeoutMs: deadline - Date.now(),
        intervalMs: pollMs,
        timeoutError: () => new Error(`restart of ${inputs.serverId} did not finish within ${inputs.timeoutSeconds ?? 1200} s; check the server in the Azure portal`),
    });
}

export const serverRestartProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any) {
        const failures: CheckFailure[] = [];
        if (
            typeof news.serverId === "string" &&
            !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/[^/]+$/i.test(news.serverId)
        ) {
            failures.push({ property: "serverId", reason: `not a flexible server ARM id: ${news.serverId}` });
        }
        return checkAnswer(news, failures);
    },
    async diff(_id: string, olds: any, news: any) {
        return diffServerRestart(olds, news);
    },
    async create(inputs: any) {
        const restartedAt = await restartServer(inputs);
        return { id: `${inputs.serverId}/restart`, outs: { ...inputs, restartedAt } };
    },
    async update(_id: string, _olds: any, news: any) {
        const restartedAt = await restartServer(news);
        return { outs: { ...news, restartedAt } };
    },
    async delete() {
        // Nothing to undo: a restart leaves no object behind.
    },
};

export interface PostgresServerRestartArgs {
    serverId: pulumi.Input<string>;
    staticParameters: pulumi.Input<Record<string, pulumi.Input<string>>>;
    armEndpoint?: pulumi.Input<string>;
    timeoutSeconds?: pulumi.Input<number>;
    pollIntervalSeconds?: pulumi.Input<number>;
}

/** Restarts the server once after creation and again whenever a static parameter changes. */
export class PostgresServerRestart extends pulumi.dynamic.Resource {
    declare public readonly restartedAt: pulumi.Output<string>;
    constructor(name: string, args: PostgresServerRestartArgs, opts?: pulumi.CustomResourceOptions) {
        super(serverRestartProvider, name, { ...args, restartedAt: undefined }, opts, "pg-adx-cdc", "PostgresServerRestart");
    }
}
