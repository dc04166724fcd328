// Stack files say only what differs from the defaults: a setting that restates a default is a second
// copy of that fact, and would silently pin it when the default changes.
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { parseStackConfig } from "../../config/stackConfig";
import { readStackFile } from "../support/pulumiMocks";

for (const stack of ["dev", "prod", "free"]) {
    it(`Pulumi.${stack}.yaml: every setting differs from its default`, () => {
        const raw: Record<string, any> = {};
        for (const [key, value] of Object.entries(readStackFile(stack))) if (key.startsWith("pg-adx-cdc:")) raw[key.slice("pg-adx-cdc:".length)] = value;
        // The free cluster's URI is the operator's to set (the stack file cannot know it).
        if (stack === "free") raw.adx = { ...raw.adx, clusterUri: "https://kvc-x.northeurope.kusto.windows.net" };
        const parsed = JSON.stringify(parseStackConfig(raw, stack));
        const restated: string[] = [];
        for (const [section, value] of Object.entries(raw)) {
            const keys = value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [undefined];
            for (const key of keys) {
                if (stack === "free" && section === "adx" && key === "clusterUri") continue;
                const without = { ...raw, [section]: key === undefined ? undefined : { ...value } };
                if (key === undefined) delete without[section];
                else delete without[section][key];
                try {
                    if (JSON.stringify(parseStackConfig(without, stack)) === parsed) restated.push(key ? `${section}.${key}` : section);
                } catch {
                    // Required here (its absence is an error): not a restated default.
                }
            }
        }
        assert.deepEqual(restated, [], `Pulumi.${stack}.yaml restates defaults; remove them`);
    });
}
