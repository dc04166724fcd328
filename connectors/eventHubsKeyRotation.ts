// EventHubsKeyRotation: rotates an Event Hubs authorization rule's SAS key with no moment when a
// Connect worker holds a key that no longer works. A rule has two keys. "activate" (before the
// workers): a new trigger value regenerates the key the workers do not use, a fresh one nobody has
// seen, and makes it theirs; the workers are then replaced one after the other with it while the old
// key still works. "retire" (after the workers): the same trigger regenerates the key they no longer
// use, so the old one stops working. Creating either changes nothing: a new stack's keys are fresh.
// Authentication at call time through the Azure credential chain, as the server restart does.
import * as pulumi from "@pulumi/pulumi";
import { getAzureAccessToken } from "../runtime/azureAccessToken";
import { CheckFailure, checkAnswer, logProgress } from "../runtime/providerKit";

export type EventHubsKeyType = "PrimaryKey" | "SecondaryKey";

export interface EventHubsKeyRotationInputs {
    /** ARM id of the namespace's authorization rule. */
    ruleId: string;
    /** Any new value rotates (pg-adx-cdc:kafka.eventHubs.keyRotation). */
    trigger: string;
    mode: "activate" | "retire";
    /** retire: the key to regenerate. */
    retireKey?: EventHubsKeyType;
    /** ARM endpoint; the public cloud's by default. */
    armEndpoint?: string;
}

/** The Microsoft.EventHub API version of the regenerateKeys call (the one listNamespaceKeys uses in the SDK). */
export const EVENT_HUBS_API_VERSION = "2024-01-01";

/** The rule's other key. */
export function otherKey(key: EventHubsKeyType): EventHubsKeyType {
    return key === "PrimaryKey" ? "SecondaryKey" : "PrimaryKey";
}

export function validateKeyRotationInputs(news: EventHubsKeyRotationInputs): CheckFailure[] {
    const failures: CheckFailure[] = [];
    if (
        typeof news.ruleId === "string" &&
        !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.EventHub\/namespaces\/[^/]+\/authorizationRules\/[^/]+$/i.test(news.ruleId)
    )
        failures.push({ property: "ruleId", reason: `not an Event Hubs namespace authorization rule ARM id: ${news.ruleId}` });
    if (typeof news.trigger !== "string" || news.trigger.length === 0) failures.push({ property: "trigger", reason: "a non-empty value (pg-adx-cdc:kafka.eventHubs.keyRotation)" });
    if (news.mode !== "activate" && news.mode !== "retire") failures.push({ property: "mode", reason: 'either "activate" or "retire"' });
    if (news.mode === "retire" && news.retireKey !== undefined && news.retireKey !== "PrimaryKey" && news.retireKey !== "SecondaryKey")
        failures.push({ property: "retireKey", reason: 'either "PrimaryKey" or "SecondaryKey"' });
    return failures;
}

async function regenerateKey(inputs: EventHubsKeyRotationInputs, keyType: EventHubsKeyType): Promise<void> {
    const axios = require("axios");
    const endpoint = (inputs.armEndpoint ?? "https://management.azure.com").replace(/\/$/, "");
    const token = await getAzureAccessToken(endpoint, "AZURE_ARM_ACCESS_TOKEN", `to regenerate a key of ${inputs.ruleId}`);
    logProgress(
        `regenerating the ${keyType} of ${inputs.ruleId.split("/").slice(-3).join("/")} (${inputs.mode === "activate" ? "the workers' new key" : "the key they no longer use"})`,
    );
    const answer = await axios.post(
        `${endpoint}${inputs.ruleId}/regenerateKeys?api-version=${EVENT_HUBS_API_VERSION}`,
        { keyType },
        { headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true },
    );
    if (answer.status !== 200)
        throw new Error(`regenerating the ${keyType} of ${inputs.ruleId} failed: HTTP ${answer.status}: ${JSON.stringify(answer.data?.error ?? answer.data)}`);
}

export const eventHubsKeyRotationProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any) {
        return checkAnswer(news, validateKeyRotationInputs(news));
    },
    async diff(_id: string, olds: any, news: any) {
        const replaces = olds.ruleId !== news.ruleId || olds.mode !== news.mode ? ["ruleId"] : [];
        return { changes: replaces.length > 0 || olds.trigger !== news.trigger || olds.retireKey !== news.retireKey, replaces, deleteBeforeReplace: false };
    },
    async create(inputs: any) {
        // The keys of a new (or newly adopted) rule stay as they are: the workers start with the primary one.
        return { id: `${inputs.ruleId}/${inputs.mode}`, outs: { ...inputs, ...(inputs.mode === "activate" ? { activeKey: "PrimaryKey" } : {}) } };
    },
    async update(_id: string, olds: any, news: any) {
        if (olds.trigger === news.trigger) return { outs: { ...news, ...(news.mode === "activate" ? { activeKey: olds.activeKey ?? "PrimaryKey" } : {}) } };
        if (news.mode === "activate") {
            const next = otherKey(olds.activeKey ?? "PrimaryKey");
            await regenerateKey(news, next);
            return { outs: { ...news, activeKey: next } };
        }
        await regenerateKey(news, news.retireKey ?? "PrimaryKey");
        return { outs: news };
    },
};

export interface EventHubsKeyRotationArgs {
    ruleId: pulumi.Input<string>;
    trigger: pulumi.Input<string>;
    mode: "activate" | "retire";
    retireKey?: pulumi.Input<EventHubsKeyType>;
    armEndpoint?: pulumi.Input<string>;
}

/** One rotation step of an authorization rule's keys (see the header). */
export class EventHubsKeyRotation extends pulumi.dynamic.Resource {
    /** activate: the key the workers use after this update. */
    declare public readonly activeKey: pulumi.Output<EventHubsKeyType>;

    constructor(name: string, args: EventHubsKeyRotationArgs, opts?: pulumi.CustomResourceOptions) {
        super(eventHubsKeyRotationProvider, name, { ...args, activeKey: undefined }, opts, "pg-adx-cdc", "EventHubsKeyRotation");
    }
}
