// A data topic's partition count is fixed for a stack's life: the guard's check refuses a change
// (the current state orders a key's changes by offset within its partition), and allows the rest.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { checkTopicPartitions, TopicPartitionsGuard, topicPartitionsGuardProvider } from "../../connectors/topicPartitionsGuard";
import { installMocks, loadSerializedProvider, settle } from "../support/pulumiMocks";

const topics = (partitions: number, extra: { name: string; partitions: number }[] = []) => ({ topics: [{ name: "cdc.retail.orders_info", partitions }, ...extra] });

describe("topic partitions guard", () => {
    it("allows the first deployment, an unchanged count, and tables added or removed", () => {
        assert.deepEqual(checkTopicPartitions(undefined, topics(4)), []);
        assert.deepEqual(checkTopicPartitions({}, topics(4)), []);
        assert.deepEqual(checkTopicPartitions(topics(4), topics(4, [{ name: "cdc.sales.orders", partitions: 8 }])), []);
        assert.deepEqual(checkTopicPartitions(topics(4, [{ name: "cdc.sales.orders", partitions: 8 }]), topics(4)), []);
    });

    it("refuses a changed count before anything changes, naming the topic, both counts, why, and the way to do it", async () => {
        const [failure] = checkTopicPartitions(topics(4), topics(8));
        assert.equal(failure.property, "topics");
        assert.match(
            failure.reason,
            /^topic cdc\.retail\.orders_info has 4 partitions and the config now asks for 8: .* would keep old changes\. Keep pg-adx-cdc:kafka\.eventHubs\.partitions at 4; to change it, capture into a new stack/,
        );
        const checked: any = await topicPartitionsGuardProvider.check!(topics(4), topics(2));
        assert.equal(checked.failures.length, 1);
        assert.deepEqual(await topicPartitionsGuardProvider.check!(topics(4), topics(4)), { inputs: topics(4) });
    });

    it("refuses it from the provider's serialized text too, as the engine runs it", async () => {
        const resources = installMocks({});
        new TopicPartitionsGuard("probe-guard", topics(4));
        await settle(300);
        const provider = loadSerializedProvider(resources.find((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:TopicPartitionsGuard")!.inputs.__provider);
        const checked: any = await provider.check(topics(4), topics(16));
        assert.match(checked.failures[0].reason, /has 4 partitions and the config now asks for 16/);
    });
});
