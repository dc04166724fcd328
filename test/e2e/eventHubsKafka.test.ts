// Kafka as Event Hubs serves it to a Connect host in Azure, with two Connect workers: the broker speaks
// only SASL_SSL (a certificate the harness made) + OAUTHBEARER, accepting only Entra-like tokens for the
// namespace's audience signed by the identity double's keys (local auth off: PLAIN is not offered),
// creates no topic on demand, and holds exactly the topics the stack's topic list names (Connect's
// three compacted). The workers run the stack's Event Hubs worker settings and log in as the host's
// managed identity through pg-adx-cdc's login handler; no key exists anywhere. The connectors are the
// stack's, with gzip. Then the pipeline's proofs through it, and kill -9 of the worker running the
// source task under load: the tasks move to the other worker and nothing is lost. (SAS keys, for a host
// outside Azure: eventHubsSharedKey.test.ts.)
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { E2E_CONNECT_GROUP_ID, E2E_OPERATOR_PRINCIPAL_ID, LocalPipeline, startLocalPipeline } from "../../local/localPipeline";
import { adminClient, CAPTURED_TABLE, CapturedSource, setUpCapturedSource } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { waitUntilEqual } from "./harness/sourceComparison";
import { deadLetterTopicFor } from "../../connectors/kafkaTopics";
import { eventHubsLikeTopics } from "../../local/eventHubsLikeBroker";
import { connectInternalTopics, MANAGED_IDENTITY_LOGIN_HANDLER_CLASS, OPERATOR_SECRET_ENV, WORKER_SECRET_FILES } from "../../connectors/workerSettings";
import { connectRequest } from "../../connectors/connectRestClient";
import { runOrdersGenerator } from "../../generator/ordersGenerator";
import { kafkaClient } from "../../runtime/kafkaClient";
import { readTopicOffsets } from "../../operations/pipelineHealth";
import { adxNamesFor } from "../../kql/adxModel";
import { eventHubsOperatorAuthentication } from "../../connectors/workerSettings";
import { localOperationsOutputs } from "./harness/operationsOutputs";
import { REPO_ROOT } from "../../local/prerequisites";
import { execFile } from "child_process";
import { pollUntil } from "../../runtime/pollUntil";

const PREFIX = "eh";
const SOURCE = "eh-postgres-source";
const TABLE = CAPTURED_TABLE;
const TABLE_PARTITIONS = 2;
const topics = eventHubsLikeTopics({ topicPrefix: PREFIX, tables: [TABLE], connectGroupId: E2E_CONNECT_GROUP_ID, tablePartitions: TABLE_PARTITIONS });
let pipeline: LocalPipeline;
let source: CapturedSource;
let sink: KustoSinkDeployment;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline({ kafkaMode: "eventhubs", eventHubsAuthentication: "managedIdentity", connectWorkers: 2, topics, tablePartitions: TABLE_PARTITIONS });
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: SOURCE, preexistingRows: 300 });
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [TABLE] });
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: eventHubsKafka.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

type TaskPlacement = { connector: string; state: string; worker: string }[];

/** Where each connector's tasks run, asked of a worker that is up. */
async function taskPlacement(connectUrl: string): Promise<TaskPlacement> {
    const placement: TaskPlacement = [];
    for (const connector of [SOURCE, sink.connectorName]) {
        const response = await connectRequest(connectUrl, "GET", `/connectors/${connector}/status`, undefined, { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 });
        for (const task of response.data?.tasks ?? []) placement.push({ connector, state: task.state, worker: task.worker_id });
    }
    return placement;
}

const workerId = (url: string) => new URL(url).host;

/** Distinct change events the real sink delivered into ADX (the double), and all rows it delivered. */
function delivered(): { distinct: Set<string>; rows: number } {
    const rows = pipeline.adx.ingested.get(sink.models[0].names.changes) ?? [];
    return { distinct: new Set(rows.filter((r) => r.row.op !== "r").map((r) => `${r.row.orderid}/${r.row.lsn}/${r.row.op}`)), rows: rows.length };
}

/** A client of the Event-Hubs-like endpoint presenting `token` as its Entra token (as an operator's `az login` would). */
async function connectsWithToken(token: string): Promise<void> {
    const saved = process.env[OPERATOR_SECRET_ENV.eventHubsAccessToken];
    process.env[OPERATOR_SECRET_ENV.eventHubsAccessToken] = token;
    const admin = kafkaClient(pipeline.kafka, "eh-token-probe", { retry: { retries: 0 } }).admin();
    try {
        await admin.connect();
        await admin.listTopics();
    } finally {
        process.env[OPERATOR_SECRET_ENV.eventHubsAccessToken] = saved;
        await admin.disconnect().catch(() => undefined);
    }
}

