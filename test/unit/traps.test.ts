// Traps a real deployment would hit, each pinned: a reordered firewall list must not replace rules,
// and the provider's wait time is not part of a connector.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { buildFirewallRules } from "../../components/azurePostgresServer";
import { diffConnector } from "../../connectors/kafkaConnector";

it("firewall rules are named by their range: reordering or removing an entry leaves the other rules alone", () => {
    const before = buildFirewallRules(["203.0.113.10/32", "198.51.100.0/24"]);
    const reordered = buildFirewallRules(["198.51.100.0/24", "203.0.113.10/32"]);
    const removed = buildFirewallRules(["198.51.100.0/24"]);
    const byName = (rules: typeof before) => new Map(rules.map((r) => [r.name, `${r.start}-${r.end}`]));
    assert.deepEqual(byName(reordered), byName(before));
    assert.equal(byName(removed).get("allow-198-51-100-0-24"), byName(before).get("allow-198-51-100-0-24"));
    assert.deepEqual([...byName(before).keys()], ["allow-203-0-113-10-32", "allow-198-51-100-0-24"]);
    assert.deepEqual(buildFirewallRules(["203.0.113.10", "203.0.113.10/32"]).length, 1, "the same range twice is one rule");
});

it("a changed timeoutSeconds alone is no change of the connector", () => {
    const inputs = { connectUrl: "http://127.0.0.1:8083", connectorName: "c", config: { "connector.class": "x" }, timeoutSeconds: 120 };
    assert.equal(diffConnector(inputs, { ...inputs, timeoutSeconds: 600 }).changes, false);
    assert.equal(diffConnector(inputs, { ...inputs, config: { "connector.class": "y" } }).changes, true);
});

it("a preview in CI (a pull request's runner) plans no change of the deployer's firewall rule; a real up or a local preview uses the looked-up address", async () => {
    const { deployerRuleOptions } = await import("../../components/deployerIp");
    assert.deepEqual(deployerRuleOptions({ CI: "true" }, true), { ignoreChanges: ["startIpAddress", "endIpAddress"] });
    assert.deepEqual(deployerRuleOptions({ CI: "true" }, false), {});
    assert.deepEqual(deployerRuleOptions({}, true), {});
});
