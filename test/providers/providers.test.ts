// Dynamic providers rebuilt from their serialized `__provider` text (the engine's path), run
// against the real Kafka Connect worker of the e2e harness and the ADX REST test double.
import { textFormTypeNames } from "../../contract/typeTable";
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { serializedProviders } from "../support/serializedProviders";
import { bootstrapInputsFor } from "../support/bootstrapInputs";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { freePort } from "../../local/processes";
import { startAdxTestDouble, AdxTestDouble } from "../../local/doubles/adxRestTestDouble";
import { buildDebeziumSourceConfig } from "../../connectors/debeziumSource";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { buildScramSha256Verifier } from "../../postgres/scramVerifier";
import { sourceObjectNames } from "../../postgres/sourceSchema";
import { ORDERS_CATALOG, ordersModelScripts } from "../support/catalogFixtures";
import { adxModelScripts, changeMetadataColumns, changeOrderColumn, changeOrderExpression } from "../../kql/adxModel";
import { kqlLatestChanges, ReconcileTarget } from "../../kql/reconcileQueries";
import { sinkGrantScriptText } from "../../components/sinkIdentity";
import { buildDatabaseRoleGrantScript } from "../../components/adxDatabaseRole";
import { rowsOf, runKustoQuery } from "../../kql/kustoRestClient";
import { pollUntil } from "../../runtime/pollUntil";
import { CONNECT_REST_PASSWORD_ENV, connectAuthorizationHeaders } from "../../connectors/connectRestAuth";
import { REREAD_FIELD } from "../../contract/recordFields";
import { readWaitingFences } from "../../operations/pipelineHealth";

let providers: Awaited<ReturnType<typeof serializedProviders>>;
let pipeline: LocalPipeline;
let adx: AdxTestDouble;
let bootstrap: any;

before(async () => {
    providers = await serializedProviders();
    pipeline = await startLocalPipeline();
    // The providers authenticate with their own input, not with an operator's variable.
    delete process.env[CONNECT_REST_PASSWORD_ENV];
    adx = await startAdxTestDouble();
    bootstrap = bootstrapInputsFor("prov", pipeline.adminConnection, buildScramSha256Verifier(pipeline.replicationPassword, "cHJvdmlkZXItc2FsdA=="), {
        createDemoTables: true,
        timeoutSeconds: 60,
    });
    await sourceBootstrapProvider.create!(bootstrap);
    process.env.AZURE_KUSTO_ACCESS_TOKEN = "test-double-token";
});
after(async () => {
    if (bootstrap) await sourceBootstrapProvider.delete!("bootstrap", bootstrap).catch(() => undefined);
    await adx?.close();
    await pipeline?.stop();
});

function connectorInputs(name: string, prefix: string, overrides: Record<string, string> = {}) {
    const names = sourceObjectNames(prefix);
    return {
        connectUrl: pipeline.connectUrl,
        connectCredentials: pipeline.connectCredentials,
        connectorName: name,
        timeoutSeconds: 60,
        config: {
            ...buildDebeziumSourceConfig({
                connectorName: name,
                database: pipeline.debeziumDatabase,
                tables: ["retail.orders_info"],
                topicPrefix: prefix,
                slotName: names.slotName,
                publicationName: names.publicationName,
                heartbeatTable: names.heartbeatTable,
                signalTable: names.signalTable,
            }),
            ...overrides,
        },
    };
}

