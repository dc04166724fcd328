// The program under Pulumi mocks with Pulumi.prod.yaml but a Connect host outside Azure
// (sinkIdentity.kind clientSecret): the workers have no managed identity to present to Event Hubs, so
// the namespace keeps SAS: a Listen+Send rule for the workers (its key only in a secret file of each),
// a Listen-only one for the operators, both rotated by kafka.eventHubs.keyRotation.
import { before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { MOCK_EVENT_HUBS_KEY, REGISTERED_URNS, resolveOutput, secretFilesOf } from "../support/pulumiMocks";
import { CONNECT_IMAGE_USER } from "../../connectors/workerSettings";
import { connectWorkerEnvironments, ProgramRun, runProgramWithStackFile } from "../support/programUnderMocks";

let run: ProgramRun;

before(async () => {
    run = await runProgramWithStackFile("prod", { "pg-adx-cdc:sinkIdentity": { kind: "clientSecret" } }, ["pg-adx-cdc:sinkIdentity"]);
});

describe("the program with Pulumi.prod.yaml on a Connect host outside Azure: Event Hubs with SAS keys", () => {
    it("keeps local auth on, with two rules: the workers get no Manage right, the operators only Listen; no role assignment on the namespace", () => {
        assert.notEqual(run.one("azure-native:eventhub:Namespace").inputs.disableLocalAuth, true);
        const rules = Object.fromEntries(run.byType("azure-native:eventhub:NamespaceAuthorizationRule").map((r) => [r.inputs.authorizationRuleName, r.inputs.rights]));
        assert.deepEqual(rules, { "kafka-clients": ["Listen", "Send"], operators: ["Listen"] });
        assert.deepEqual(
            run.byType("azure-native:authorization:RoleAssignment").filter((g) => g.name.startsWith("cdc-event-hubs-")),
            [],
        );
    });

    it("hands operators the Listen-only rule's connection string, never the workers' Listen+Send one", async () => {
        const output = await resolveOutput<string>(run.program.eventHubsConnectionString);
        assert.equal(output.secret, true);
        assert.match(output.value, /;SharedAccessKeyName=operators;/);
    });

    it("runs two Connect workers in one group against Event Hubs over SASL_SSL, the connection string only in a secret file of each", () => {
        const workers = connectWorkerEnvironments(run);
        assert.equal(workers.length, 2);
        for (const { worker, env } of workers) {
            assert.equal(env.CONNECT_SECURITY_PROTOCOL, "SASL_SSL");
            assert.equal(env.CONNECT_SASL_MECHANISM, "PLAIN");
            assert.equal(
                env.CONNECT_SASL_JAAS_CONFIG,
                'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="${dir:/run/secrets/pg-adx-cdc:eventhubs-connection-string}";',
            );
            const files = secretFilesOf(worker, CONNECT_IMAGE_USER.uid);
            assert.match(files["/run/secrets/pg-adx-cdc/eventhubs-connection-string"], /SharedAccessKeyName=kafka-clients;SharedAccessKey=mock-eventhubs-key-value/);
            assert.deepEqual(
                Object.entries(env).filter(([, v]) => v.includes(MOCK_EVENT_HUBS_KEY)),
                [],
                "the key is in no environment variable",
            );
        }
        for (const connector of run.dynamic("KafkaConnector")) assert.ok(!JSON.stringify(connector.inputs).includes(MOCK_EVENT_HUBS_KEY));
    });

    it("rotates the Event Hubs keys with kafka.eventHubs.keyRotation: the workers' key switches before the workers are replaced, the old one is retired after all of them", () => {
        const rotations = run.dynamic("EventHubsKeyRotation");
        const byName = Object.fromEntries(rotations.map((r) => [r.name, r.inputs]));
        assert.deepEqual(Object.keys(byName).sort(), ["cdc-event-hubs-kafka-clients-key", "cdc-event-hubs-kafka-clients-retired-key", "cdc-event-hubs-operators-key"]);
        assert.equal(byName["cdc-event-hubs-kafka-clients-key"].mode, "activate");
        assert.equal(byName["cdc-event-hubs-kafka-clients-retired-key"].mode, "retire");
        assert.deepEqual([byName["cdc-event-hubs-operators-key"].mode, byName["cdc-event-hubs-operators-key"].retireKey], ["retire", "PrimaryKey"]);
        for (const r of rotations) assert.equal(r.inputs.trigger, "initial");
        const urnOf = (name: string) => REGISTERED_URNS.find((u) => u.name === name)!;
        const retired = urnOf("cdc-event-hubs-kafka-clients-retired-key");
        for (const worker of run.byType("docker:index/container:Container").filter((c) => c.inputs.name.startsWith("pg-adx-cdc-connect-")))
            assert.ok(retired.dependencies.includes(urnOf(worker.name).urn), `the old key is retired only after ${worker.name} has the new one`);
        assert.ok(retired.dependencies.includes(urnOf("cdc-event-hubs-kafka-clients-key").urn));
    });
});
