// Without the sink's source at hand and without internet access, the demo and the tests say what they
// tried to download, how a proxy is used, and where to put a copy instead.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureKustoSinkPlugin, KUSTO_SINK_SOURCE_ENV } from "../../local/kustoSinkBuild";
import { kustoSinkArchiveUrl } from "../../versions";

const emptyCheckout = () => fs.mkdtempSync(path.join(os.tmpdir(), "no-vendor-"));

it("a failed download names the URL, the proxy setting and the variable for a local copy", async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async () => {
        throw new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } });
    }) as typeof fetch;
    try {
        // A checkout with no ../shared/vendor beside it and an empty cache: the download is the only way.
        const repo = path.join(emptyCheckout(), "repo");
        fs.mkdirSync(repo);
        await assert.rejects(ensureKustoSinkPlugin(repo, emptyCheckout()), (e: Error) => {
            assert.match(e.message, new RegExp(`\\(ENOTFOUND\\) from ${kustoSinkArchiveUrl().replace(/[.?]/g, "\\$&")}`));
            assert.match(e.message, /NODE_USE_ENV_PROXY=1/);
            assert.match(e.message, new RegExp(`export ${KUSTO_SINK_SOURCE_ENV}=`));
            return true;
        });
    } finally {
        globalThis.fetch = realFetch;
    }
});

it(`${KUSTO_SINK_SOURCE_ENV} naming neither a checkout nor an archive is refused, naming both forms`, async () => {
    process.env[KUSTO_SINK_SOURCE_ENV] = "/nonexistent/kusto-sink.tar.gz";
    try {
        await assert.rejects(ensureKustoSinkPlugin(emptyCheckout(), emptyCheckout()), /is neither a directory with pom\.xml nor a \.tar\.gz archive/);
    } finally {
        delete process.env[KUSTO_SINK_SOURCE_ENV];
    }
});
