// `pg-adx-cdc demo` end to end, as the README's "try it" runs it: live lines while the generator
// runs, then the rows in ADX equal to the source; every process it started is gone afterwards. Then
// with --adx-cluster, against a cluster of its own.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDemo } from "../../operations/demoCommand";
import { createLocalTls } from "../../local/localTls";
import { startAdxTestDouble } from "../../local/doubles/adxRestTestDouble";

it("demo: the whole pipeline locally, live lines, then ADX equal to the source, and nothing left running", async () => {
    const lines: string[] = [];
    const code = await runDemo({ rate: 50, durationMs: 8000, updates: 0.2, deletes: 0.05, write: (l) => (lines.push(l), process.stderr.write(`e2e ${l}\n`)) });
    assert.equal(code, 0);
    assert.ok(
        lines.filter((l) => /^demo: \d+ changes\/s \| topic \d+ records \| ADX \d+ change rows, \d+ behind \| commit→ADX p50 (-|\d+ ms)$/.test(l)).length >= 5,
        "a live line a second",
    );
    assert.match(lines.join("\n"), /^demo: retail\.orders_info: (\d+) rows in PostgreSQL, \1 current rows in ADX \(\d+ change rows\) — equal$/m);
    // Value by value, as `pg-adx-cdc reconcile` proves it on a deployed stack.
    assert.match(lines.join("\n"), /^demo: reconcile retail\.orders_info: EQUAL \(0 of 16 bucket digests differed, \d+ ms\)$/m);
    assert.match(lines.join("\n"), /^demo: analytics functions .*TotalSalesPerCity\(\).* created; the local test double does not run them \(--adx-cluster does\)$/m);
    assert.equal(lines[lines.length - 1], "demo: stopped; nothing left running");
});

it("demo --adx-cluster: a cluster of its own (here the ADX test double, queued like a free cluster), signed in with the credential chain's token; a refused token stops it before anything starts", async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-adx-cdc-e2e-cluster-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    // The cluster's certificate comes from a CA the worker knows only through --adx-ca (a TLS-inspecting proxy's, say).
    const clusterTls = createLocalTls(dir);
    const token = `credential-chain-${Math.random().toString(36).slice(2)}`;
    const cluster = await startAdxTestDouble({ tls: { cert: clusterTls.certPem, key: clusterTls.keyPem }, acceptedToken: token });
    t.after(() => cluster.close());
    const adxCluster = { clusterUri: cluster.url, ingestionUri: cluster.url, database: "demo_db", streaming: false, caFiles: [clusterTls.certFile] };

    // What `az account get-access-token` would put there: the credential helper's first source.
    process.env.AZURE_KUSTO_ACCESS_TOKEN = "a-token-for-another-cluster";
    const startedAt = Date.now();
    await assert.rejects(
        runDemo({ rate: 50, durationMs: 1000, updates: 0, deletes: 0, adxCluster, write: () => undefined }),
        /--adx-cluster .* --adx-database demo_db: .*401.*az login/s,
    );
    assert.ok(Date.now() - startedAt < 10_000, "refused before any process starts");

    process.env.AZURE_KUSTO_ACCESS_TOKEN = token;
    const lines: string[] = [];
    const code = await runDemo({ rate: 50, durationMs: 6000, updates: 0.2, deletes: 0.05, adxCluster, write: (l) => (lines.push(l), process.stderr.write(`e2e ${l}\n`)) });
    assert.equal(code, 0);
    const output = lines.join("\n");
    assert.match(output, new RegExp(`capturing retail\\.orders_info → ADX cluster ${cluster.url}, database demo_db \\(queued ingestion\\)`));
    assert.match(output, /^demo: retail\.orders_info: (\d+) rows in PostgreSQL, \1 current rows in ADX \(\d+ change rows\) — equal$/m);
    assert.match(output, /^demo: reconcile retail\.orders_info: EQUAL \(0 of 16 bucket digests differed, \d+ ms\)$/m);
    // The model went to the named database; the real sink ingested queued with the same token (the cluster accepts no other).
    assert.ok(cluster.commands.some((c) => c.db === "demo_db" && c.csl.startsWith(".create-merge table retail_orders_info")));
    assert.ok(cluster.ingestRequests.length > 0 && cluster.ingestRequests.every((r) => r.kind === "queued" && r.status === 200 && r.db === "demo_db"));
    // The analytics functions were asked for there (the double does not evaluate their summarize: it says so, and the demo prints it).
    for (const fn of ["TotalSalesPerCity", "AverageSalesPerCity", "OrdersPerCity"]) {
        assert.ok(cluster.queries.some((q) => q.csl === `${fn}() | take 5`));
        assert.match(output, new RegExp(`^demo: ${fn}\\(\\): ADX answered: `, "m"));
    }
    assert.match(lines[lines.length - 1], /^demo: stopped; nothing left running \(the tables stay in demo_db to query\)$/);
});
