// docs/configuration.md lists every setting as the schema has it: a change to the schema without
// `npm run docs:config` fails here.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { CONFIG_REFERENCE_DOC, renderConfigReferenceMarkdown } from "../../config/configReferenceMarkdown";

it("docs/configuration.md is the config schema as it is (npm run docs:config regenerates it)", () => {
    assert.equal(fs.readFileSync(CONFIG_REFERENCE_DOC, "utf8"), renderConfigReferenceMarkdown());
});
