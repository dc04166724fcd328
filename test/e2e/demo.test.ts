// `pg-adx-cdc demo` end to end, as the README's "try it" runs it: live lines while the generator
// runs, then the rows in ADX equal to the source; every process it started is gone afterwards.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { runDemo } from "../../operations/demoCommand";

it("demo: the whole pipeline locally, live lines, then ADX equal to the source, and nothing left running", async () => {
    const lines: string[] = [];
    const code = await runDemo({ rate: 50, durationMs: 8000, updates: 0.2, deletes: 0.05, write: (l) => (lines.push(l), process.stderr.write(`e2e ${l}\n`)) });
    assert.equal(code, 0);
    assert.ok(
        lines.filter((l) => /^demo: \d+ changes\/s \| topic \d+ records \| ADX \d+ change rows, \d+ behind \| commit→ADX p50 (-|\d+ ms)$/.test(l)).length >= 5,
        "a live line a second",
    );
    assert.match(lines.join("\n"), /^demo: retail\.orders_info: (\d+) rows in PostgreSQL, \1 current rows in ADX \(\d+ change rows\) — equal$/m);
    assert.equal(lines[lines.length - 1], "demo: stopped; nothing left running");
});
