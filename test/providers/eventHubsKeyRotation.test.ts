// EventHubsKeyRotation rebuilt from its serialized text, against the ARM test double: a rotation moves
// the workers to the rule's other key, regenerated first, and retires the one they left.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks, loadSerializedProvider, settle } from "../support/pulumiMocks";
import { EventHubsKeyRotation } from "../../connectors/eventHubsKeyRotation";
import { ArmTestDouble, startArmTestDouble } from "../doubles/armTestDouble";

const RULE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns-dev/authorizationRules/kafka-clients";
let arm: ArmTestDouble;
let provider: any;

before(async () => {
    const resources = installMocks({});
    new EventHubsKeyRotation("probe", { ruleId: RULE, trigger: "initial", mode: "activate" });
    await settle(300);
    provider = loadSerializedProvider(resources.find((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:EventHubsKeyRotation")!.inputs.__provider);
    arm = await startArmTestDouble();
    process.env.AZURE_ARM_ACCESS_TOKEN = "test-double-token";
});
after(() => arm?.close());

describe("EventHubsKeyRotation provider", () => {
    const activate = (trigger: string) => ({ ruleId: RULE, trigger, mode: "activate", armEndpoint: arm.url });
    const retire = (trigger: string, retireKey: string) => ({ ruleId: RULE, trigger, mode: "retire", retireKey, armEndpoint: arm.url });

    it("creating changes no key: the workers start on the primary one", async () => {
        const created = await provider.create(activate("initial"));
        assert.equal(created.outs.activeKey, "PrimaryKey");
        await provider.create(retire("initial", "SecondaryKey"));
        assert.deepEqual(arm.regenerated, []);
    });

    it("a new trigger regenerates the other key and moves the workers to it; the next moves them back, again to a fresh key", async () => {
        assert.deepEqual(await provider.diff("id", activate("initial"), activate("2027-01")), { changes: true, replaces: [], deleteBeforeReplace: false });
        const first = await provider.update("id", { ...activate("initial"), activeKey: "PrimaryKey" }, activate("2027-01"));
        assert.equal(first.outs.activeKey, "SecondaryKey");
        const second = await provider.update("id", { ...activate("2027-01"), activeKey: "SecondaryKey" }, activate("2027-07"));
        assert.equal(second.outs.activeKey, "PrimaryKey");
        assert.deepEqual(arm.regenerated, [
            { ruleId: RULE, keyType: "SecondaryKey" },
            { ruleId: RULE, keyType: "PrimaryKey" },
        ]);
    });

    it("retiring regenerates the key the workers left, and an unchanged trigger touches nothing", async () => {
        arm.regenerated.length = 0;
        await provider.update("id", retire("2027-07", "SecondaryKey"), retire("2027-07", "SecondaryKey"));
        const kept = await provider.update("id", { ...activate("2027-07"), activeKey: "PrimaryKey" }, activate("2027-07"));
        assert.equal(kept.outs.activeKey, "PrimaryKey");
        assert.deepEqual(arm.regenerated, []);
        await provider.update("id", retire("2027-01", "PrimaryKey"), retire("2027-07", "SecondaryKey"));
        assert.deepEqual(arm.regenerated, [{ ruleId: RULE, keyType: "SecondaryKey" }]);
    });

    it("check names a rule id that is not one and an empty trigger", async () => {
        const result = await provider.check({}, { ...activate(""), ruleId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ns" });
        assert.deepEqual(
            result.failures.map((f: any) => f.property),
            ["ruleId", "trigger"],
        );
    });

    it("a refused regeneration fails the update with ARM's answer", async () => {
        await assert.rejects(
            provider.update("id", { ...activate("a"), activeKey: "PrimaryKey" }, { ...activate("b"), ruleId: RULE.replace("Microsoft.EventHub", "Microsoft.Nowhere") }),
            /regenerating the SecondaryKey of .* failed: HTTP 404/,
        );
    });
});
