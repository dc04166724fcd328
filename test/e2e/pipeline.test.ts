// The real data path: PostgreSQL → Debezium (in a Kafka Connect worker) → Kafka → the real Kusto
// sink → the ADX test double, with the stack's own builders, bootstrap SQL, providers and KQL model.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { Client } from "pg";
import * as fs from "fs";
import * as path from "path";
import { startLocalPipeline, LocalPipeline } from "../../local/localPipeline";
import { TopicReader } from "../../local/topicReader";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { adminClient, CapturedSource, CAPTURED_TABLE, setUpCapturedSource } from "../../local/capturedSource";
import { changeMetadataFields, EMISSION_STAMP_FIELD } from "../../contract/recordFields";
import { kafkaConnectorProvider } from "../../connectors/kafkaConnector";
import { sourceBootstrapProvider } from "../../postgres/sourceBootstrap";
import { capturableTableCheck, nestedPartitionCheck, ORDERS_TABLE, rowSecurityPolicyName, sourceObjectNames } from "../../postgres/sourceSchema";
import { buildKustoSinkConfig } from "../../connectors/kustoSink";
import { deadLetterTopicFor } from "../../connectors/kafkaTopics";
import { kafkaClient } from "../../runtime/kafkaClient";
import { Kafka, logLevel } from "kafkajs";
import { connectAuthorizationHeaders } from "../../connectors/connectRestAuth";
import { evaluatePipelineHealth, readConnectorHealth, readTopicOffsets } from "../../operations/pipelineHealth";
import { DEFAULT_THRESHOLDS } from "../../contract/healthThresholds";
import { runOrdersGenerator, GeneratorReport } from "../../generator/ordersGenerator";
import { pollUntil } from "../../runtime/pollUntil";

const TABLE = CAPTURED_TABLE;
const PREFIX = "cdc";
const names = sourceObjectNames(PREFIX);
const CONNECTOR = "cdc-postgres-source";
let pipeline: LocalPipeline;
let source: CapturedSource;
let admin: Client;
let reader: TopicReader;
let bootstrapInputs: any;
let connectorInputs: any;
let report: GeneratorReport;
let sink: KustoSinkDeployment;
const started = Date.now();

async function sourceRows(): Promise<Record<string, unknown>[]> {
    // Kusto keeps datetimes to 100 ns and shows seven fractional digits; PostgreSQL keeps microseconds.
    const { rows } = await admin.query(
        `SELECT orderid::bigint AS orderid, custid, amount::text AS amount, city, to_char(purchase_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"0Z"') AS purchase_time FROM ${TABLE} ORDER BY orderid`,
    );
    return rows.map((r) => ({ orderid: Number(r.orderid), custid: r.custid, amount: r.amount, city: r.city, purchase_time: r.purchase_time }));
}

/** What ADX holds: the current-state function's rows, asked over the query endpoint of the double the real sink delivered into. */
async function adxCurrentRows() {
    const rows = (await sink.currentRows(TABLE))
        .map((r) => ({ orderid: r.orderid, custid: r.custid, amount: r.amount, city: r.city, purchase_time: r.purchase_time }))
        .sort((a, b) => Number(a.orderid) - Number(b.orderid));
    const ingested = pipeline.adx.ingested.get(sink.models[0].names.changes) ?? [];
    const distinct = new Set(ingested.map((r) => `${r.row.orderid}@${r.row.lsn}@${r.row.op}`));
    return { rows, duplicates: ingested.length - distinct.size, ingested: ingested.length };
}

before(async () => {
    pipeline = await startLocalPipeline();
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: CONNECTOR, preexistingRows: 200 });
    ({ admin, reader, bootstrapInputs, connectorInputs } = source);
    // As the stack deploys it with sinkIdentity.kind managedIdentity: no secret, the worker host's identity.
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [TABLE], auth: "managedIdentity" });
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: pipeline.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

