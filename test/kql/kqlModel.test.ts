// KQL static analysis with Microsoft's Kusto language service, and the consistency of the ADX
// model with the Debezium records and the sink config.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { analyzeKqlScripts } from "./kustoLanguageService";
import { buildDropCommands, currentStateOf, isStreamingIngestionPolicy, KQL_DIRECTORY, loadKqlScripts, sinkTargetOf, splitKqlCommands, withoutKqlCommands } from "../../kql/kqlModel";
import { buildIngestorGrantScript } from "../../components/sinkIdentity";
import { changeMetadataFields } from "../../connectors/debeziumSource";
import { ORDERS_TABLE } from "../../postgres/sourceSchema";
import { buildKustoSinkConfig } from "../../connectors/kustoSink";

const modelled = fs.readdirSync(KQL_DIRECTORY).filter((d) => fs.statSync(path.join(KQL_DIRECTORY, d)).isDirectory());

describe("KQL static analysis (Kusto language service)", () => {
    it("finds a model for the captured tables", () => assert.deepEqual(modelled, ["retail.orders_info"]));

    for (const table of modelled) {
        it(`${table}: every command, view and function analyzes with zero diagnostics`, () => {
            const diagnostics = analyzeKqlScripts(loadKqlScripts(table));
            assert.deepEqual(diagnostics, []);
        });
    }

    it("reports a misspelled column with the language service's own message", () => {
        const scripts = loadKqlScripts("retail.orders_info").map((s) => (s.name.endsWith("50-analytics.kql") ? { ...s, text: s.text.replace("by city\n    | render columnchart", "by cty\n    | render columnchart") } : s));
        const diagnostics = analyzeKqlScripts(scripts);
        assert.ok(diagnostics.some((d) => /The name 'cty' does not refer to any known column/.test(d.message)), JSON.stringify(diagnostics));
    });

    it("reports an unknown function and a mapping to a missing column", () => {
        const scripts = loadKqlScripts("retail.orders_info").map((s) =>
            s.name.endsWith("40-current-state.kql") ? { ...s, text: s.text.replace("arg_max(lsn, *)", "arg_maxx(lsn, *)") } : s.name.endsWith("20-mapping.kql") ? { ...s, text: s.text.replace('"column": "city"', '"column": "town"') } : s,
        );
        const messages = analyzeKqlScripts(scripts).map((d) => d.message).join("\n");
        assert.match(messages, /arg_maxx/);
        assert.match(messages, /mapping column town does not exist/);
    });
});

describe("consistency of the ADX model with the pipeline", () => {
    const scripts = loadKqlScripts("retail.orders_info");
    const target = sinkTargetOf(scripts);

    it("maps exactly the fields the Debezium config produces", () => {
        const produced = [...ORDERS_TABLE.columns.map((c) => c.name), ...changeMetadataFields()].map((f) => `$.${f}`).sort();
        assert.deepEqual(target.mappingColumns.map((c) => c.path).sort(), produced);
    });

    it("gives every source column a raw-table column of the same name", () => {
        for (const c of ORDERS_TABLE.columns) assert.ok(target.tableColumns.some((t) => t.name === c.name), c.name);
    });

    it("points the sink at the model's table and mapping with streaming on", () => {
        const config = buildKustoSinkConfig({ connectorName: "s", ingestionUrl: "https://ingest-x.kusto.windows.net", queryUrl: "https://x.kusto.windows.net", auth: { strategy: "application", tenantId: "t", appId: "a", appKeyEnvVar: "K" }, targets: [{ topic: "cdc.retail.orders_info", database: "cdc", table: target.table, mapping: target.mapping }], deadLetterTopic: "dlq", deadLetterReplicationFactor: 1 });
        assert.match(config["kusto.tables.topics.mapping"], /'table': 'OrdersInfoChanges'.*'mapping': 'OrdersInfoChanges_json'.*'streaming': 'true'/);
        assert.equal(config["aad.auth.appkey"], "${env:K}");
        assert.equal(config["flush.interval.ms"], "1000");
    });

    it("drops what it creates in reverse order", () => {
        assert.deepEqual(buildDropCommands(scripts), [
            ".drop function OrdersPerCity ifexists",
            ".drop function TotalSalesPerCity ifexists",
            ".drop function AverageSalesPerCity ifexists",
            ".drop function OrdersInfoCurrentState ifexists",
            ".drop materialized-view OrdersInfoLatest ifexists",
            ".delete table OrdersInfoChanges policy ingestionbatching",
            ".delete table OrdersInfoChanges policy streamingingestion",
            '.drop table OrdersInfoChanges ingestion json mapping "OrdersInfoChanges_json"',
            ".drop table OrdersInfoChanges ifexists",
        ]);
        assert.equal(splitKqlCommands(scripts.map((s) => s.text).join("\n")).length, 10);
    });
});

describe("model variants the stack applies", () => {
    const scripts = loadKqlScripts("retail.orders_info");

    it("queued-only (free cluster): the streaming policy is left out, everything else stays and still analyzes clean", () => {
        const queued = withoutKqlCommands(scripts, isStreamingIngestionPolicy);
        const commands = (list: typeof scripts) => list.flatMap((s) => splitKqlCommands(s.text));
        assert.deepEqual(commands(scripts).filter((c) => !commands(queued).includes(c)).map((c) => c.split("\n")[0]), [".alter table OrdersInfoChanges policy streamingingestion enable"]);
        assert.equal(commands(queued).length, commands(scripts).length - 1);
        assert.deepEqual(analyzeKqlScripts(queued), []);
    });

    it("the current-state function, its view and key are read from the model, for npm run verify", () => {
        assert.deepEqual(currentStateOf(scripts), { functionName: "OrdersInfoCurrentState", view: "OrdersInfoLatest", key: "orderid" });
    });

    it("the sink's KQL grant on an existing cluster analyzes clean and is reversible", () => {
        const grant = buildIngestorGrantScript("cdc", "11111111-2222-3333-4444-555555555555", "00000000-0000-0000-0000-0000000000aa");
        assert.deepEqual(analyzeKqlScripts([grant]), []);
        assert.deepEqual(buildDropCommands([grant]), [".drop database ['cdc'] ingestors ('aadapp=11111111-2222-3333-4444-555555555555;00000000-0000-0000-0000-0000000000aa')"]);
        assert.throws(() => buildIngestorGrantScript("cdc", "not-a-guid", "t"), /not a GUID/);
    });
});
