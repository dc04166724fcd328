// PostgresServerRestart rebuilt from its serialized text, against the ARM restart test double.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks, loadSerializedProvider, settle } from "../support/pulumiMocks";
import { PostgresServerRestart } from "../../postgres/serverRestart";
import { startArmTestDouble, ArmTestDouble } from "../doubles/armTestDouble";

const SERVER = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-dev";
let arm: ArmTestDouble;
let provider: any;

before(async () => {
    const resources = installMocks({});
    new PostgresServerRestart("probe", { serverId: SERVER, staticParameters: { wal_level: "logical" } });
    await settle(300);
    provider = loadSerializedProvider(resources.find((r) => r.type === "pulumi-nodejs:dynamic/pg-adx-cdc:PostgresServerRestart")!.inputs.__provider);
    arm = await startArmTestDouble();
    process.env.AZURE_ARM_ACCESS_TOKEN = "test-double-token";
});
after(() => arm?.close());

describe("PostgresServerRestart provider", () => {
    const inputs = (wal = "logical") => ({
        serverId: SERVER,
        staticParameters: { wal_level: wal, max_worker_processes: "16" },
        armEndpoint: arm.url,
        pollIntervalSeconds: 0.05,
        timeoutSeconds: 30,
    });

    it("restarts once on create and waits for the operation to succeed, retrying while the server is busy", async () => {
        arm.busyFor = 1;
        const result = await provider.create(inputs());
        assert.deepEqual(arm.restarts, [`${SERVER}/restart`]);
        assert.match(result.outs.restartedAt, /^\d{4}-/);
    });

    it("restarts again only when a static parameter changes", async () => {
        assert.equal((await provider.diff("id", inputs(), inputs())).changes, false);
        const changed = await provider.diff("id", inputs(), inputs("replica"));
        assert.deepEqual(changed, { changes: true, replaces: [], deleteBeforeReplace: false });
        await provider.update("id", inputs(), inputs("replica"));
        assert.equal(arm.restarts.length, 2);
    });

    it("check rejects an id that is not a flexible server", async () => {
        const result = await provider.check({}, { ...inputs(), serverId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/x" });
        assert.match(result.failures[0].reason, /not a flexible server ARM id/);
    });
});
