// Azure Event Hubs as the pipeline's Kafka (pg-adx-cdc:kafka.mode eventhubs): a namespace, one event
// hub per topic from the one topic list (connectors/kafkaTopics.ts: captured tables, the heartbeat
// table, the dead letters, and Connect's three internal topics, compacted), network rules that admit
// the Connect host's (and operators') addresses only, and who may use it:
// - Entra ID (the workers have a managed identity): local (SAS) authentication off, so no key exists;
//   the workers' identity gets Data Sender + Data Receiver, the operators (the deployer and any listed)
//   Data Receiver, on this namespace only.
// - SAS (a host outside Azure): a Listen+Send rule whose connection string is the workers' SASL PLAIN
//   password, and a Listen-only rule for the operators, both rotated by `keyRotation`.
// Event Hubs does not let the Kafka admin API create topics, so every topic exists before a Connect worker starts.
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as eventhub from "@pulumi/azure-native/eventhub";
import { KafkaTopicSpec } from "../connectors/kafkaTopics";
import { EventHubsKeyRotation, otherKey } from "../connectors/eventHubsKeyRotation";

export interface EventHubsKafkaArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** Globally unique namespace name (its host is `<name>.servicebus.windows.net`). */
    namespaceName: pulumi.Input<string>;
    /** Standard or Premium (Basic has no Kafka endpoint; config validation refuses it). */
    tier: pulumi.Input<"Standard" | "Premium">;
    /** Throughput units (Standard) or processing units (Premium). */
    capacity: pulumi.Input<number>;
    zoneRedundant: pulumi.Input<boolean>;
    /** The event hubs to create; plain values, because each is a resource. */
    topics: KafkaTopicSpec[];
    /** The only addresses (IPv4 CIDRs) the namespace admits: the Connect host and the operators' hosts. */
    allowedClientCidrs: string[];
    /** How clients authenticate (see the file's head). */
    authentication: EventHubsClientAuthentication;
}

export type EventHubsClientAuthentication =
    | {
          kind: "entra";
          /** The workers' managed identity's object (principal) id. */
          workersPrincipalId: pulumi.Input<string>;
          /** Who may read the topics and the sink's offsets (status, reconcile): object ids, with their kind where known. */
          operators: { principalId: pulumi.Input<string>; principalType?: "User" | "ServicePrincipal" | "Group" }[];
      }
    /** A new `keyRotation` value rotates the SAS keys (connectors/eventHubsKeyRotation.ts). */
    | { kind: "sharedAccessKey"; keyRotation: pulumi.Input<string> };

/** Azure's built-in data-plane roles for Event Hubs (role definition ids are the same in every subscription). */
export const EVENT_HUBS_DATA_ROLES = {
    sender: { name: "Azure Event Hubs Data Sender", id: "2b629674-e913-4c01-ae53-ef4638d8f975" },
    receiver: { name: "Azure Event Hubs Data Receiver", id: "a638d3c7-ab3a-418d-83e6-5f17a39d4fde" },
} as const;

/** Hours a compacted event hub keeps a delete marker (tombstone) for consumers reading from the start. */
const TOMBSTONE_RETENTION_HOURS = 24;
/** Event Hubs' Kafka endpoint listens on 9093 (SASL_SSL only). */
const KAFKA_PORT = 9093;

export class EventHubsKafka extends pulumi.ComponentResource {
    public readonly namespace: eventhub.Namespace;
    public readonly eventHubs: eventhub.EventHub[];
    /** SAS only. */
    public readonly clientRule?: eventhub.NamespaceAuthorizationRule;
    /** SAS only. Listen only: what operators' commands (status) need to read the topics and the sink's offsets. */
    public readonly operatorRule?: eventhub.NamespaceAuthorizationRule;
    /** Entra only: the workers' and the operators' data-plane roles on the namespace. */
    public readonly roleAssignments: authorization.RoleAssignment[] = [];
    public readonly networkRules: eventhub.NamespaceNetworkRuleSet;
    /** `<namespace>.servicebus.windows.net:9093`. */
    public readonly bootstrapServers: pulumi.Output<string>;
    /** SAS only. The Listen+Send rule's connection string (a secret): the workers' SASL PLAIN password. */
    public readonly connectionString?: pulumi.Output<string>;
    /** SAS only. The Listen-only rule's connection string (a secret): the operators' (status cannot write a record with it). */
    public readonly operatorConnectionString?: pulumi.Output<string>;
    /** SAS only. Which of the workers' rule's two keys they use; a rotation switches it. */
    public readonly workersKey?: EventHubsKeyRotation;
    private readonly keyRotation?: pulumi.Input<string>;
    private readonly baseName: string;