describe("KafkaConnector provider (serialized, against a real Connect worker)", () => {
    const inputs = () => connectorInputs("provider-test", "prov");

    it("check rejects removed Debezium 1.x settings and literal secrets, naming the replacement", async () => {
        const bad = connectorInputs("bad", "bad", { "database.server.name": "x", "table.whitelist": "a.b", "plugin.name": "wal2json", "database.password": "hunter2" });
        const result = await providers.kafkaConnector.check({}, bad);
        const reasons = result.failures.map((f: any) => `${f.property}: ${f.reason}`).join("\n");
        assert.match(reasons, /database\.server\.name.*topic\.prefix/);
        assert.match(reasons, /table\.whitelist.*table\.include\.list/);
        assert.match(reasons, /wal2json.*pgoutput/);
        assert.match(reasons, /database\.password: holds a literal secret/);
    });

    it("the REST API refuses requests without the stack's credentials; the provider names the fix and creates nothing", async () => {
        const none = await fetch(`${pipeline.connectUrl}/connectors`);
        assert.equal(none.status, 401, "no credentials");
        const wrong = await fetch(`${pipeline.connectUrl}/connectors`, { headers: connectAuthorizationHeaders({ username: "pg-adx-cdc", password: "not-the-password-0123" }) });
        assert.equal(wrong.status, 401, "a wrong password");
        const withoutCredentials = { ...connectorInputs("unauthenticated", "prov"), connectCredentials: undefined };
        await assert.rejects(providers.kafkaConnector.create(withoutCredentials), /requires authentication \(HTTP 401\): export CDC_CONNECT_REST_PASSWORD=/);
        const wrongCredentials = { ...connectorInputs("unauthenticated", "prov"), connectCredentials: { username: "pg-adx-cdc", password: "not-the-password-0123" } };
        await assert.rejects(providers.kafkaConnector.create(wrongCredentials), /refused the REST credentials \(HTTP 401\)/);
        assert.equal((await fetch(`${pipeline.connectUrl}/connectors/unauthenticated`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })).status, 404);
        // Rotated credentials are an update (the state keeps the ones later reads and deletes need); the same ones are no change.
        const a = inputs();
        assert.equal((await providers.kafkaConnector.diff("id", a, { ...a, connectCredentials: { username: "pg-adx-cdc", password: "rotated-password-0123" } })).changes, true);
        assert.equal((await providers.kafkaConnector.diff("id", a, inputs())).changes, false);
    });

    it("diff: config changes update in place, a new name replaces (deleted first)", async () => {
        const a = inputs();
        const changed = { ...a, config: { ...a.config, "heartbeat.interval.ms": "5000" } };
        assert.deepEqual(await providers.kafkaConnector.diff("id", a, changed), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await providers.kafkaConnector.diff("id", a, { ...a, connectorName: "other" }), { changes: true, replaces: ["connectorName"], deleteBeforeReplace: true });
        assert.equal((await providers.kafkaConnector.diff("id", a, inputs())).changes, false, "no change, no diff");
    });

    it("create waits for RUNNING; update applies in place; read sees out-of-band changes; delete twice succeeds", async () => {
        const created = await providers.kafkaConnector.create(inputs());
        assert.equal(created.id, "provider-test");
        const status: any = await (
            await fetch(`${pipeline.connectUrl}/connectors/provider-test/status`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })
        ).json();
        assert.equal(status.tasks[0].state, "RUNNING");

        const updated = { ...inputs(), config: { ...inputs().config, "heartbeat.interval.ms": "7000" } };
        await providers.kafkaConnector.update("provider-test", inputs(), updated);
        const live: any = await (
            await fetch(`${pipeline.connectUrl}/connectors/provider-test/config`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })
        ).json();
        assert.equal(live["heartbeat.interval.ms"], "7000");

        await fetch(`${pipeline.connectUrl}/connectors/provider-test/config`, {
            method: "PUT",
            headers: { "Content-Type": "application/json", ...connectAuthorizationHeaders(pipeline.connectCredentials) },
            body: JSON.stringify({ ...updated.config, "poll.interval.ms": "999" }),
        });
        // The worker serves the new config from its next tick on: wait for that, as any out-of-band writer would see it.
        await pollUntil({
            attempt: async () =>
                (
                    (await (
                        await fetch(`${pipeline.connectUrl}/connectors/provider-test/config`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })
                    ).json()) as any
                )["poll.interval.ms"] === "999"
                    ? true
                    : undefined,
            timeoutMs: 15_000,
            intervalMs: 200,
            timeoutError: () => new Error("the out-of-band config change never showed"),
        });
        const read = await providers.kafkaConnector.read("provider-test", updated);
        assert.equal(read.props.config["poll.interval.ms"], "999", "refresh shows the out-of-band change");
        assert.equal((await providers.kafkaConnector.diff("provider-test", read.props, updated)).changes, true, "the next up puts it back");

        // A worker that is down (killed), then booting (Jetty's HTML 404 on every path, then Connect's JSON),
        // is retried until it answers: reads started all through the restart must all find the connector,
        // never report it gone (a refresh would drop it from state).
        const restarting = pipeline.restartConnect(true);
        const reads = await Promise.all(
            Array.from({ length: 12 }, (_, i) => new Promise((r) => setTimeout(r, i * 500)).then(() => providers.kafkaConnector.read("provider-test", updated))),
        );
        await restarting;
        assert.deepEqual(
            reads.map((r: any) => r.id),
            reads.map(() => "provider-test"),
        );

        await providers.kafkaConnector.delete("provider-test", updated);
        await providers.kafkaConnector.delete("provider-test", updated);
        assert.deepEqual(await providers.kafkaConnector.read("provider-test", updated), { id: "", props: {} }, "a deleted connector reads as gone");
    });

    it("create of a connector whose task fails reports the task's trace", async () => {
        // Valid enough for Connect's validation, but the task cannot start: the publication does not exist.
        const failing = connectorInputs("failing-task", "fail", { "publication.name": "no_such_publication" });
        await assert.rejects(providers.kafkaConnector.create(failing), (error: Error) => {
            assert.match(error.message, /FAILED/);
            assert.match(error.message, /no_such_publication|publication/i);
            assert.match(error.message, /\tat |Exception/);
            return true;
        });
        const after = await fetch(`${pipeline.connectUrl}/connectors/failing-task`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) });
        assert.equal(after.status, 404, "nothing half-made is left to block the next pulumi up");
    });

    it("a connector that already exists: refused with how to adopt it; adopted with adoptExisting (config replaced); imported by its REST location", async () => {
        // On the publication and slot the suite bootstrapped ("prov"), so that the adopted connector can run.
        const existing = connectorInputs("pre-existing", "prov", { "snapshot.mode": "no_data" });
        await fetch(`${pipeline.connectUrl}/connectors`, {
            method: "POST",
            headers: { "Content-Type": "application/json", ...connectAuthorizationHeaders(pipeline.connectCredentials) },
            body: JSON.stringify({ name: "pre-existing", config: existing.config }),
        });
        await assert.rejects(providers.kafkaConnector.create(existing), /already exists.*pg-adx-cdc:kafka\.adoptExistingConnectors true.*or delete it/s);
        // pulumi import with the id <connect URL>/connectors/<name>: the live config becomes the state.
        const id = `${pipeline.connectUrl}/connectors/pre-existing`;
        // An import has no state yet: it authenticates as operators do, with the password in their variable.
        await assert.rejects(providers.kafkaConnector.read(id, {}), /requires authentication \(HTTP 401\): export CDC_CONNECT_REST_PASSWORD=/);
        process.env[CONNECT_REST_PASSWORD_ENV] = pipeline.connectCredentials.password;
        const imported = await providers.kafkaConnector.read(id, {}).finally(() => delete process.env[CONNECT_REST_PASSWORD_ENV]);
        assert.equal(imported.props.connectorName, "pre-existing");
        assert.equal(imported.props.connectUrl, pipeline.connectUrl);
        assert.equal((await providers.kafkaConnector.diff(id, imported.props, existing)).changes, false, "an identical config imports with no change");
        await assert.rejects(providers.kafkaConnector.read("pre-existing", {}), /give its REST location as the id/);
        // Adoption: the stack's config replaces the existing one; the connector keeps running.
        const adopted = connectorInputs("pre-existing", "prov", { "snapshot.mode": "when_needed" });
        await providers.kafkaConnector.create({ ...adopted, adoptExisting: true });
        const live: any = await (
            await fetch(`${pipeline.connectUrl}/connectors/pre-existing/config`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })
        ).json();
        assert.equal(live["snapshot.mode"], "when_needed");
        await providers.kafkaConnector.delete("pre-existing", adopted);
    });

    it("a worker of the group that does not answer: create, update, read and delete go through a standby worker; the standby list is not part of the diff", async () => {
        const dead = `http://127.0.0.1:${await freePort()}`;
        const viaStandby = { ...connectorInputs("via-standby", "prov", { "snapshot.mode": "no_data" }), connectUrl: dead, standbyConnectUrls: [pipeline.connectUrl] };
        assert.equal(((await providers.kafkaConnector.check({}, viaStandby)) as any).failures, undefined);
        await providers.kafkaConnector.create(viaStandby);
        const status: any = await (
            await fetch(`${pipeline.connectUrl}/connectors/via-standby/status`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })
        ).json();
        assert.equal(status.tasks[0].state, "RUNNING");
        const updated = { ...viaStandby, config: { ...viaStandby.config, "heartbeat.interval.ms": "7000" } };
        await providers.kafkaConnector.update("via-standby", viaStandby, updated);
        assert.equal((await providers.kafkaConnector.read("via-standby", updated)).props.config["heartbeat.interval.ms"], "7000");
        assert.equal((await providers.kafkaConnector.diff("via-standby", updated, { ...updated, standbyConnectUrls: [] })).changes, false);
        await providers.kafkaConnector.delete("via-standby", updated);
        assert.equal((await fetch(`${pipeline.connectUrl}/connectors/via-standby`, { headers: connectAuthorizationHeaders(pipeline.connectCredentials) })).status, 404);
    });
});

