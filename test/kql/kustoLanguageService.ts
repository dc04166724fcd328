// Microsoft's Kusto language service (@kusto/language-service-next): builds a database symbol
// from the tables, views and functions the .kql files declare, and analyzes each command.
import * as path from "path";
import { describeKqlCommand, KqlScript, splitKqlCommands } from "../../kql/kqlModel";

let loaded: any;
function kusto(): any {
    if (!loaded) {
        const dir = path.dirname(require.resolve("@kusto/language-service-next/package.json"));
        require(path.join(dir, "bridge.js"));
        require(path.join(dir, "Kusto.Language.Bridge.js"));
        loaded = (globalThis as any).Kusto.Language;
    }
    return loaded;
}

const SCALARS: Record<string, string> = {
    long: "Long",
    int: "Int",
    decimal: "Decimal",
    string: "String",
    datetime: "DateTime",
    bool: "Bool",
    real: "Real",
    dynamic: "Dynamic",
    guid: "Guid",
    timespan: "TimeSpan",
};

export interface KqlDiagnostic {
    script: string;
    command: string;
    severity: string;
    message: string;
}

/** Analyzes every command of the scripts in order, each against the schema declared before it. */
export function analyzeKqlScripts(scripts: KqlScript[], databaseName = "cdc"): KqlDiagnostic[] {
    const K = kusto();
    const S = K.Symbols;
    const members: any[] = [];
    const diagnostics: KqlDiagnostic[] = [];
    const globalsNow = () => K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor(databaseName, members));
    for (const script of scripts) {
        for (const command of splitKqlCommands(script.text)) {
            const code = K.KustoCode.ParseAndAnalyze(command, globalsNow());
            const found = code.GetDiagnostics();
            for (let i = 0; i < found.Count; i++) {
                const d = found.getItem(i);
                diagnostics.push({
                    script: script.name,
                    command: command.split("\n")[0],
                    severity: String(d.Severity),
                    message: `${d.Message} (at "${command.substr(d.Start, Math.max(1, d.Length))}")`,
                });
            }
            const object = describeKqlCommand(command);
            if (object.kind === "table") {
                const columns = object.columns.map((c) => {
                    if (!SCALARS[c.type]) throw new Error(`${script.name}: unknown Kusto type ${c.type} for ${c.name}`);
                    return new S.ColumnSymbol.ctor(c.name, S.ScalarTypes[SCALARS[c.type]], null, null, null, null);
                });
                members.push(new S.TableSymbol.$ctor4(object.name, columns));
            } else if (object.kind === "materialized-view") {
                const result = K.KustoCode.ParseAndAnalyze(object.query, globalsNow()).ResultType;
                const columns: any[] = [];
                for (let i = 0; i < result.Columns.Count; i++) columns.push(result.Columns.getItem(i));
                members.push(new S.MaterializedViewSymbol.$ctor2(object.name, columns, object.query));
            } else if (object.kind === "function") {
                members.push(new S.FunctionSymbol.$ctor11(object.name, object.body, []));
            } else if (object.kind === "mapping") {
                const table = members.find((m) => m.Name === object.table);
                if (!table) diagnostics.push({ script: script.name, command: command.split("\n")[0], severity: "Error", message: `mapping targets unknown table ${object.table}` });
                const names: string[] = [];
                for (let i = 0; table && i < table.Columns.Count; i++) names.push(table.Columns.getItem(i).Name);
                for (const c of object.columns) {
                    if (table && !names.includes(c.column))
                        diagnostics.push({
                            script: script.name,
                            command: command.split("\n")[0],
                            severity: "Error",
                            message: `mapping column ${c.column} does not exist in table ${object.table}`,
                        });
                }
            }
        }
    }
    return diagnostics;
}
