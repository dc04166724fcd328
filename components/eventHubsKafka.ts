// Azure Event Hubs as the pipeline's Kafka (pg-adx-cdc:kafka.mode eventhubs): a namespace, one event
// hub per topic from the one topic list (connectors/kafkaTopics.ts: captured tables, the heartbeat
// table, the dead letters, and Connect's three internal topics, compacted), a Listen+Send rule whose
// connection string is the workers' SASL PLAIN password, a Listen-only rule for the operators, and
// network rules that admit the Connect host's (and operators') addresses only. Event Hubs does not let
// the Kafka admin API create topics, so every topic exists before a Connect worker starts.
import * as pulumi from "@pulumi/pulumi";
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
    /** A new value rotates the SAS keys (connectors/eventHubsKeyRotation.ts). */
    keyRotation: pulumi.Input<string>;
}

/** Hours a compacted event hub keeps a delete marker (tombstone) for consumers reading from the start. */
const TOMBSTONE_RETENTION_HOURS = 24;
/** Event Hubs' Kafka endpoint listens on 9093 (SASL_SSL only). */
const KAFKA_PORT = 9093;

export class EventHubsKafka extends pulumi.ComponentResource {
    public readonly namespace: eventhub.Namespace;
    public readonly eventHubs: eventhub.EventHub[];
    public readonly clientRule: eventhub.NamespaceAuthorizationRule;
    /** Listen only: what operators' commands (status) need to read the topics and the sink's offsets. */
    public readonly operatorRule: eventhub.NamespaceAuthorizationRule;
    public readonly networkRules: eventhub.NamespaceNetworkRuleSet;
    /** `<namespace>.servicebus.windows.net:9093`. */
    public readonly bootstrapServers: pulumi.Output<string>;
    /** The Listen+Send rule's connection string (a secret): the workers' SASL PLAIN password. */
    public readonly connectionString: pulumi.Output<string>;
    /** The Listen-only rule's connection string (a secret): the operators' (status cannot write a record with it). */
    public readonly operatorConnectionString: pulumi.Output<string>;
    /** Which of the workers' rule's two keys they use; a rotation switches it. */
    public readonly workersKey: EventHubsKeyRotation;
    private readonly keyRotation: pulumi.Input<string>;
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
        // Key rotation: the workers' key switches to the rule's other, freshly regenerated key; the operators' is renewed.
        this.workersKey = new EventHubsKeyRotation(`${name}-kafka-clients-key`, { ruleId: this.clientRule.id, trigger: args.keyRotation, mode: "activate" }, { parent: this });
        const operatorsKey = new EventHubsKeyRotation(
            `${name}-operators-key`,
            { ruleId: this.operatorRule.id, trigger: args.keyRotation, mode: "retire", retireKey: "PrimaryKey" },
            { parent: this },
        );
        this.keyRotation = args.keyRotation;
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
        this.registerOutputs({ bootstrapServers: this.bootstrapServers, namespaceName: this.namespace.name });
    }

    /**
     * After a rotation has moved every worker to the new key: regenerates the key they used before, so that it
     * stops working. `workers` are the Connect workers' containers, which this waits for.
     */
    retirePreviousWorkersKey(workers: pulumi.Resource[]): EventHubsKeyRotation {
        return new EventHubsKeyRotation(
            `${this.baseName}-kafka-clients-retired-key`,
            { ruleId: this.clientRule.id, trigger: this.keyRotation, mode: "retire", retireKey: this.workersKey.activeKey.apply(otherKey) },
            { parent: this, dependsOn: [this.workersKey, ...workers] },
        );
    }
}