describe("PostgreSQL → Debezium → Kafka → the real Kusto sink → ADX (test double)", () => {
    it("1. delivers the rows that existed before the connector as snapshot reads (__op=r)", async () => {
        await reader.waitFor("200 snapshot records", (records) => records.filter((r) => r.value?.__op === "r").length >= 200, 60_000);
        const snapshot = reader.records.filter((r) => r.value.__op === "r");
        assert.equal(snapshot.length, 200);
        assert.deepEqual(new Set(snapshot.map((r) => r.value.__deleted)), new Set(["false"]));
    });

    it("2. delivers every insert, update and delete as one flat JSON record of the data contract", async () => {
        const client = await adminClient(pipeline);
        report = await runOrdersGenerator(client, { rate: 400, durationMs: 10_000, updates: 0.3, deletes: 0.1, batchSize: 5 });
        await client.end();
        const expected = 200 + report.inserts + report.updates + report.deletes;
        await reader.waitFor(`${expected} records`, (records) => records.length >= expected, 60_000);
        process.stderr.write(`e2e: generator ${JSON.stringify(report)}; ${reader.records.length} records read\n`);
        const fields = [...ORDERS_TABLE.columns.map((c) => c.name), ...Object.values(changeMetadataFields()), EMISSION_STAMP_FIELD].sort();
        for (const r of reader.records) assert.deepEqual(Object.keys(r.value).sort(), fields, `record ${r.raw}`);
        // One key's records are in one partition, read in offset order: their emission stamps only grow, and no two records share one.
        const lastStamp = new Map<number, number>();
        for (const r of reader.records) {
            const stamp = r.value[EMISSION_STAMP_FIELD] as number;
            assert.ok(Number.isSafeInteger(stamp) && stamp > (lastStamp.get(r.value.orderid) ?? 0), `record ${r.raw} after stamp ${lastStamp.get(r.value.orderid)}`);
            lastStamp.set(r.value.orderid, stamp);
        }
        assert.equal(new Set(reader.records.map((r) => r.value[EMISSION_STAMP_FIELD])).size, reader.records.length);
        const ops = (op: string) => reader.records.filter((r) => r.value.__op === op);
        assert.equal(ops("c").length, report.inserts, "every insert arrives once");
        assert.equal(ops("u").length, report.updates, "every update arrives once");
        assert.equal(ops("d").length, report.deletes, "every delete arrives once");
        for (const d of ops("d")) {
            assert.equal(d.value.__deleted, "true");
            assert.ok(d.value.city && d.value.amount && d.value.custid, `a delete carries the row's last values: ${d.raw}`);
        }
        for (const r of reader.records) {
            assert.match(r.value.amount, /^\d+\.\d{2}$/, "amounts are strings with the column's scale");
            assert.match(r.value.purchase_time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, "timestamps are ISO-8601 UTC");
            assert.equal(typeof r.value.__lsn, "number");
            assert.equal(typeof r.value.__source_ts_ms, "number");
        }
    });

    it("3-4. what ADX holds, delivered by the real Kusto sink, equals the source table row for row; nothing lost, nothing invented", async () => {
        const source = await sourceRows();
        const expected = reader.records.length;
        const table = sink.models[0].names.changes;
        await pollUntil({
            attempt: async () => ((pipeline.adx.ingested.get(table)?.length ?? 0) >= expected ? true : undefined),
            timeoutMs: 60_000,
            intervalMs: 250,
            timeoutError: () => new Error(`the sink delivered ${pipeline.adx.ingested.get(table)?.length ?? 0} of ${expected} change rows within 60 s`),
        });
        const adx = await adxCurrentRows();
        const requests = pipeline.adx.ingestRequests.filter((r) => r.status === 200);
        process.stderr.write(
            `e2e: ${requests.length} streaming ingest requests, ${Math.round(requests.reduce((a, r) => a + r.bytes, 0) / requests.length)} bytes each on average\n`,
        );
        process.stderr.write(`e2e: ${adx.ingested} change rows ingested, ${adx.rows.length} current rows, ${source.length} source rows, ${adx.duplicates} duplicates\n`);
        assert.equal(adx.rows.length, source.length);
        assert.deepEqual(adx.rows, source);
    });

    it("5. keeps the connector RUNNING and advances the slot's confirmed LSN through the heartbeat while captured tables are idle", async () => {
        await admin.query("CREATE TABLE IF NOT EXISTS public.unrelated_noise (id serial primary key, payload text)");
        await admin.query("INSERT INTO public.unrelated_noise (payload) SELECT repeat('x', 200) FROM generate_series(1, 2000)");
        const {
            rows: [{ lsn: walAfterNoise }],
        } = await admin.query("SELECT pg_current_wal_lsn()::text AS lsn");
        const advanced = async () => {
            const { rows } = await admin.query("SELECT confirmed_flush_lsn >= $2::pg_lsn AS advanced FROM pg_replication_slots WHERE slot_name = $1", [
                names.slotName,
                walAfterNoise,
            ]);
            return rows[0]?.advanced === true;
        };
        await pollUntil({
            attempt: async () => ((await advanced()) ? true : undefined),
            timeoutMs: 45_000,
            intervalMs: 500,
            timeoutError: () => new Error(`confirmed_flush_lsn did not pass ${walAfterNoise} within 45 s`),
        });
        const status: any = await (await fetch(`${pipeline.connectUrl}/connectors/${CONNECTOR}/status`, { headers: connectAuthorizationHeaders() })).json();
        assert.equal(status.connector.state, "RUNNING");
        assert.deepEqual(
            status.tasks.map((t: any) => t.state),
            ["RUNNING"],
        );
    });

    it("the sink authenticates as the Connect host's managed identity: no secret in its config, every token from the host's identity endpoint; an identity the host does not hold gets none, the sink holds its offsets, and status names the fix", async () => {
        const config = sink.connectorInputs.config;
        assert.equal(config["aad.auth.strategy"], "managed_identity");
        assert.equal(config["aad.auth.appid"], pipeline.managedIdentity.clientId);
        assert.deepEqual(
            Object.keys(config).filter((k) => /appkey|accesstoken|secret|password/i.test(k)),
            [],
        );
        const granted = pipeline.managedIdentity.requests.filter((r) => r.status === 200);
        assert.ok(granted.length >= 1, "the sink asked the identity endpoint for its token");
        assert.ok(granted.every((r) => r.clientId === pipeline.managedIdentity.clientId));
        process.stderr.write(`e2e: managed identity tokens issued: ${granted.length}, for resource ${granted[0].resource}\n`);
        // A sink configured with an identity this host does not hold: the endpoint refuses, nothing reaches ADX.
        const other = "0d0e0f10-1112-4314-9516-171819202122";
        const topic = "cdc-wrong-identity.orders";
        const name = "cdc-adx-sink-wrong-identity";
        const target = { table: sink.models[0].names.changes, mapping: sink.models[0].names.mapping };
        const rowsBefore = (pipeline.adx.ingested.get(target.table) ?? []).length;
        const inputs = {
            connectUrl: pipeline.connectUrl,
            connectCredentials: pipeline.connectCredentials,
            connectorName: name,
            timeoutSeconds: 120,
            config: buildKustoSinkConfig({
                connectorName: name,
                ingestionUrl: pipeline.adx.url,
                queryUrl: pipeline.adx.url,
                auth: { strategy: "managed_identity", clientId: other },
                targets: [{ topic, database: "cdc", table: target.table, mapping: target.mapping, streaming: true }],
                deadLetterTopic: deadLetterTopicFor("cdc-wrong-identity"),
                deadLetterReplicationFactor: 1,
                retryWindowMs: 5_000,
            }),
        };
        const producer = kafkaClient(pipeline.kafka, "e2e-wrong-identity").producer();
        await producer.connect();
        await producer.send({ topic, messages: [{ key: JSON.stringify({ orderid: 999999 }), value: JSON.stringify({ orderid: 999999, __op: "c" }) }] });
        await producer.disconnect();
        await kafkaConnectorProvider.create!(inputs);
        try {
            // The identity library asks, is refused (400: identity not found), and asks again; the sink retries its batch.
            await pollUntil({
                attempt: async () => (pipeline.managedIdentity.requests.filter((r) => r.clientId === other && r.status === 400).length >= 3 ? true : undefined),
                timeoutMs: 120_000,
                intervalMs: 1000,
                timeoutError: () => new Error("the sink with a foreign identity never asked the identity endpoint"),
            });
            assert.equal((pipeline.adx.ingested.get(target.table) ?? []).length, rowsBefore, "nothing reached ADX");
            // It does not fail its task and does not move past the record: the offsets are held, nothing is lost.
            const health = await readConnectorHealth(pipeline.connectUrl, name, 10_000);
            assert.deepEqual(
                health.tasks.map((t) => t.state),
                ["RUNNING"],
            );
            const lag = await readTopicOffsets(pipeline.kafka, [topic], deadLetterTopicFor("cdc-wrong-identity"), name);
            assert.equal(lag.sinkLag?.records, 1, "the record is still ahead of the sink's committed offset");
            // status: the lag is the sign, and with a managed identity it names the fix.
            const problems = evaluatePipelineHealth(
                {
                    connectors: [await readConnectorHealth(pipeline.connectUrl, CONNECTOR, 10_000), health],
                    ...lag,
                    unreachable: [],
                    sinkIdentity: {
                        kind: "managedIdentity",
                        clientId: other,
                        managedIdentityResourceId: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sink",
                        checkedAt: new Date(),
                    },
                },
                { ...DEFAULT_THRESHOLDS, maxSinkLagRecords: 0 },
            );
            process.stderr.write(`e2e: status with a foreign identity: ${problems.join(" | ").slice(0, 800)}\n`);
            assert.ok(
                problems.some((p) => p.includes(`does not hold the identity ${other}`) && p.includes("az vm identity assign")),
                problems.join("\n"),
            );
        } finally {
            await kafkaConnectorProvider.delete!(name, inputs);
        }
    });

    it("Debezium reads PostgreSQL over TLS and verifies the server: at a host name the certificate does not carry, the connector is refused with the reason", async () => {
        const { rows } = await admin.query(
            "SELECT s.ssl, s.version FROM pg_stat_replication r JOIN pg_stat_ssl s ON s.pid = r.pid WHERE r.application_name = 'Debezium Streaming' OR r.usename = 'cdc_replicator'",
        );
        assert.equal(rows.length, 1, "the replication connection");
        assert.equal(rows[0].ssl, true, `TLS (${rows[0].version})`);
        // 127.0.0.2 reaches the same server, whose certificate names localhost and 127.0.0.1 only.
        const elsewhere = {
            ...connectorInputs,
            connectorName: "cdc-source-wrong-host",
            config: { ...connectorInputs.config, name: "cdc-source-wrong-host", "database.hostname": "127.0.0.2", "slot.name": "debezium_wrong_host" },
        };
        await assert.rejects(kafkaConnectorProvider.create!(elsewhere), (error: Error) => {
            process.stderr.write(`e2e: a connector at 127.0.0.2 was refused: ${error.message.replace(/\s+/g, " ").slice(0, 600)}\n`);
            return /The hostname 127\.0\.0\.2 could not be verified/.test(error.message);
        });
        assert.deepEqual((await admin.query("SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'debezium_wrong_host'")).rows, []);
    });

    it("the workers hold their secrets as owner-only files, none in their environment; the REST API answers only the stack's credentials, also for the watchdog's own report", async () => {
        const environ = fs.readFileSync(`/proc/${pipeline.processes.connect.child.pid}/environ`, "utf8");
        for (const secret of [pipeline.replicationPassword, pipeline.adxAccessToken, pipeline.connectCredentials.password])
            assert.ok(!environ.includes(secret), "no secret in the worker's environment");
        assert.equal(fs.statSync(pipeline.secretsDir).mode & 0o777, 0o700);
        for (const file of fs.readdirSync(pipeline.secretsDir)) assert.equal(fs.statSync(path.join(pipeline.secretsDir, file)).mode & 0o777, 0o600, file);
        // Debezium logged in with the password from its file: the connector above streams as cdc_replicator.
        const replication = await admin.query("SELECT usename FROM pg_stat_replication WHERE usename = 'cdc_replicator'");
        assert.equal(replication.rows.length, 1);
        for (const path_ of ["/connectors", "/pg-adx-cdc/watchdog", "/"]) {
            assert.equal((await fetch(`${pipeline.connectUrl}${path_}`)).status, 401, `${path_} without credentials`);
            assert.equal((await fetch(`${pipeline.connectUrl}${path_}`, { headers: connectAuthorizationHeaders() })).status, 200, `${path_} with them`);
        }
    });

    it("the broker's host listener (the operator commands') reads and writes nothing without its password; with it, status's offsets read through it", async () => {
        const auth = pipeline.kafka.authentication;
        assert.ok(auth?.mechanism === "PLAIN" && auth.protocol === "SASL_PLAINTEXT", JSON.stringify(auth));
        assert.notEqual(pipeline.kafka.bootstrapServers, pipeline.bootstrapServers, "operators and workers reach the broker on different listeners");
        const probe = async (password: string | undefined) => {
            const admin = new Kafka({
                clientId: "e2e-host-listener-probe",
                brokers: [pipeline.kafka.bootstrapServers],
                logLevel: logLevel.NOTHING,
                retry: { retries: 0 },
                ...(password === undefined ? {} : { sasl: { mechanism: "plain" as const, username: auth.username, password } }),
            }).admin();
            try {
                await admin.connect();
                return await admin.listTopics();
            } finally {
                await admin.disconnect().catch(() => undefined);
            }
        };
        await assert.rejects(probe(undefined), /Connection|closed|timeout|disconnected|brokers/i, "without SASL the listener drops the client");
        await assert.rejects(probe("not-the-password"), /SASL PLAIN authentication failed|Authentication failed/i);
        const environ = fs.readFileSync(`/proc/${pipeline.processes.kafka.child.pid}/environ`, "utf8");
        assert.ok(!environ.includes(process.env[auth.passwordEnvVar]!), "the broker reads the password from its JAAS file, not its environment");
        assert.ok((await probe(process.env[auth.passwordEnvVar])).includes(`${PREFIX}.${CAPTURED_TABLE}`));
        const offsets = await readTopicOffsets(pipeline.kafka, [`${PREFIX}.${CAPTURED_TABLE}`], deadLetterTopicFor(PREFIX), sink.connectorName);
        assert.ok(offsets.topics[0].endOffset > 0);
    });

    it("the worker refuses a connector that overrides a client setting the stack's connectors do not (its consumer pointed at another broker)", async () => {
        const name = "cdc-adx-sink-elsewhere";
        const config = { ...sink.connectorInputs.config, name, "consumer.override.bootstrap.servers": "attacker.example:9092" };
        const response = await fetch(`${pipeline.connectUrl}/connectors`, {
            method: "POST",
            headers: { "content-type": "application/json", ...connectAuthorizationHeaders() },
            body: JSON.stringify({ name, config }),
        });
        const body = await response.text();
        process.stderr.write(`e2e: Connect answered ${response.status}: ${body.replace(/\s+/g, " ").slice(0, 400)}\n`);
        assert.equal(response.status, 400);
        assert.match(body, /consumer\.override\.bootstrap\.servers is not a client setting pg-adx-cdc's connectors override, so this worker refuses it/);
        assert.equal((await fetch(`${pipeline.connectUrl}/connectors/${name}`, { headers: connectAuthorizationHeaders() })).status, 404, "nothing was registered");
        // The stack's own overrides pass the same policy: the sink above runs with its poll interval override.
        assert.ok(sink.connectorInputs.config["consumer.override.max.poll.interval.ms"]);
    });

    it("bad input: a captured table that does not exist fails the bootstrap with the fix, and nothing half-made remains", async () => {
        const missing = { ...bootstrapInputs, bootstrap: { ...bootstrapInputs.bootstrap, tables: [TABLE, "sales.refunds"] } };
        await assert.rejects(
            sourceBootstrapProvider.create!(missing),
            /captured table sales\.refunds does not exist in database retail; create it first or remove it from pg-adx-cdc:capture\.tables/,
        );
        const schemas = await admin.query("SELECT nspname FROM pg_namespace WHERE nspname = 'sales'");
        assert.deepEqual(schemas.rows, [], "the failed bootstrap rolled back as a whole");
    });

    it("bad input: a database not encoded in UTF8 (Debezium's limit) fails the bootstrap before any change, naming its encoding", async () => {
        await admin.query("CREATE DATABASE latin_shop TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
        try {
            const latin = { ...bootstrapInputs, connection: { ...bootstrapInputs.connection, database: "latin_shop" } };
            await assert.rejects(
                sourceBootstrapProvider.create!(latin),
                /database latin_shop is encoded LATIN1: Debezium reads UTF8 databases only, so text outside ASCII would reach ADX garbled.*WITH ENCODING 'UTF8'/,
            );
        } finally {
            await admin.query("DROP DATABASE latin_shop");
        }
        const roles = await admin.query("SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1", [names.publicationName]);
        assert.equal(roles.rows[0].n, 1, "the pipeline's own database is untouched");
    });

    it("bad input: a view, a materialized view, an UNLOGGED table (or partition), an inheritance parent, a partitioned table without a primary key, a partition captured beside its partitioned table, columns differing only by case and a RESTRICTIVE row-security policy for everyone fail the bootstrap, each with why and the fix", async () => {
        await admin.query(
            "CREATE SCHEMA odd; CREATE VIEW odd.v AS SELECT 1 AS id; CREATE MATERIALIZED VIEW odd.mv AS SELECT 1 AS id; " +
                "CREATE UNLOGGED TABLE odd.scratch (id int PRIMARY KEY); " +
                "CREATE TABLE odd.parted (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at); CREATE UNLOGGED TABLE odd.parted_2024 PARTITION OF odd.parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); " +
                "CREATE TABLE odd.readings (id int PRIMARY KEY, v text); CREATE TABLE odd.readings_2024 (extra int) INHERITS (odd.readings); " +
                "CREATE TABLE odd.metrics (at date, v int) PARTITION BY RANGE (at); " +
                "CREATE TABLE odd.events (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at); CREATE TABLE odd.\"Events 2024\" PARTITION OF odd.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'); " +
                // Debezium refuses columns whose names differ only by case.
                'CREATE TABLE odd.people (id int PRIMARY KEY, "Name" text, name text); ' +
                // Row-level security with a RESTRICTIVE policy for everyone: the pipeline's roles would read a subset.
                "CREATE TABLE odd.tenants (id int PRIMARY KEY, tenant text); ALTER TABLE odd.tenants ENABLE ROW LEVEL SECURITY; " +
                "CREATE POLICY everyone ON odd.tenants USING (true); CREATE POLICY own_tenant ON odd.tenants AS RESTRICTIVE USING (tenant = current_user)",
        );
        try {
            const withTables = (tables: string[]) => ({ ...bootstrapInputs, bootstrap: { ...bootstrapInputs.bootstrap, tables: [TABLE, ...tables] } });
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.v"])),
                /captured table odd\.v is a view, which logical replication cannot capture.*capture the tables it reads from/,
            );
            await assert.rejects(sourceBootstrapProvider.create!(withTables(["odd.mv"])), /captured table odd\.mv is a materialized view/);
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.scratch"])),
                /captured table odd\.scratch is UNLOGGED \(odd\.scratch\): PostgreSQL writes no WAL for it.*with SET LOGGED/,
            );
            await assert.rejects(sourceBootstrapProvider.create!(withTables(["odd.parted"])), /captured table odd\.parted is UNLOGGED \(odd\.parted_2024\)/);
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.readings"])),
                /captured table odd\.readings has inheritance children \(odd\.readings_2024\).*capture each child as a table of its own/,
            );
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.metrics"])),
                /captured table odd\.metrics is partitioned and has no primary key: a partition created later starts with REPLICA IDENTITY DEFAULT.*ALTER TABLE odd\.metrics ADD PRIMARY KEY/,
            );
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.events", 'odd."Events 2024"'])),
                /captured tables overlap \(odd\."Events 2024" is a partition of odd\.events\).*capture the partitioned table only/,
            );
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.people"])),
                /captured table odd\.people has columns whose names differ only by case \("Name", name\): Debezium refuses.*RENAME COLUMN/,
            );
            await assert.rejects(
                sourceBootstrapProvider.create!(withTables(["odd.tenants"])),
                /captured table odd\.tenants has row-level security with RESTRICTIVE policies for PUBLIC \(own_tenant\).*ALTER POLICY \.\.\. ON odd\.tenants TO <role>/,
            );
            // Each passes the checks on its own: the inheritance child, and the partition without its partitioned table.
            for (const alone of ["odd.readings_2024", 'odd."Events 2024"']) {
                await admin.query(capturableTableCheck(alone));
                await admin.query(nestedPartitionCheck([TABLE, alone]));
            }
            const publication = await admin.query("SELECT count(*)::int AS n FROM pg_publication_tables WHERE schemaname = 'odd'");
            assert.equal(publication.rows[0].n, 0, "nothing of the refused bootstraps remains");
        } finally {
            await admin.query("DROP SCHEMA odd CASCADE");
        }
    });

    it("a table without a primary key joins the publication only once its replica identity is FULL: the application's UPDATEs never fail, even while a long transaction delays the ALTER", async () => {
        // Published with identity DEFAULT and no key, PostgreSQL refuses every UPDATE and DELETE of the table.
        await admin.query(
            "CREATE SCHEMA keyless; CREATE TABLE keyless.audit (at timestamptz, note text); INSERT INTO keyless.audit SELECT now(), 'n' || g FROM generate_series(1, 20) g",
        );
        const holder = await adminClient(pipeline);
        const app = await adminClient(pipeline);
        const withKeyless = { ...bootstrapInputs, bootstrap: { ...bootstrapInputs.bootstrap, tables: [...bootstrapInputs.bootstrap.tables, "keyless.audit"] } };
        try {
            // A reader's open transaction holds ACCESS SHARE for 5 s: each ALTER attempt gives way after its lock timeout.
            await holder.query("BEGIN");
            await holder.query("SELECT count(*) FROM keyless.audit");
            const release = setTimeout(() => holder.query("COMMIT").catch(() => undefined), 5000);
            const errors: string[] = [];
            let updates = 0;
            let writing = true;
            const writer = (async () => {
                while (writing) {
                    await app
                        .query("UPDATE keyless.audit SET note = note || '.' WHERE ctid = (SELECT min(ctid) FROM keyless.audit)")
                        .then(() => updates++)
                        .catch((error: any) => errors.push(error.message));
                    await new Promise((r) => setTimeout(r, 100));
                }
            })();
            const started = Date.now();
            await sourceBootstrapProvider.update!("bootstrap", bootstrapInputs, withKeyless);
            const took = Date.now() - started;
            writing = false;
            await writer;
            clearTimeout(release);
            assert.deepEqual(errors, [], "no UPDATE of the application failed");
            assert.ok(took >= 4000, `the ALTER waited for the reader (${took} ms)`);
            assert.ok(updates >= 10, `the application kept writing (${updates} updates)`);
            const state = await admin.query(
                "SELECT c.relreplident, EXISTS (SELECT FROM pg_publication_tables p WHERE p.pubname = $1 AND p.schemaname = 'keyless' AND p.tablename = 'audit') AS published FROM pg_class c WHERE c.oid = 'keyless.audit'::regclass",
                [bootstrapInputs.bootstrap.publicationName],
            );
            assert.deepEqual(state.rows, [{ relreplident: "f", published: true }]);
        } finally {
            await holder.end().catch(() => undefined);
            await app.end().catch(() => undefined);
            await sourceBootstrapProvider.update!("bootstrap", withKeyless, bootstrapInputs);
            const left = await admin.query(
                "SELECT has_table_privilege('cdc_replicator', 'keyless.audit', 'SELECT') AS replicator, has_table_privilege('cdc_operator', 'keyless.audit', 'SELECT') AS operator",
            );
            await admin.query("DROP SCHEMA keyless CASCADE");
            assert.deepEqual(left.rows, [{ replicator: false, operator: false }], "a table no longer captured is no longer readable by the stack's roles");
        }
    });

    it("bad input: the generator pointed at a database without the table says so", async () => {
        const client = await adminClient(pipeline);
        await client.query("CREATE DATABASE empty_db").catch(() => undefined);
        await client.end();
        const { Client: PgClient } = await import("pg");
        const empty = new PgClient({ host: "127.0.0.1", port: pipeline.postgres.port, database: "empty_db", user: pipeline.postgres.adminUser });
        await empty.connect();
        await assert.rejects(
            runOrdersGenerator(empty, { rate: 10, durationMs: 100, updates: 0, deletes: 0 }),
            /the generator cannot read retail\.orders_info: relation "retail\.orders_info" does not exist\. Is it pointed at the source database, and has the stack's bootstrap created the table\?/,
        );
        await empty.end();
    });

    it("leaves no slot, no publication, no row-security policy and none of its roles behind once the connectors and the bootstrap are deleted", async () => {
        // Row-level security switched on since: the next pulumi up adds the stack's read policy, naming its roles.
        await admin.query(`ALTER TABLE ${TABLE} ENABLE ROW LEVEL SECURITY`);
        await sourceBootstrapProvider.update!("bootstrap", bootstrapInputs, bootstrapInputs);
        const policies = async () => (await admin.query("SELECT polname, polroles::regrole[]::text[] AS roles FROM pg_policy WHERE polrelid = $1::regclass", [TABLE])).rows;
        assert.deepEqual(await policies(), [{ polname: rowSecurityPolicyName(names.publicationName), roles: ["cdc_replicator", "cdc_operator"] }]);
        await sink.delete();
        await kafkaConnectorProvider.delete!(CONNECTOR, connectorInputs);
        await sourceBootstrapProvider.delete!("bootstrap", bootstrapInputs);
        const slots = await admin.query("SELECT slot_name FROM pg_replication_slots");
        const publications = await admin.query("SELECT pubname FROM pg_publication");
        const roles = await admin.query("SELECT rolname FROM pg_roles WHERE rolname IN ('cdc_replicator', 'cdc_operator', 'cdc_generator')");
        assert.deepEqual(slots.rows, []);
        assert.deepEqual(publications.rows, []);
        assert.deepEqual(roles.rows, []);
        assert.deepEqual(await policies(), [], "the policy went before the roles it names");
        assert.equal((await sourceRows()).length > 0, true, "the captured table and its data are kept");
    });
});
