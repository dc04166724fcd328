// Kafka as Event Hubs serves it to a Connect host outside Azure (sinkIdentity.kind clientSecret): no
// managed identity to present, so the namespace keeps SAS and the broker speaks SASL_SSL + PLAIN only
// (user `$ConnectionString`, a connection-string password). The key reaches the worker only as a file
// of its secrets directory; the pipeline's changes arrive exactly, and status reads the topics with the
// operators' connection string. (Entra ID, the default with a managed identity: eventHubsKafka.test.ts.)
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { E2E_CONNECT_GROUP_ID, LocalPipeline, startLocalPipeline } from "../../local/localPipeline";
import { adminClient, CAPTURED_TABLE, CapturedSource, setUpCapturedSource } from "../../local/capturedSource";
import { deployKustoSink, KustoSinkDeployment } from "../../local/kustoSinkDeployment";
import { waitUntilEqual } from "./harness/sourceComparison";
import { deadLetterTopicFor } from "../../connectors/kafkaTopics";
import { eventHubsLikeTopics } from "../../local/eventHubsLikeBroker";
import { OPERATOR_SECRET_ENV, workerSecretReference } from "../../connectors/workerSettings";
import { runOrdersGenerator } from "../../generator/ordersGenerator";
import { kafkaClient } from "../../runtime/kafkaClient";
import { readTopicOffsets } from "../../operations/pipelineHealth";

const PREFIX = "ehsas";
const TABLE = CAPTURED_TABLE;
const topics = eventHubsLikeTopics({ topicPrefix: PREFIX, tables: [TABLE], connectGroupId: E2E_CONNECT_GROUP_ID, tablePartitions: 2 });
let pipeline: LocalPipeline;
let source: CapturedSource;
let sink: KustoSinkDeployment;
const started = Date.now();

before(async () => {
    pipeline = await startLocalPipeline({ kafkaMode: "eventhubs", eventHubsAuthentication: "sharedAccessKey", topics, tablePartitions: 2 });
    source = await setUpCapturedSource(pipeline, { topicPrefix: PREFIX, connectorName: "ehsas-postgres-source", preexistingRows: 100 });
    sink = await deployKustoSink(pipeline, { topicPrefix: PREFIX, tables: [TABLE] });
});

after(async () => {
    await source?.close();
    await pipeline?.stop();
    process.stderr.write(`e2e: eventHubsSharedKey.test wall time ${Math.round((Date.now() - started) / 1000)} s\n`);
});

describe("Kafka as Event Hubs serves it with SAS keys (SASL_SSL, PLAIN $ConnectionString), for a host outside Azure", () => {
    it("only the connection string gets in; it reaches the worker only as a file of its secrets directory, not its environment or its properties", async () => {
        const connectionString = process.env[OPERATOR_SECRET_ENV.eventHubsConnectionString]!;
        assert.match(connectionString, /SharedAccessKey=/);
        process.env[OPERATOR_SECRET_ENV.eventHubsConnectionString] = "Endpoint=sb://localhost/;SharedAccessKeyName=kafka-clients;SharedAccessKey=wrong";
        const wrong = kafkaClient(pipeline.kafka, "ehsas-wrong-password", { retry: { retries: 0 } }).admin();
        process.env[OPERATOR_SECRET_ENV.eventHubsConnectionString] = connectionString;
        await assert.rejects(wrong.connect(), /SASL PLAIN authentication failed|Authentication failed|authentication/i);

        const key = connectionString.split("SharedAccessKey=")[1];
        const reference = workerSecretReference(pipeline.secretsDir, "eventHubsConnectionString");
        assert.equal(fs.readFileSync(reference.slice("${dir:".length, -1).replace(":", "/"), "utf8"), connectionString);
        for (const worker of pipeline.processes.connectWorkers)
            assert.ok(!fs.readFileSync(`/proc/${worker.child.pid}/environ`, "utf8").includes(key), `${worker.name}'s environment does not hold the key`);
        for (const file of fs.readdirSync(pipeline.workDir).filter((f) => f.startsWith("connect-distributed"))) {
            const text = fs.readFileSync(path.join(pipeline.workDir, file), "utf8");
            assert.ok(!text.includes(key), `${file} does not hold the key`);
            assert.match(text, /^sasl\.mechanism=PLAIN$/m);
            assert.ok(text.includes(`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="${reference}";\n`));
        }
    });

    it("snapshot, inserts, updates and deletes reach ADX: the current state equals the source; status's offsets read through the same SASL settings", async () => {
        const client = await adminClient(pipeline);
        const report = await runOrdersGenerator(client, { rate: 200, durationMs: 5_000, updates: 0.3, deletes: 0.1, batchSize: 5 });
        await client.end();
        const [result] = await waitUntilEqual(pipeline, source.admin, sink, [TABLE], "eventhubs with SAS", 120_000);
        assert.deepEqual(result.mismatches, []);
        assert.equal(result.adxRows, result.sourceRows);
        const offsets = await readTopicOffsets(pipeline.kafka, [`${PREFIX}.${TABLE}`], deadLetterTopicFor(PREFIX), sink.connectorName);
        assert.equal(offsets.topics[0].endOffset, 100 + report.inserts + report.updates + report.deletes);
        assert.equal(offsets.deadLetters!.count, 0);
    });
});