describe("KqlSchema provider (serialized, against the ADX REST test double)", () => {
    const inputs = () => ({ clusterUri: adx.url, database: "cdc", scripts: ordersModelScripts(), retainData: false });
    /** Records into a change table as the sink streams them (multijson, the table's mapping). */
    const streamIngest = async (table: string, records: object[]) => {
        const response = await fetch(`${adx.url}/v1/rest/ingest/cdc/${table}?streamFormat=multijson&mappingName=${table}_json`, {
            method: "POST",
            headers: { authorization: "Bearer token" },
            body: records.map((r) => JSON.stringify(r)).join("\n"),
        });
        assert.equal(response.status, 200, await response.text());
    };

    it("check rejects a non-idempotent command", async () => {
        const bad = { ...inputs(), scripts: [{ name: "x.kql", text: ".create table T (a: long)\n" }] };
        const result = await providers.kqlSchema.check({}, bad);
        assert.match(result.failures[0].reason, /unsupported KQL command.*idempotent/s);
    });

    it("create applies every command in order; re-applying is safe", async () => {
        await providers.kqlSchema.create(inputs());
        const applied = () => adx.commands.filter((c) => !c.csl.startsWith(".show")).map((c) => c.csl.split(/\s+/).slice(0, 2).join(" "));
        assert.equal(applied()[0], ".create-merge table");
        assert.equal(applied().length, 17);
        assert.ok(adx.tables.has("retail_orders_info_changes") && adx.views.has("retail_orders_info_latest") && adx.functions.has("TotalSalesPerCity"));
        await providers.kqlSchema.update("id", inputs(), inputs());
        assert.equal(applied().length, 34);
    });

    it("a column added in PostgreSQL: the update adds the typed column and fills it from the records that arrived before", async () => {
        // Its own table (the double keeps one namespace), the orders columns without city.
        const orders = { ...ORDERS_CATALOG, qualifiedName: "added.orders" };
        const withoutCity = { ...orders, columns: orders.columns.filter((c) => c.name !== "city") };
        const before = { ...inputs(), scripts: adxModelScripts(withoutCity, { key: ["orderid"], streamingIngestion: true }, []) };
        await providers.kqlSchema.create(before);
        // Two changes of order 1 that arrived while the model had no city column: the city is only in the record.
        const arrived = (lsn: bigint, city: string, amount: string) => ({
            row: { orderid: 1n, custid: 7n, amount, purchase_time: null, op: "u", lsn, source_ts: null, snapshot: "false", deleted: false, record: { orderid: 1, city, amount } },
            receivedAtMs: Date.now(),
        });
        adx.ingested.set("added_orders_changes", [arrived(10n, "Austin", "1.50"), arrived(20n, "Zürich", "2.50")]);
        const after = { ...before, scripts: adxModelScripts(orders, { key: ["orderid"], streamingIngestion: true }, []) };
        await providers.kqlSchema.update("id", before, after);
        assert.match(adx.tables.get("added_orders_changes")!, /city:string/);
        assert.deepEqual(
            adx.ingested.get("added_orders_changes")!.map((r) => r.row.city),
            ["Austin", "Zürich"],
            "history backfilled in the change table",
        );
        const current = await runKustoQuery(adx.url, "cdc", "added_orders_current()", "token");
        assert.deepEqual(
            rowsOf(current[0]).map((r) => [r.orderid, r.city, r.amount]),
            [[1, "Zürich", "2.50"]],
        );
        // Re-applying matches nothing: the backfill rewrites no row.
        const sent = adx.commands.length;
        await providers.kqlSchema.update("id", after, after);
        const backfill = adx.commands.slice(sent).find((c) => c.csl.startsWith(".update table"))!;
        assert.ok(backfill);
        adx.ingested.delete("added_orders_changes");
        await providers.kqlSchema.delete("id", after);
    });

    it("the current state orders a key's changes by emission stamp: a topic created again (offsets from 0) and a re-snapshot into it leave no stale row, rows from before the stamp keep their offset order", async () => {
        const orders = { ...ORDERS_CATALOG, qualifiedName: "regen.orders" };
        const model = { ...inputs(), scripts: adxModelScripts(orders, { key: ["orderid"], streamingIngestion: true }, []) };
        await providers.kqlSchema.create(model);
        const ingest = (records: object[]) => streamIngest("regen_orders_changes", records);
        const change = (orderid: number, op: string, amount: string, partition: number, offset: number, stamp?: number, extra: object = {}) => ({
            orderid,
            custid: 7,
            amount,
            city: "Austin",
            purchase_time: null,
            __op: op,
            __lsn: 1000 + offset,
            __source_ts_ms: 1796414116355,
            __source_snapshot: "false",
            __deleted: op === "d" ? "true" : "false",
            __kafka_partition: partition,
            __kafka_offset: offset,
            ...(stamp === undefined ? {} : { __emission_stamp: stamp }),
            ...extra,
        });
        const current = async () =>
            rowsOf((await runKustoQuery(adx.url, "cdc", "regen_orders_current()", "token"))[0])
                .map((r) => [r.orderid, r.amount])
                .sort((a, b) => Number(a[0]) - Number(b[0]));
        const S = 1_796_414_116_000_000;
        // Rows from before the stamp (the old topic, high offsets), then stamped ones in the same topic.
        await ingest([change(1, "c", "1.00", 0, 100), change(1, "u", "2.00", 0, 101), change(2, "c", "1.00", 1, 102), change(2, "u", "5.00", 1, 150, S)]);
        assert.deepEqual(await current(), [
            [1, "2.00"],
            [2, "5.00"],
        ]);
        // The topic is created again: offsets start at 0, below every offset ADX holds, and still win.
        await ingest([change(1, "u", "3.00", 0, 0, S + 10), change(2, "d", "5.00", 1, 1, S + 20)]);
        assert.deepEqual(await current(), [[1, "3.00"]], "the new topic's update and delete win over the old topic's higher offsets");
        // A redelivery of an old record (same stamp) changes nothing.
        await ingest([change(1, "u", "2.00", 0, 101)]);
        assert.deepEqual(await current(), [[1, "3.00"]]);
        // Order 4 from the old topic (partition 1); then a full re-snapshot into the new topic reads orders 1 and 3
        // only, all in partition 0: order 4 was deleted while its delete was lost, and is hidden though the
        // snapshot read nothing in its partition.
        await ingest([change(4, "c", "9.00", 1, 300, S + 5)]);
        const read = (orderid: number, offset: number, stamp: number, snapshot: string) =>
            change(orderid, "r", "7.00", 0, offset, stamp, { __lsn: 5000, __source_snapshot: snapshot });
        await ingest([read(1, 2, S + 30, "first"), read(3, 3, S + 31, "last")]);
        assert.deepEqual(await current(), [
            [1, "7.00"],
            [3, "7.00"],
        ]);
        // Reconcile's latest change per key reads the same order.
        const metadata = changeMetadataColumns(orders.columns.map((c) => c.name));
        const order = { column: changeOrderColumn(orders.columns.map((c) => c.name)), expression: changeOrderExpression(metadata) };
        const target: ReconcileTarget = { table: orders.qualifiedName, columns: orders.columns, key: ["orderid"], functionName: "regen_orders_current" };
        const latest = rowsOf((await runKustoQuery(adx.url, "cdc", kqlLatestChanges(target, "regen_orders_changes", order, ["1"]), "token"))[0]);
        assert.deepEqual(
            latest.map((r) => [r.amount, String(r[order.column])]),
            [["7.00", String(S + 30)]],
        );
        adx.ingested.delete("regen_orders_changes");
        adx.ingested.delete("regen_orders_fences");
        await providers.kqlSchema.delete("id", model);
    });

    it("a fence written before a re-read hides nothing until the re-read's end: every row stays in the current state while the table is read again, then only those the re-read did not find leave it; a TRUNCATE hides at once", async () => {
        const orders = { ...ORDERS_CATALOG, qualifiedName: "reread.orders" };
        const model = { ...inputs(), scripts: adxModelScripts(orders, { key: ["orderid"], streamingIngestion: true }, []) };
        await providers.kqlSchema.create(model);
        const ingest = (records: object[]) => streamIngest("reread_orders_changes", records);
        const T = 1_796_414_116_000;
        const S = T * 1000;
        let offset = 0;
        const position = (stamp: number) => ({ __kafka_partition: 0, __kafka_offset: offset++, __emission_stamp: stamp });
        const change = (orderid: number, op: string, stamp: number, extra: object = {}) => ({
            orderid,
            custid: 7,
            amount: "1.00",
            city: "Austin",
            purchase_time: null,
            __op: op,
            __lsn: 1000 + stamp - S,
            __source_ts_ms: T + (stamp - S),
            __source_snapshot: "false",
            __deleted: op === "d" ? "true" : "false",
            ...position(stamp),
            ...extra,
        });
        // As the stack's transform writes them: the fence (a TRUNCATE naming its re-read), and the re-read's end (a TRUNCATE without LSN or time).
        const fence = (stamp: number, lsn: number, reread?: string) => ({
            __op: "t",
            __lsn: lsn,
            __source_ts_ms: T + (stamp - S),
            __source_snapshot: "false",
            __deleted: "true",
            ...(reread ? { [REREAD_FIELD]: reread } : {}),
            ...position(stamp),
        });
        const end = (stamp: number) => ({ __op: "t", __deleted: "true", [REREAD_FIELD]: "pg-adx-cdc-signal-1", ...position(stamp) });
        const read = (orderid: number, stamp: number) => change(orderid, "r", stamp, { __lsn: null, __source_snapshot: "incremental", amount: "2.00" });
        const current = async () =>
            rowsOf((await runKustoQuery(adx.url, "cdc", "reread_orders_current()", "token"))[0])
                .map((r) => [r.orderid, r.amount])
                .sort((a, b) => Number(a[0]) - Number(b[0]));
        // What status reads: the fences that wait for a re-read's end (the fence table's columns as the stack's outputs name them).
        const waiting = async () =>
            (
                await readWaitingFences(adx.url, "cdc", [
                    {
                        sourceTable: "reread.orders",
                        fences: "reread_orders_fences",
                        opColumn: "op",
                        lsnColumn: "lsn",
                        changeOrderColumn: "change_order",
                        sourceTsColumn: "source_ts",
                    },
                ])
            ).map(({ checkedAt, ...w }) => (assert.ok(checkedAt instanceof Date), w));
        await ingest([change(1, "c", S), change(2, "c", S + 1), change(3, "c", S + 2)]);
        assert.deepEqual(await waiting(), [], "no fence, nothing waits");
        // Order 2 leaves without a change event (its partition dropped); the stack fences the table and reads it again.
        await ingest([fence(S + 10, 5000, "pg-adx-cdc-signal-1")]);
        assert.deepEqual(await waiting(), [{ table: "reread.orders", since: new Date(T + 10).toISOString().replace("Z", "0000Z"), rereads: ["pg-adx-cdc-signal-1"] }]);
        const all = [
            [1, "1.00"],
            [2, "1.00"],
            [3, "1.00"],
        ];
        assert.deepEqual(await current(), all, "the fence waits: nothing is hidden while the table is read again");
        await ingest([read(1, S + 11)]);
        assert.deepEqual(await current(), [[1, "2.00"], ...all.slice(1)], "a row read again shows its read value, the rest stay");
        await ingest([read(3, S + 12), change(5, "c", S + 13, { __lsn: 6000 })]);
        assert.deepEqual(await current(), [
            [1, "2.00"],
            [2, "1.00"],
            [3, "2.00"],
            [5, "1.00"],
        ]);
        await ingest([end(S + 14)]);
        assert.deepEqual(
            await current(),
            [
                [1, "2.00"],
                [3, "2.00"],
                [5, "1.00"],
            ],
            "the re-read's end applies the fence: the row it did not find leaves, rows written after the fence stay",
        );
        assert.deepEqual(await waiting(), [], "a fence with an end after it waits no longer");
        // An application's TRUNCATE (no re-read named) hides at once.
        await ingest([fence(S + 20, 7000), change(6, "c", S + 21, { __lsn: 7001 })]);
        assert.deepEqual(await current(), [[6, "1.00"]]);
        adx.ingested.delete("reread_orders_changes");
        adx.ingested.delete("reread_orders_fences");
        await providers.kqlSchema.delete("id", model);
    });

    it("a column type Kusto cannot change is refused before anything is changed, naming the column and the fix", async () => {
        const orders = { ...ORDERS_CATALOG, qualifiedName: "typed.orders" };
        const asText = { ...orders, columns: orders.columns.map((c) => (c.name === "amount" ? { ...c, declaredType: "numeric", numericPrecision: undefined } : c)) };
        const base = { ...inputs(), scripts: adxModelScripts(orders, { key: ["orderid"], streamingIngestion: true }, []) };
        await providers.kqlSchema.create(base);
        const sent = adx.commands.length;
        const changed = { ...base, scripts: adxModelScripts(asText, { key: ["orderid"], streamingIngestion: true }, []) };
        await assert.rejects(
            providers.kqlSchema.update("id", base, changed),
            /column amount is decimal, the model now makes it string.*ADD COLUMN amount_v2.*Nothing was changed/s,
        );
        assert.deepEqual(
            adx.commands.slice(sent).map((c) => c.csl.split(/\s+/).slice(0, 2).join(" ")),
            [".show table", ".show table", ".show materialized-view"],
            "only read (the change table, the fences and the view)",
        );
        await providers.kqlSchema.delete("id", base);
    });

    it("read reports drift of a mapping and a view, so the next preview shows the script changed", async () => {
        adx.views.delete("retail_orders_info_latest");
        adx.mappings.set("retail_orders_info_changes/retail_orders_info_changes_json", "[]");
        const read = await providers.kqlSchema.read("id", inputs());
        const drifted = read.props.scripts.filter((s: any) => s.text.startsWith("// drift detected"));
        assert.deepEqual(
            drifted.map((s: any) => s.name),
            ["generated/retail.orders_info/20-mapping.kql", "generated/retail.orders_info/40-current-state.kql"],
        );
        assert.equal((await providers.kqlSchema.diff("id", read.props, inputs())).changes, true);
        await providers.kqlSchema.update("id", read.props, inputs());
        assert.equal(
            (await providers.kqlSchema.read("id", inputs())).props.scripts.some((s: any) => s.text.startsWith("// drift")),
            false,
        );
    });

    it("create names the one ADX table it owns in its id", async () => {
        const created = await providers.kqlSchema.create(inputs());
        assert.equal(created.id, `${adx.url}/cdc/retail_orders_info_changes`);
    });

    it("a changed materialized-view definition reaches ADX: dropped, then created again with backfill, and its table is read again from PostgreSQL", async () => {
        // A new key (the catalog's primary key changed) changes the view's group-by.
        const rekeyed = { ...inputs(), scripts: adxModelScripts(ORDERS_CATALOG, { key: ["orderid", "custid"], streamingIngestion: true }, []) };
        const before = adx.commands.length;
        const olds = { ...inputs(), tableGenerations: { retail_orders_info_changes: "adopted", retail_orders_info_fences: "adopted" } };
        const updated = await providers.kqlSchema.update("id", olds, rekeyed);
        // The backfill reads only the change table, whose retention may have aged out keys the view kept: a new
        // generation of the change table makes the stack re-read the PostgreSQL table (incremental snapshot).
        assert.notEqual(updated.outs.tableGenerations.retail_orders_info_changes, "adopted");
        assert.equal(updated.outs.tableGenerations.retail_orders_info_fences, "adopted");
        const sent = adx.commands.slice(before).map((c) => c.csl.replace(/\s+/g, " "));
        const drop = sent.findIndex((c) => c === ".drop materialized-view retail_orders_info_latest ifexists");
        const create = sent.findIndex((c) => c.startsWith(".create ifnotexists materialized-view with (backfill = true"));
        assert.ok(drop >= 0 && create > drop, sent.join("\n"));
        assert.match(adx.views.get("retail_orders_info_latest")!, /by \['orderid'\], \['custid'\]/);
        // Unchanged definitions are left alone.
        const again = adx.commands.length;
        const unchanged = await providers.kqlSchema.update("id", updated.outs, rekeyed);
        assert.ok(!adx.commands.slice(again).some((c) => c.csl.startsWith(".drop")));
        assert.equal(unchanged.outs.tableGenerations.retail_orders_info_changes, updated.outs.tableGenerations.retail_orders_info_changes, "no re-read");
        await providers.kqlSchema.update("id", rekeyed, inputs());
    });

    it("surfaces ADX's own error message with the failing command", async () => {
        adx.failOn = /policy streamingingestion/;
        await assert.rejects(providers.kqlSchema.update("id", inputs(), inputs()), /SEM0100.*\n\s+command: \.alter table retail_orders_info_changes policy streamingingestion/);
        adx.failOn = undefined;
    });

    it("delete drops in reverse order; retainData keeps everything", async () => {
        const before = adx.commands.length;
        await providers.kqlSchema.delete("id", { ...inputs(), retainData: true });
        assert.equal(adx.commands.length, before);
        await providers.kqlSchema.delete("id", inputs());
        const drops = adx.commands.slice(before).map((c) => c.csl);
        assert.equal(drops[0], ".drop function OrdersPerCity ifexists");
        assert.equal(drops[drops.length - 1], ".drop table retail_orders_info_changes ifexists");
        assert.deepEqual([...adx.tables.keys(), ...adx.views.keys(), ...adx.functions.keys(), ...adx.mappings.keys(), ...adx.policies], []);
    });
});

