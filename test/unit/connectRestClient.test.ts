// The Connect REST client's answers to a busy worker: a rebalance's 409 is retried, "already exists" is
// an answer, and a POST whose first attempt created the connector (its answer lost to a timeout) ends
// as created when the connector holds exactly the config sent, and as "adopt it" otherwise.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as http from "http";
import { AddressInfo } from "net";
import { createConnector, isTransientConnectFailure, SOURCE_TASK_NOT_STARTED_HINT, waitForConnectorRunning } from "../../connectors/connectRestClient";

const POLICY = { deadlineMs: 5000, initialDelayMs: 10, maxDelayMs: 50 };

describe("Connect REST client: 409s", () => {
    it("retries a rebalance's 409; an existing connector's 409 is an answer", () => {
        assert.equal(
            isTransientConnectFailure({ status: 409, message: "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)" }),
            true,
        );
        assert.equal(isTransientConnectFailure({ status: 409, message: "Connector cdc-source already exists" }), false);
        assert.equal(isTransientConnectFailure({ status: 500, message: "Request cannot be completed because a rebalance is expected" }), true);
        assert.equal(isTransientConnectFailure({ status: 400, message: "bad config" }), false);
    });

    // A worker whose POST creates the connector but answers 409 "already exists", as the retry of a POST
    // whose first answer timed out sees it.
    let server: http.Server;
    let url: string;
    let stored: Record<string, string> | undefined;
    let storedOnPost: (config: Record<string, string>) => Record<string, string>;
    before(async () => {
        server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                const json = (status: number, data: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(data));
                if (req.url === "/health") return json(200, { status: "healthy" });
                if (req.method === "GET" && req.url === "/connectors/cdc-source/config")
                    return stored ? json(200, stored) : json(404, { error_code: 404, message: "Connector cdc-source not found" });
                if (req.method === "POST" && req.url === "/connectors") {
                    stored = storedOnPost(JSON.parse(body).config);
                    return json(409, { error_code: 409, message: "Connector cdc-source already exists" });
                }
                return json(404, { error_code: 404, message: "no such path" });
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("a POST that created the connector before its answer was lost: created, when the connector holds exactly this config", async () => {
        stored = undefined;
        storedOnPost = (config) => ({ ...config, name: "cdc-source" });
        const config = { "connector.class": "io.debezium.connector.postgresql.PostgresConnector", name: "cdc-source", "tasks.max": "1" };
        assert.equal(await createConnector(url, "cdc-source", config, POLICY), "created");
    });

    it("a connector of that name with another config: refused with how to adopt it, not taken for ours", async () => {
        stored = undefined;
        storedOnPost = (config) => ({ ...config, name: "cdc-source", "tasks.max": "4" });
        await assert.rejects(
            createConnector(url, "cdc-source", { name: "cdc-source", "tasks.max": "1" }, POLICY),
            /connector "cdc-source" already exists on http:\/\/127\.0\.0\.1:\d+ but is not in this stack's state\. To adopt it: /,
        );
    });
});

describe("Connect REST client: waiting for a connector to run", () => {
    // A worker whose source connector runs with no task, as while Debezium's task waits to create its slot.
    let server: http.Server;
    let url: string;
    let type = "source";
    before(async () => {
        server = http.createServer((req, res) =>
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name: "cdc-source", connector: { state: "RUNNING" }, tasks: [], type })),
        );
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("a source connector whose task never started: the deadline says why (its replication slot waits for open transactions) and where status names them", async () => {
        type = "source";
        await assert.rejects(waitForConnectorRunning(url, "cdc-source", { deadlineMs: 1200, initialDelayMs: 10, maxDelayMs: 50 }), (error: Error) => {
            assert.match(error.message, /connector "cdc-source" not RUNNING after 1 s/);
            assert.ok(error.message.endsWith(SOURCE_TASK_NOT_STARTED_HINT), error.message);
            assert.match(SOURCE_TASK_NOT_STARTED_HINT, /SLOT CREATION WAITING/);
            return true;
        });
        type = "sink";
        await assert.rejects(waitForConnectorRunning(url, "cdc-source", { deadlineMs: 1200, initialDelayMs: 10, maxDelayMs: 50 }), (error: Error) => {
            assert.ok(!error.message.includes("replication slot"), "a sink's wait says nothing of slots");
            return true;
        });
    });
});
