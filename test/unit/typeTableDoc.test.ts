// docs/types.md is the type table rendered: a change to the table without `npm run docs:types` fails here.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { renderTypeTableMarkdown, TYPE_TABLE_DOC } from "../../kql/typeTableMarkdown";

it("docs/types.md is the type table as it is (npm run docs:types regenerates it)", () => {
    assert.equal(fs.readFileSync(TYPE_TABLE_DOC, "utf8"), renderTypeTableMarkdown());
});