describe("KqlSchema provider granting the sink on a cluster the stack does not own (existing/free mode)", () => {
    const APP = "11111111-2222-3333-4444-555555555555";
    const TENANT = "00000000-0000-0000-0000-0000000000aa";
    const grant = () => ({
        clusterUri: adx.url,
        database: "cdc",
        scripts: [buildDatabaseRoleGrantScript({ database: "cdc", role: "Ingestor", appId: APP, tenantId: TENANT, ...sinkGrantScriptText("cdc") })],
        retainData: false,
    });

    it("create adds the application as ingestor; read sees a revoked grant as drift; update restores it; delete drops it", async () => {
        assert.deepEqual((await providers.kqlSchema.check({}, grant())).failures, undefined);
        await providers.kqlSchema.create(grant());
        assert.deepEqual([...adx.principals], [`ingestors:aadapp=${APP};${TENANT}`]);
        assert.equal((await providers.kqlSchema.read("id", grant())).props.scripts[0].text.startsWith("// drift"), false);
        adx.principals.clear();
        const read = await providers.kqlSchema.read("id", grant());
        assert.match(read.props.scripts[0].text, new RegExp(`^// drift detected by refresh: aadapp=${APP};${TENANT} is not ingestor of \\['cdc'\\]`));
        await providers.kqlSchema.update("id", read.props, grant());
        assert.equal(adx.principals.size, 1);
        await providers.kqlSchema.delete("id", grant());
        assert.equal(adx.commands[adx.commands.length - 1].csl, `.drop database ['cdc'] ingestors ('aadapp=${APP};${TENANT}')`);
        assert.equal(adx.principals.size, 0);
    });
});

