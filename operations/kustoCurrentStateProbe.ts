// The production probe for `npm run verify`: asks ADX, over the v1 query endpoint, what the
// model's current-state function returns for one key.
import { getKustoAccessToken, rowsOf, runKustoQuery } from "../kql/kustoRestClient";
import { CurrentStateProbe } from "./verifyPipeline";
import { adxColumnName, kustoIdentifier } from "../kql/adxModel";

export interface KustoProbeTarget {
    queryUri: string;
    database: string;
    /** The current-state function, e.g. retail_orders_info_current, and its (single, integer) key column. */
    functionName: string;
    key: string;
}

/** The KQL that reads one key's current row. */
export function buildCurrentRowQuery(target: Pick<KustoProbeTarget, "functionName" | "key">, keyValue: string): string {
    if (!/^\d+$/.test(keyValue)) throw new Error(`key value ${JSON.stringify(keyValue)} is not an integer`);
    if (!/^\w+$/.test(target.functionName)) throw new Error("the function must be a plain identifier");
    return `${target.functionName}() | where ${kustoIdentifier(adxColumnName(target.key))} == ${keyValue} | take 1`;
}

export function kustoCurrentStateProbe(target: KustoProbeTarget): CurrentStateProbe {
    let token: Promise<string> | undefined;
    return {
        description: `${target.functionName}() in ${target.queryUri}/${target.database}`,
        async findRow(keyValue: string) {
            token ??= getKustoAccessToken(target.queryUri);
            const tables = await runKustoQuery(target.queryUri, target.database, buildCurrentRowQuery(target, keyValue), await token);
            return rowsOf(tables[0])[0];
        },
    };
}