    constructor(name: string, args: EventHubsKafkaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:EventHubsKafka", name, {}, opts);
        this.baseName = name;
        this.namespace = new eventhub.Namespace(
            `${name}-namespace`,
            {
                namespaceName: args.namespaceName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: args.tier, tier: args.tier, capacity: args.capacity },
                zoneRedundant: args.zoneRedundant,
                kafkaEnabled: true,
                minimumTlsVersion: "1.2",
                // With Entra ID no SAS key is accepted, not even one created outside the stack.
                disableLocalAuth: args.authentication.kind === "entra",
            },
            { parent: this },
        );
        this.eventHubs = args.topics.map(
            (topic) =>
                new eventhub.EventHub(
                    `${name}-hub-${topic.name}`,
                    {
                        eventHubName: topic.name,
                        namespaceName: this.namespace.name,
                        resourceGroupName: args.resourceGroupName,
                        partitionCount: topic.partitions,
                        retentionDescription:
                            topic.cleanupPolicy === "compact"
                                ? { cleanupPolicy: "Compact", tombstoneRetentionTimeInHours: TOMBSTONE_RETENTION_HOURS }
                                : { cleanupPolicy: "Delete", retentionTimeInHours: topic.retentionHours },
                        userMetadata: topic.purpose,
                    },
                    // A component's dependsOn does not reach its children: the guard must be checked before any hub changes.
                    { parent: this, dependsOn: opts?.dependsOn },
                ),
        );
        // The namespace admits the listed addresses only; every other source is refused before it can try a key.
        this.networkRules = new eventhub.NamespaceNetworkRuleSet(
            `${name}-network-rules`,
            {
                namespaceName: this.namespace.name,
                resourceGroupName: args.resourceGroupName,
                defaultAction: "Deny",
                publicNetworkAccess: "Enabled",
                trustedServiceAccessEnabled: false,
                ipRules: args.allowedClientCidrs.map((ipMask) => ({ ipMask, action: "Allow" })),
            },
            { parent: this },
        );
        this.bootstrapServers = pulumi.interpolate`${this.namespace.name}.servicebus.windows.net:${KAFKA_PORT}`;
        const auth = args.authentication;
        if (auth.kind === "entra") {
            const subscriptionId = authorization.getClientConfigOutput({ parent: this }).subscriptionId;
            const grant = (suffix: string, role: keyof typeof EVENT_HUBS_DATA_ROLES, principalId: pulumi.Input<string>, principalType?: "User" | "ServicePrincipal" | "Group") =>
                new authorization.RoleAssignment(
                    `${name}-${suffix}`,
                    {
                        scope: this.namespace.id,
                        principalId,
                        principalType,
                        roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${EVENT_HUBS_DATA_ROLES[role].id}`,
                        description: `pg-adx-cdc: ${EVENT_HUBS_DATA_ROLES[role].name} on this namespace`,
                    },
                    { parent: this },
                );
            // Producing, consuming and Connect's group membership; no Manage right (the stack creates every event hub).
            this.roleAssignments.push(grant("workers-sender", "sender", auth.workersPrincipalId, "ServicePrincipal"));
            this.roleAssignments.push(grant("workers-receiver", "receiver", auth.workersPrincipalId, "ServicePrincipal"));
            auth.operators.forEach((operator, i) => this.roleAssignments.push(grant(`operator-${i + 1}-receiver`, "receiver", operator.principalId, operator.principalType)));
        } else {
            // Listen + Send only: producing and consuming (and Connect's group membership) need no Manage right.
            this.clientRule = new eventhub.NamespaceAuthorizationRule(
                `${name}-kafka-clients`,
                { authorizationRuleName: "kafka-clients", namespaceName: this.namespace.name, resourceGroupName: args.resourceGroupName, rights: ["Listen", "Send"] },
                { parent: this },
            );
            // Listen only, for the operators: reading topics and group offsets needs nothing more.
            this.operatorRule = new eventhub.NamespaceAuthorizationRule(
                `${name}-operators`,
                { authorizationRuleName: "operators", namespaceName: this.namespace.name, resourceGroupName: args.resourceGroupName, rights: ["Listen"] },
                { parent: this },
            );
            // Key rotation: the workers' key switches to the rule's other, freshly regenerated key; the operators' is renewed.
            this.workersKey = new EventHubsKeyRotation(`${name}-kafka-clients-key`, { ruleId: this.clientRule.id, trigger: auth.keyRotation, mode: "activate" }, { parent: this });
            const operatorsKey = new EventHubsKeyRotation(
                `${name}-operators-key`,
                { ruleId: this.operatorRule.id, trigger: auth.keyRotation, mode: "retire", retireKey: "PrimaryKey" },
                { parent: this },
            );
            this.keyRotation = auth.keyRotation;
            // Listed after the rotation step, so that a rotation's `pulumi up` reads the regenerated key.
            const workerKeys = eventhub.listNamespaceKeysOutput(
                {
                    resourceGroupName: args.resourceGroupName,
                    namespaceName: this.namespace.name,
                    authorizationRuleName: pulumi.all([this.clientRule.name, this.workersKey.activeKey]).apply(([rule]) => rule),
                },
                { parent: this },
            );
            this.connectionString = pulumi.secret(
                pulumi
                    .all([workerKeys, this.workersKey.activeKey])
                    .apply(([keys, active]) => (active === "SecondaryKey" ? keys.secondaryConnectionString : keys.primaryConnectionString) as string),
            );
            this.operatorConnectionString = pulumi.secret(
                eventhub.listNamespaceKeysOutput(
                    {
                        resourceGroupName: args.resourceGroupName,
                        namespaceName: this.namespace.name,
                        authorizationRuleName: pulumi.all([this.operatorRule.name, operatorsKey.id]).apply(([rule]) => rule),
                    },
                    { parent: this },
                ).primaryConnectionString,
            );
        }
        this.registerOutputs({ bootstrapServers: this.bootstrapServers, namespaceName: this.namespace.name });
    }

    /**
     * After a rotation has moved every worker to the new key: regenerates the key they used before, so that it
     * stops working. `workers` are the Connect workers' containers, which this waits for.
     */
    retirePreviousWorkersKey(workers: pulumi.Resource[]): EventHubsKeyRotation | undefined {
        if (!this.clientRule || !this.workersKey) return undefined; // Entra ID: no key
        return new EventHubsKeyRotation(
            `${this.baseName}-kafka-clients-retired-key`,
            { ruleId: this.clientRule.id, trigger: this.keyRotation!, mode: "retire", retireKey: this.workersKey.activeKey.apply(otherKey) },
            { parent: this, dependsOn: [this.workersKey, ...workers] },
        );
    }
}