describe("no dynamic resource input is a credential", () => {
    it("the serialized providers carry no secret and take none as input", () => {
        for (const text of Object.values(providers.texts)) assert.doesNotMatch(text, /mock-client-secret|Bearer [A-Za-z0-9]/);
    });
});

describe("SourceCatalog provider (serialized, against the harness's PostgreSQL)", () => {
    const inputs = (tables: string[], keys: Record<string, string[]> = {}) => ({ connection: bootstrap.connection, tables, keys });

    it("describes a captured table from pg_catalog, with its key", async () => {
        const { outs } = await providers.sourceCatalog.create(inputs(["retail.orders_info"]));
        const { key, relationId, ...described } = outs.described[0];
        assert.deepEqual(described, ORDERS_CATALOG);
        assert.match(relationId, /^\d+$/, "the table's relation (pg_class OID), which tells a table replaced under its name");
        assert.deepEqual(key, ["orderid"]);
    });

    it("refuses, before anything is created, a missing table and a keyless table at once; a type no other rule maps is carried as its text", async () => {
        const admin = new (require("pg").Client)({ host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: "postgres" });
        await admin.connect();
        await admin.query(
            "CREATE SCHEMA IF NOT EXISTS prov; CREATE TABLE IF NOT EXISTS prov.events (at timestamptz, message text); CREATE TABLE IF NOT EXISTS prov.places (id int PRIMARY KEY, location point, search tsvector)",
        );
        await assert.rejects(
            providers.sourceCatalog.create(inputs(["prov.missing", "prov.events", "prov.places"])),
            (error: Error) =>
                /captured table prov\.missing does not exist/.test(error.message) &&
                /prov\.events has no primary key.*capture\.keys\["prov\.events"\]/s.test(error.message) &&
                !/prov\.places/.test(error.message),
        );
        const { outs } = await providers.sourceCatalog.create(inputs(["prov.events", "prov.places"], { "prov.events": ["at", "message"] }));
        assert.deepEqual(outs.described[0].key, ["at", "message"]);
        assert.deepEqual(textFormTypeNames(outs.described), ["point", "tsvector"]);
        await admin.query("DROP SCHEMA prov CASCADE");
        await admin.end();
    });

    it("read re-reads the catalog: a column added in PostgreSQL shows up as a change", async () => {
        const { outs } = await providers.sourceCatalog.create(inputs(["retail.orders_info"]));
        const admin = new (require("pg").Client)({ host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: "postgres" });
        await admin.connect();
        await admin.query("ALTER TABLE retail.orders_info ADD COLUMN coupon text");
        const read = await providers.sourceCatalog.read("id", outs);
        assert.deepEqual(
            read.props.described[0].columns.map((c: any) => c.name),
            ["orderid", "custid", "amount", "city", "purchase_time", "coupon"],
        );
        await admin.query("ALTER TABLE retail.orders_info DROP COLUMN coupon");
        await admin.end();
    });
});

