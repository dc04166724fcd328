// The bad-input catalogue (README): each row's input, where it is caught, and the exact message.
// Rows that need a live server (a missing captured table, a generator without its table) are in
// test/e2e/pipeline.test.ts; Connect's and ADX's own rejections are in test/providers.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { installMocks } from "../support/pulumiMocks";
import { requirePostgresAdminPassword } from "../../config/stackConfigSource";
import { connectRequest } from "../../connectors/connectRestClient";
import { freePort } from "../../local/processes";
import { diffKqlSchema } from "../../kql/kqlSchema";
import { diffSourceBootstrap } from "../../postgres/sourceBootstrap";
import { diffServerRestart } from "../../postgres/serverRestart";
import { diffConnector } from "../../connectors/kafkaConnector";
import { ordersModelScripts } from "../support/catalogFixtures";

describe("bad input is caught with a message that names the setting and the fix", () => {
    it("a missing admin password secret stops the program before anything is created", () => {
        installMocks({});
        assert.throws(
            () => requirePostgresAdminPassword(),
            /pg-adx-cdc:postgresAdminPassword is required and must be a secret: pulumi config set --secret pg-adx-cdc:postgresAdminPassword/,
        );
    });

    it("Connect unreachable fails after the deadline and says what to check", async () => {
        const port = await freePort();
        const started = Date.now();
        await assert.rejects(
            connectRequest(`http://127.0.0.1:${port}`, "GET", "/connectors", undefined, { deadlineMs: 1500, initialDelayMs: 100, maxDelayMs: 400 }),
            /Kafka Connect GET http:\/\/127\.0\.0\.1:\d+\/connectors still failing after \d+ s \(ECONNREFUSED\); is the worker up and reachable from where pulumi runs\?/,
        );
        assert.ok(Date.now() - started < 3000, "the deadline bounds the retries");
    });
});

describe("re-running pulumi up with no change changes nothing", () => {
    it("every provider's diff of identical inputs reports no changes", () => {
        const kql = { clusterUri: "https://c.kusto.windows.net", database: "cdc", scripts: ordersModelScripts(), retainData: false };
        assert.equal(diffKqlSchema(kql, structuredClone(kql)).changes, false);
        const bootstrap: any = {
            connection: { host: "h", port: 5432, database: "d", user: "u", sslMode: "require" },
            bootstrap: { tables: ["retail.orders_info"], publicationName: "p", heartbeatTable: "a.b", signalTable: "a.s", replicationUser: "r", replicationPasswordVerifier: "v" },
            slotName: "s",
        };
        assert.equal(diffSourceBootstrap(bootstrap, structuredClone(bootstrap)).changes, false);
        const restart = { serverId: "/x", staticParameters: { wal_level: "logical", max_wal_senders: "10" } };
        assert.equal(diffServerRestart(restart, { serverId: "/x", staticParameters: { max_wal_senders: "10", wal_level: "logical" } }).changes, false);
        const connector = { connectUrl: "http://c:8083", connectorName: "n", config: { "connector.class": "x", a: "1" } };
        assert.equal(diffConnector(connector, structuredClone(connector)).changes, false);
    });
});