describe("Kafka as Event Hubs serves it to a host with a managed identity (SASL_SSL, OAUTHBEARER only, no auto-creation) with two Connect workers", () => {
    it("1. only an Entra token for this namespace, signed by the trusted keys, gets in; no SAS key does (local auth off); topics exist only as the stack's list made them, Connect's three compacted", async () => {
        const auth = pipeline.kafka.authentication;
        assert.ok(auth?.mechanism === "OAUTHBEARER");
        await connectsWithToken(pipeline.managedIdentity.signToken(auth.resource, E2E_OPERATOR_PRINCIPAL_ID));
        // Another namespace's token (the audience checked), and a token whose signature is not the issuer's: refused,
        // for that reason (kafkajs only sees the connection closed, so the broker's log says why).
        const refused = /No brokers in the broker pool|authentication|SASL/i;
        await assert.rejects(connectsWithToken(pipeline.managedIdentity.signToken("https://another-namespace.servicebus.windows.net", E2E_OPERATOR_PRINCIPAL_ID)), refused);
        const [header, claims] = pipeline.managedIdentity.signToken(auth.resource, E2E_OPERATOR_PRINCIPAL_ID).split(".");
        await assert.rejects(connectsWithToken(`${header}.${claims}.${Buffer.from("not the issuer's signature").toString("base64url")}`), refused);
        const brokerLog = fs.readFileSync(path.join(pipeline.workDir, "kafka.log"), "utf8");
        assert.match(brokerLog, /Audience \(aud\) claim \[https:\/\/another-namespace\.servicebus\.windows\.net\] doesn't contain an acceptable identifier/);
        assert.match(brokerLog, /JWT rejected due to invalid signature/);
        // A SAS connection string: the listener does not even offer PLAIN.
        process.env.EH_PROBE_SAS = "Endpoint=sb://localhost/;SharedAccessKeyName=kafka-clients;SharedAccessKey=anything";
        const sas = kafkaClient(
            {
                bootstrapServers: pipeline.kafka.bootstrapServers,
                authentication: { protocol: "SASL_SSL", mechanism: "PLAIN", username: "$ConnectionString", passwordEnvVar: "EH_PROBE_SAS", passwordOutput: "none" },
            },
            "eh-sas-probe",
            { retry: { retries: 0 } },
        );
        await assert.rejects(sas.admin().connect(), /SASL|mechanism|authentication/i);
        delete process.env.EH_PROBE_SAS;

        const admin = kafkaClient(pipeline.kafka, "eh-admin").admin();
        await admin.connect();
        try {
            const existing = (await admin.listTopics()).filter((t) => !t.startsWith("__"));
            assert.deepEqual(existing.sort(), topics.map((t) => t.name).sort(), "the broker holds exactly the stack's topics: nothing was created on demand");
            const described = await admin.describeConfigs({
                includeSynonyms: false,
                resources: connectInternalTopics(E2E_CONNECT_GROUP_ID).map((t) => ({ type: 2, name: t.name, configNames: ["cleanup.policy"] })),
            });
            for (const r of described.resources) assert.equal(r.configEntries[0].configValue, "compact", `${r.resourceName} is compacted`);
            const metadata = await admin.fetchTopicMetadata({ topics: [`${PREFIX}.${TABLE}`] });
            assert.equal(metadata.topics[0].partitions.length, TABLE_PARTITIONS);
        } finally {
            await admin.disconnect();
        }
        // A topic nobody created stays uncreated: a producer to it fails instead of creating it.
        const producer = kafkaClient(pipeline.kafka, "eh-producer", { retry: { retries: 1, initialRetryTime: 100 } }).producer({ allowAutoTopicCreation: true });
        await producer.connect();
        await assert.rejects(producer.send({ topic: `${PREFIX}.not-an-event-hub`, messages: [{ value: "x" }] }), /does not host this topic-partition|UNKNOWN_TOPIC|unknown topic/i);
        await producer.disconnect();
    });

    it("2. no key exists: the workers log in as the host's managed identity, whose endpoint issued them tokens for this namespace only; the source compresses with gzip", async () => {
        const auth = pipeline.eventHubsEndpoint!.authentication;
        assert.ok(auth.kind === "managedIdentity");
        assert.ok(!fs.existsSync(path.join(pipeline.secretsDir, WORKER_SECRET_FILES.eventHubsConnectionString)), "no Event Hubs secret file");
        for (const file of fs.readdirSync(pipeline.workDir).filter((f) => f.startsWith("connect-distributed"))) {
            const text = fs.readFileSync(path.join(pipeline.workDir, file), "utf8");
            assert.match(text, /^security\.protocol=SASL_SSL$/m);
            assert.match(text, /^sasl\.mechanism=OAUTHBEARER$/m);
            assert.ok(text.includes(`sasl.login.callback.handler.class=${MANAGED_IDENTITY_LOGIN_HANDLER_CLASS}\n`));
            assert.ok(
                text.includes(
                    `sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required resource="${auth.resource}" clientId="${auth.clientId}";\n`,
                ),
            );
            assert.doesNotMatch(text, /PlainLoginModule|SharedAccessKey/);
            assert.match(text, /^producer\.max\.request\.size=1000000$/m);
            assert.match(text, /^topic\.creation\.enable=false$/m);
        }
        // Every login of every client of both workers asked the identity endpoint, as the one identity, for the namespace.
        const forNamespace = pipeline.managedIdentity.requests.filter((r) => r.resource === auth.resource);
        assert.ok(forNamespace.length >= 2, `the workers asked for Event Hubs tokens (${forNamespace.length} requests)`);
        assert.ok(forNamespace.every((r) => r.status === 200 && r.clientId === pipeline.managedIdentity.clientId));
        const config = (await connectRequest(pipeline.connectUrl, "GET", `/connectors/${SOURCE}/config`, undefined, { deadlineMs: 10_000, initialDelayMs: 200, maxDelayMs: 2000 }))
            .data;
        assert.equal(config["producer.override.compression.type"], "gzip");
    });

    it("3. snapshot, inserts, updates and deletes reach ADX through two workers: the current state equals the source", async () => {
        const client = await adminClient(pipeline);
        const report = await runOrdersGenerator(client, { rate: 300, durationMs: 8_000, updates: 0.3, deletes: 0.1, batchSize: 5 });
        await client.end();
        const [result] = await waitUntilEqual(pipeline, source.admin, sink, [TABLE], "eventhubs", 120_000);
        assert.deepEqual(result.mismatches, []);
        assert.equal(result.adxRows, result.sourceRows);
        const snapshot = (pipeline.adx.ingested.get(sink.models[0].names.changes) ?? []).filter((r) => r.row.op === "r");
        assert.equal(new Set(snapshot.map((r) => r.row.orderid)).size, 300, "every pre-existing row arrived as a snapshot read");
        assert.equal(delivered().distinct.size, report.inserts + report.updates + report.deletes, "every change arrived");
        // status reads the topics and the sink's lag through the same SASL settings.
        const offsets = await readTopicOffsets(pipeline.kafka, [`${PREFIX}.${TABLE}`], deadLetterTopicFor(PREFIX), sink.connectorName);
        assert.equal(offsets.topics[0].endOffset, 300 + report.inserts + report.updates + report.deletes);
        assert.equal(offsets.deadLetters!.count, 0);
        assert.equal(offsets.deadLetters!.exists, true);
    });

    it("4. kill -9 of the worker running the source task, under load: its tasks move to the other worker, nothing is lost", async () => {
        const before = await taskPlacement(pipeline.connectUrl);
        const sourceWorker = before.find((t) => t.connector === SOURCE)!.worker;
        const victim = pipeline.connectUrls.findIndex((url) => workerId(url) === sourceWorker);
        assert.ok(victim >= 0, `the source task runs on one of the workers (${sourceWorker})`);
        const survivor = pipeline.connectUrls[1 - victim];
        const deliveredBefore = delivered();

        const client = await adminClient(pipeline);
        const load = runOrdersGenerator(client, { rate: 200, durationMs: 30_000, updates: 0.3, deletes: 0.1, batchSize: 5 });
        // After the worker's first offset flush (offset.flush.interval.ms = 5 s), as in production.
        await new Promise((r) => setTimeout(r, 7_000));
        const killedAt = Date.now();
        await pipeline.killConnectWorker(victim);
        let lastSeen = "";
        const moved = await pollUntil({
            attempt: async () => {
                const placement = await taskPlacement(survivor).catch(() => undefined);
                lastSeen = JSON.stringify(placement);
                return placement && placement.length >= 2 && placement.every((t) => t.state === "RUNNING" && t.worker === workerId(survivor)) ? placement : undefined;
            },
            timeoutMs: 150_000,
            intervalMs: 1000,
            timeoutError: () => new Error(`tasks did not move to ${workerId(survivor)}; last placement ${lastSeen}`),
        });
        const movedSeconds = (Date.now() - killedAt) / 1000;
        const report = await load;
        await client.end();
        const made = report.inserts + report.updates + report.deletes;
        const [result] = await waitUntilEqual(pipeline, source.admin, sink, [TABLE], "eventhubs after the worker kill", 180_000);
        const after = delivered();
        const deliveredInPhase = after.distinct.size - deliveredBefore.distinct.size;
        const figures = {
            made,
            delivered: deliveredInPhase,
            // Rows the sink wrote more than once (a change re-read after the kill, or a batch re-sent).
            duplicated: after.rows - deliveredBefore.rows - deliveredInPhase,
            lost: Math.max(0, made - deliveredInPhase),
            tasksMovedSeconds: Math.round(movedSeconds * 10) / 10,
            placementBefore: before.map((t) => `${t.connector}@${t.worker}`).join(","),
            placementAfter: moved.map((t) => `${t.connector}@${t.worker}`).join(","),
        };
        process.stderr.write(`e2e: eventhubs worker kill ${JSON.stringify(figures)}\n`);
        assert.deepEqual(result.mismatches, []);
        assert.equal(result.adxRows, result.sourceRows);
        assert.equal(figures.lost, 0);
        assert.equal(figures.delivered, made);
    });

    it("5. status reads Event Hubs with the operator's own Entra token: the dead worker named, the tasks on the survivor, the topics and the sink's lag", async () => {
        const outputsFile = path.join(pipeline.workDir, "outputs.json");
        const adxNames = adxNamesFor(TABLE);
        const outputs = localOperationsOutputs(pipeline, { topicPrefix: PREFIX, sink, tables: [TABLE] });
        assert.deepEqual(
            outputs.kafkaAuthentication,
            eventHubsOperatorAuthentication(
                "managedIdentity",
                pipeline.eventHubsEndpoint!.authentication.kind === "managedIdentity" ? pipeline.eventHubsEndpoint!.authentication.resource : undefined,
            ),
            "the operator reaches Event Hubs as the stack tells it to",
        );
        fs.writeFileSync(outputsFile, JSON.stringify({ operations: outputs }));
        // Everything is in ADX; the sink commits what it flushed within an offset-commit interval or two.
        let lag: number | undefined;
        await pollUntil({
            attempt: async () => {
                lag = (await readTopicOffsets(pipeline.kafka, outputs.topics, outputs.deadLetterTopic, sink.connectorName)).sinkLag?.records;
                return lag === 0 ? true : undefined;
            },
            timeoutMs: 60_000,
            intervalMs: 1000,
            timeoutError: () => new Error(`the sink's committed offsets stayed ${lag} records behind the topic after everything reached ADX`),
        });
        // As an operator runs it: a new process, the operator's own token in its environment (as after `az account get-access-token`), nothing else.
        const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
            execFile(
                process.execPath,
                [path.join(REPO_ROOT, "dist", "operations", "cli.js"), "status", "--outputs", outputsFile],
                {
                    env: { ...process.env, PGPASSWORD: "", AZURE_KUSTO_ACCESS_TOKEN: pipeline.adxAccessToken, NODE_EXTRA_CA_CERTS: pipeline.tls.certFile },
                    timeout: 120_000,
                },
                (error, out) => resolve({ code: error ? Number((error as any).code ?? 1) : 0, stdout: out }),
            ),
        );
        process.stderr.write(`e2e: status on the Event Hubs surface after the kill:\n${stdout}`);
        const dead = pipeline.connectUrls.find((_, i) => pipeline.processes.connectWorkers[i].child.signalCode === "SIGKILL")!;
        const alive = pipeline.connectUrls.find((url) => url !== dead)!;
        assert.equal(code, 1, "a dead worker is a problem: the group has lost its redundancy");
        assert.match(stdout, new RegExp(`worker     ${dead}: DOWN`));
        assert.match(stdout, new RegExp(`worker     ${alive}: up`));
        assert.match(stdout, new RegExp(`connector  ${SOURCE}: RUNNING; tasks 0:RUNNING on ${workerId(alive)}`));
        assert.match(stdout, new RegExp(`table      ${TABLE} → ${adxNames.changes}: topic ${PREFIX}\\.${TABLE.replace(".", "\\.")} end offset [1-9]\\d*, sink behind 0 records`));
        assert.match(stdout, /dead letters eh\.adx-sink\.dlq: 0\n/);
        assert.match(stdout, new RegExp(`- Connect worker ${dead} is down`));
        assert.doesNotMatch(stdout, /Kafka at|SASL|unreachable/i);
    });
});