describe("PostgresReadiness provider (serialized, against the harness's PostgreSQL)", () => {
    const inputs = () => ({ connection: bootstrap.connection, slotName: "readiness_probe_slot", restartHint: "Restart it with: systemctl restart postgresql." });
    const admin = async () => {
        const client = new (require("pg").Client)({ host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: "postgres" });
        await client.connect();
        return client;
    };

    it("passes on a server with logical replication, and records what it found", async () => {
        const { outs } = await providers.readiness.create(inputs());
        assert.equal(outs.facts.walLevel, "logical");
        assert.ok(outs.facts.maxReplicationSlots > outs.facts.usedReplicationSlots);
    });

    it("wal_level changed but not restarted: names the restart and how", async () => {
        const client = await admin();
        await client.query("ALTER SYSTEM SET wal_level = replica");
        await client.query("SELECT pg_reload_conf()");
        try {
            const pendingLogical = { ...inputs() };
            // The server still runs with logical; the check compares what is in effect, so it passes, and reports the pending change.
            const { outs } = await providers.readiness.create(pendingLogical);
            assert.equal(outs.facts.walLevelPendingRestart, true);
        } finally {
            await client.query("ALTER SYSTEM RESET wal_level");
            await client.query("SELECT pg_reload_conf()");
            await client.end();
        }
    });

    it("an admin as Azure's (NOSUPERUSER, CREATEROLE, REPLICATION) and tables owned by another role: names the owner and the GRANT, then passes once it is run", async () => {
        const client = await admin();
        // PostgreSQL 15 (Debian's, this server) lets no non-superuser grant REPLICATION; Azure's flexible server does,
        // on every version, and is known by its azure_pg_admin role: first without it, then with it.
        await client.query("CREATE ROLE erp_owner NOLOGIN; CREATE ROLE azure_like_admin LOGIN NOSUPERUSER CREATEDB CREATEROLE REPLICATION");
        await client.query(
            "CREATE SCHEMA erp AUTHORIZATION erp_owner; SET ROLE erp_owner; CREATE TABLE erp.invoices (id int PRIMARY KEY) PARTITION BY RANGE (id); CREATE TABLE erp.invoices_1 PARTITION OF erp.invoices FOR VALUES FROM (0) TO (1000); RESET ROLE",
        );
        const asAzureAdmin = { ...inputs(), connection: { ...bootstrap.connection, user: "azure_like_admin" }, tables: ["erp.invoices"] };
        try {
            await assert.rejects(
                providers.readiness.create(asAzureAdmin),
                /erp\.invoices, erp\.invoices_1 belong to erp_owner, whose rights the admin login azure_like_admin does not hold .*: as erp_owner or a superuser, run GRANT erp_owner TO azure_like_admin\n  - the admin login azure_like_admin on .* cannot create the replication user: PostgreSQL 15 lets only a superuser create a REPLICATION role .*connect the stack as a superuser, or upgrade the server to PostgreSQL 16 or later/,
            );
            await client.query("CREATE ROLE azure_pg_admin NOLOGIN; GRANT azure_pg_admin TO azure_like_admin");
            await assert.rejects(
                providers.readiness.create(asAzureAdmin),
                (error: Error) => !/cannot create the replication user/.test(error.message) && /GRANT erp_owner TO azure_like_admin/.test(error.message),
            );
            await client.query("GRANT erp_owner TO azure_like_admin");
            const { outs } = await providers.readiness.create(asAzureAdmin);
            assert.deepEqual(outs.facts.tablesNotOwned, []);
            assert.equal(outs.facts.canCreateReplicationUser, true);
        } finally {
            await client.query("DROP SCHEMA erp CASCADE; DROP ROLE azure_like_admin; DROP ROLE erp_owner; DROP ROLE IF EXISTS azure_pg_admin");
            await client.end();
        }
    });

    it("a database and a schema another role owns: names the CREATE on the database and the schema's GRANT, then passes once they are run", async () => {
        const client = await admin();
        await client.query(
            "CREATE ROLE dba_owner NOLOGIN; CREATE ROLE app_owner NOLOGIN; CREATE ROLE azure_pg_admin NOLOGIN; CREATE ROLE plain_admin LOGIN NOSUPERUSER CREATEDB CREATEROLE REPLICATION IN ROLE azure_pg_admin",
        );
        await client.query("CREATE DATABASE ledger_db OWNER dba_owner");
        const ledger = new (require("pg").Client)({ host: "127.0.0.1", port: pipeline.postgres.port, database: "ledger_db", user: "postgres" });
        await ledger.connect();
        await ledger.query(
            "CREATE SCHEMA ledger AUTHORIZATION dba_owner; GRANT USAGE, CREATE ON SCHEMA ledger TO app_owner; SET ROLE app_owner; CREATE TABLE ledger.entries (id int PRIMARY KEY); RESET ROLE; GRANT app_owner TO plain_admin",
        );
        const asAdmin = { ...inputs(), connection: { ...bootstrap.connection, database: "ledger_db", user: "plain_admin" }, tables: ["ledger.entries"], stackSchema: "cdc_meta" };
        try {
            await assert.rejects(
                providers.readiness.create(asAdmin),
                /schema ledger belongs to dba_owner, and the admin login plain_admin can neither act as dba_owner nor grant USAGE on it.*GRANT USAGE ON SCHEMA ledger TO plain_admin WITH GRANT OPTION\)\n  - the admin login plain_admin may not create the stack's schema cdc_meta in database ledger_db \(no CREATE on it\): as dba_owner or a superuser, run GRANT CREATE ON DATABASE ledger_db TO plain_admin/,
            );
            await ledger.query("GRANT USAGE ON SCHEMA ledger TO plain_admin WITH GRANT OPTION; GRANT CREATE ON DATABASE ledger_db TO plain_admin");
            const { outs } = await providers.readiness.create(asAdmin);
            assert.deepEqual([outs.facts.schemasNotGrantable, outs.facts.canCreateStackSchema], [[], true]);
        } finally {
            await ledger.end();
            await client.query("DROP DATABASE ledger_db");
            await client.query("DROP ROLE plain_admin; DROP ROLE app_owner; DROP ROLE dba_owner; DROP ROLE azure_pg_admin");
            await client.end();
        }
    });

    it("no free replication slot: fails naming the limit and the fix, before the bootstrap would", async () => {
        const client = await admin();
        const {
            rows: [{ free }],
        } = await client.query("SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots)::int AS free");
        const fillers = Array.from({ length: free }, (_, i) => `readiness_filler_${i}`);
        for (const f of fillers) await client.query("SELECT pg_create_physical_replication_slot($1)", [f]);
        try {
            await assert.rejects(
                providers.readiness.create(inputs()),
                /PostgreSQL is not ready for change data capture:\n  - 127\.0\.0\.1:\d+ has no free replication slot \(\d+ of max_replication_slots=\d+ in use\): raise max_replication_slots/,
            );
        } finally {
            for (const f of fillers) await client.query("SELECT pg_drop_replication_slot($1)", [f]);
            await client.end();
        }
    });
});
