// Renders the type table (contract/typeTable.ts) as docs/types.md, so the documentation is the table
// itself; test/unit/typeTableDoc.test.ts fails when the file and the table differ.
// Regenerate with: npm run docs:types
import * as fs from "fs";
import * as path from "path";
import { DEBEZIUM_TYPE_SETTINGS, TYPE_TABLE } from "../contract/typeTable";
import { changeMetadataColumns, metadataColumnList } from "./adxModel";
import { repoRoot } from "../runtime/repoRoot";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderTypeTableMarkdown(): string {
    const lines = [
        "# Type table: PostgreSQL → Debezium → ADX",
        "",
        "Generated from `contract/typeTable.ts` by `npm run docs:types`; the ADX model generator and the e2e",
        "checks read the same table. Every row is proven by `test/e2e/anyTable.test.ts`: a table with one",
        "column per example type, the edge values below and a row of NULLs, captured through the real",
        "Kusto sink; PostgreSQL reads each value ADX holds back as the column's type and compares.",
        "",
        "Debezium settings the table assumes (the source connector takes them from the table):",
        "",
        ...Object.entries(DEBEZIUM_TYPE_SETTINGS).map(([k, v]) => `- \`${k}=${v}\``),
        "",
        "| PostgreSQL | Debezium JSON | ADX change table | current state | what is kept | example values (e2e) |",
        "| --- | --- | --- | --- | --- | --- |",
        ...TYPE_TABLE.map(
            (r) =>
                `| ${cell(r.postgres)} | ${cell(r.debeziumJson)} | \`${r.kusto}\`${r.transform ? ` (${r.transform})` : ""} | ${r.currentStateExpression ? `\`${cell(r.currentStateExpression.replace(/\{c\}/g, "c"))}\`` : "as stored"} | ${cell(r.note)} | ${r.examples.map((e) => `${cell(e.type.replace("{enum}", "an enum").replace("{composite}", "a composite type"))}: ${e.values.map((v) => `\`${cell(v)}\``).join(", ")}`).join("; ")} |`,
        ),
        "",
        "Every type no other row maps (the last row) arrives as PostgreSQL's own text, the form `c::<type>` reads",
        "back, through the snapshot and the stream alike: pg-adx-cdc's converter writes the types the connector",
        "config lists (`pgValues.text.types`, from the catalog at `pulumi up`). A column of such a type added",
        "later is carried by Debezium's own conversion until the next `pulumi up` lists it.",
        "",
        "**Domains** (`CREATE DOMAIN d AS date`) map as their base type, every row above included: the connector",
        "config tells the converter each captured domain's base (`pgValues.domain.types`), since Debezium names a",
        "domain column's type by the domain. The e2e captures every example above again through a domain over its",
        "type. Two domains of one name over different types (in two schemas) are refused at `pulumi up`.",
        "",
        "**Keys.** A timestamp or array key is kept apart by its exact text, not its typed value (which is null",
        "for every BC or infinite timestamp, and which Kusto cannot group by for an array): see",
        "[keys Kusto's typed columns cannot tell apart](adx-model.md#when-the-model-changes).",
        "",
        "**Special values.** Where Kusto's typed column cannot hold a value (a BC date or timestamp, the",
        "infinities, years past 9999, numeric(p,s)'s NaN), the typed column is null and `record` keeps the text",
        "above; the e2e reads every such value back from there, through the snapshot and the stream alike.",
        "",
        "**Generated columns** (`GENERATED ALWAYS AS ... STORED`) are not captured: PostgreSQL before 18 does",
        "not publish them to logical replication, so the stream would carry them as null while a snapshot reads",
        "them. ADX has no column for them (compute them in a KQL function); `pulumi up` says which it left out,",
        "and a primary key that includes one is refused with the `capture.keys` fix.",
        "",
        "**NULL in a string column.** A Kusto string is never null: wherever the table above says `string`",
        "(text, numeric beyond 34 digits, date, time, enums, ...), SQL NULL and `''` both arrive as `\"\"` in the",
        'typed column. The `record` column keeps the difference (`isnull(record["col"])` is true only for NULL),',
        "and the e2e comparison reads it there. A string longer than 1 MB is cut by ADX and a dynamic value over",
        "1 MB is stored as null, which is why no record is let past 900,000 bytes (see [rows over 1 MB](adx-model.md#rows-over-1-mb)).",
        "",
        "## Metadata columns",
        "",
        "Every change table also has these columns (a source column with one of these names keeps it, and the",
        "metadata column takes a leading `_` instead):",
        "",
        ...metadataColumnList(changeMetadataColumns([])).map((m) => `- \`${m.column}\` (${m.type}): ${m.doc}`),
        "",
    ];
    return lines.join("\n");
}

export const TYPE_TABLE_DOC = path.join(repoRoot(__dirname), "docs", "types.md");

if (require.main === module) {
    if (process.argv.includes("--help")) {
        process.stdout.write("npm run docs:types — writes docs/types.md from contract/typeTable.ts\n");
        process.exit(0);
    }
    fs.mkdirSync(path.dirname(TYPE_TABLE_DOC), { recursive: true });
    fs.writeFileSync(TYPE_TABLE_DOC, renderTypeTableMarkdown());
    process.stdout.write(`wrote ${path.relative(process.cwd(), TYPE_TABLE_DOC)}\n`);
}
