// TopicPartitionsGuard: refuses, at preview, a change of a data topic's partition count on a stack
// that already runs. The current state orders one key's changes by Kafka offset within the key's
// partition; with another partition count the producer's hash sends a key's new changes to another
// partition, whose offsets are not comparable with the old ones, and an event hub that is re-created
// for it starts again at offset 0. Either way old changes would win in ADX, silently. The guard holds
// no external state: its provider's check compares the old inputs (the state) with the new.
import * as pulumi from "@pulumi/pulumi";
import { checkedBy } from "../runtime/providerKit";

export interface TopicPartitionsInputs {
    /** Each captured table's topic and its partition count. */
    topics: { name: string; partitions: number }[];
}

/** Pure: the refusals for a change from `olds` to `news` (none on create, or when only topics are added or removed). */
export function checkTopicPartitions(olds: Partial<TopicPartitionsInputs> | undefined, news: TopicPartitionsInputs): { property: string; reason: string }[] {
    const before = new Map((olds?.topics ?? []).map((t) => [t.name, t.partitions]));
    return news.topics
        .filter((t) => before.has(t.name) && before.get(t.name) !== t.partitions)
        .map((t) => ({
            property: "topics",
            reason:
                `topic ${t.name} has ${before.get(t.name)} partitions and the config now asks for ${t.partitions}: a key's changes would move to another partition ` +
                `(or the event hub would start again at offset 0), and ADX's current state, which orders a key's changes by offset, would keep old changes. ` +
                `Keep pg-adx-cdc:kafka.eventHubs.partitions at ${before.get(t.name)}; to change it, capture into a new stack (or a new capture.topicPrefix) and re-read the tables there`,
        }));
}

export const topicPartitionsGuardProvider: pulumi.dynamic.ResourceProvider = {
    check: checkedBy((news: any, olds: any) => checkTopicPartitions(olds, news)),
    async diff(_id: string, olds: any, news: any) {
        return { changes: JSON.stringify(olds.topics) !== JSON.stringify(news.topics) };
    },
    async create(inputs: any) {
        return { id: "topic-partitions", outs: inputs };
    },
    async update(_id: string, _olds: any, news: any) {
        return { outs: news };
    },
};

/** Holds the data topics' partition counts in the stack's state, so that a change to them is refused before anything changes. */
export class TopicPartitionsGuard extends pulumi.dynamic.Resource {
    constructor(name: string, args: { topics: pulumi.Input<{ name: string; partitions: number }[]> }, opts?: pulumi.CustomResourceOptions) {
        super(topicPartitionsGuardProvider, name, args, opts, "pg-adx-cdc", "TopicPartitionsGuard");
    }
}
