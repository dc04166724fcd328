// The ADX model generated from the catalog: every command passes Microsoft's Kusto language
// service with zero diagnostics (every type of the type table, composite keys, hostile identifiers,
// the orders overlay on top), the mapping matches the Debezium record, and tables that cannot be
// captured correctly are refused with the table, the column and the fix.
import { failedTasksQuery, initialSnapshotRunning, WORKER_HEALTH_ADX, workerHealthModelScripts } from "../../kql/workerHealthModel";
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { analyzeKqlScripts } from "./kustoLanguageService";
import { validateKqlInputs } from "../../kql/kqlSchema";
import { buildDropCommands, currentStateOf, sinkTargetOf, splitKqlCommands } from "../../kql/kqlModel";
import { kqlBucketRows, kqlBucketSummary } from "../../kql/reconcileQueries";
import {
    adxColumnName,
    adxNamesFor,
    isValidKustoEntityName,
    adxTableReference,
    changeMetadataColumns,
    findAdxNameCollisions,
    generateAdxModel,
    heartbeatModelScripts,
    heartbeatStalledQuery,
    jsonPathOf,
} from "../../kql/adxModel";
import {
    CatalogColumn,
    elementTextArrayTypeNames,
    fillTypeSql,
    TEXT_FORM_RULE_ID,
    textFormColumns,
    textFormTypeNames,
    TYPE_TABLE,
    typedArrayTypes,
    typeRuleFor,
} from "../../contract/typeTable";
import { currentStateKey } from "../../postgres/catalog";
import type { CatalogTable } from "../../contract/typeTable";
import { captureProblems } from "../../postgres/sourceCatalogResource";
import { EMISSION_STAMP_FIELD, flatRecordReservedFields } from "../../contract/recordFields";
import { sinkGrantScriptText } from "../../components/sinkIdentity";
import { buildDatabaseRoleGrantScript } from "../../components/adxDatabaseRole";
import { changeMetadataFields } from "../../contract/recordFields";
import { KAFKA_POSITION_FIELDS } from "../../contract/recordFields";
import { buildKustoSinkConfig, SINK_MAX_TASKS } from "../../connectors/kustoSink";
import { heartbeatCatalog, ORDERS_CATALOG, ordersModelScripts, PRODUCTS_CATALOG } from "../support/catalogFixtures";
import { latestPerKey, parseLatestPerKeyView } from "../../local/doubles/adxIngestionTestDouble";

const base = (name: string, declaredType: string, typeName: string, extra: Partial<CatalogColumn> = {}): CatalogColumn => ({
    name,
    declaredType,
    typeName,
    kind: "base",
    notNull: false,
    ...extra,
});

/** One column per example type of the type table, as the catalog describes it (the e2e reads the real catalog). */
const CATALOG_OF_EXAMPLE_TYPE: Record<string, Omit<CatalogColumn, "name" | "notNull">> = {
    smallint: { declaredType: "smallint", typeName: "int2", kind: "base" },
    integer: { declaredType: "integer", typeName: "int4", kind: "base" },
    serial: { declaredType: "integer", typeName: "int4", kind: "base" },
    bigint: { declaredType: "bigint", typeName: "int8", kind: "base" },
    bigserial: { declaredType: "bigint", typeName: "int8", kind: "base" },
    "numeric(30,8)": { declaredType: "numeric(30,8)", typeName: "numeric", kind: "base", numericPrecision: 30 },
    "numeric(5,-2)": { declaredType: "numeric(5,-2)", typeName: "numeric", kind: "base", numericPrecision: 5 },
    "numeric(3,5)": { declaredType: "numeric(3,5)", typeName: "numeric", kind: "base", numericPrecision: 3 },
    numeric: { declaredType: "numeric", typeName: "numeric", kind: "base" },
    real: { declaredType: "real", typeName: "float4", kind: "base" },
    "double precision": { declaredType: "double precision", typeName: "float8", kind: "base" },
    money: { declaredType: "money", typeName: "money", kind: "base" },
    boolean: { declaredType: "boolean", typeName: "bool", kind: "base" },
    text: { declaredType: "text", typeName: "text", kind: "base" },
    "varchar(20)": { declaredType: "character varying(20)", typeName: "varchar", kind: "base" },
    "char(5)": { declaredType: "character(5)", typeName: "bpchar", kind: "base" },
    uuid: { declaredType: "uuid", typeName: "uuid", kind: "base" },
    date: { declaredType: "date", typeName: "date", kind: "base" },
    time: { declaredType: "time without time zone", typeName: "time", kind: "base" },
    timetz: { declaredType: "time with time zone", typeName: "timetz", kind: "base" },
    timestamp: { declaredType: "timestamp without time zone", typeName: "timestamp", kind: "base" },
    timestamptz: { declaredType: "timestamp with time zone", typeName: "timestamptz", kind: "base" },
    interval: { declaredType: "interval", typeName: "interval", kind: "base" },
    json: { declaredType: "json", typeName: "json", kind: "base" },
    jsonb: { declaredType: "jsonb", typeName: "jsonb", kind: "base" },
    bytea: { declaredType: "bytea", typeName: "bytea", kind: "base" },
    "integer[]": { declaredType: "integer[]", typeName: "_int4", kind: "array", elementTypeName: "int4", elementKind: "base" },
    "text[]": { declaredType: "text[]", typeName: "_text", kind: "array", elementTypeName: "text", elementKind: "base" },
    "{enum}": { declaredType: "mood", typeName: "mood", kind: "enum" },
    "{enum}[]": { declaredType: "mood[]", typeName: "_mood", kind: "array", elementTypeName: "mood", elementKind: "enum" },
    "interval[]": { declaredType: "interval[]", typeName: "_interval", kind: "array", elementTypeName: "interval", elementKind: "base" },
    "money[]": { declaredType: "money[]", typeName: "_money", kind: "array", elementTypeName: "money", elementKind: "base" },
    ...Object.fromEntries(
        (
            [
                ["boolean[]", "bool"],
                ["bigint[]", "int8"],
                ["double precision[]", "float8"],
                ["real[]", "float4"],
                ["uuid[]", "uuid"],
                ["jsonb[]", "jsonb"],
                ["bytea[]", "bytea"],
                ["inet[]", "inet"],
                ["timetz[]", "timetz"],
            ] as const
        ).map(([declared, element]) => [
            declared,
            { declaredType: declared, typeName: `_${element}`, kind: "array" as const, elementTypeName: element, elementKind: "base" as const },
        ]),
    ),
    inet: { declaredType: "inet", typeName: "inet", kind: "base" },
    cidr: { declaredType: "cidr", typeName: "cidr", kind: "base" },
    macaddr: { declaredType: "macaddr", typeName: "macaddr", kind: "base" },
    hstore: { declaredType: "hstore", typeName: "hstore", kind: "base" },
    ...Object.fromEntries(
        ["tsvector", "tsquery", "xml", "varbit", "point", "polygon", "circle", "path", "macaddr8", "pg_lsn", "oid", "citext", "ltree"].map((t) => [
            t,
            { declaredType: t, typeName: t, kind: "base" as const },
        ]),
    ),
    "bit(3)": { declaredType: "bit(3)", typeName: "bit", kind: "base" },
    int4range: { declaredType: "int4range", typeName: "int4range", kind: "other" },
    tstzrange: { declaredType: "tstzrange", typeName: "tstzrange", kind: "other" },
    int8multirange: { declaredType: "int8multirange", typeName: "int8multirange", kind: "other" },
    "{composite}": { declaredType: "address", typeName: "address", kind: "other" },
    "point[]": { declaredType: "point[]", typeName: "_point", kind: "array", elementTypeName: "point", elementKind: "base" },
    // format_type() says integer[] whatever the declaration; pg_attribute.attndims keeps the 2.
    "integer[][]": { declaredType: "integer[]", typeName: "_int4", kind: "array", elementTypeName: "int4", elementKind: "base", dimensions: 2 },
    "date[][]": { declaredType: "date[]", typeName: "_date", kind: "array", elementTypeName: "date", elementKind: "base", dimensions: 2 },
};

const ALL_TYPES: CatalogTable = {
    qualifiedName: "types.all_types",
    replicaIdentity: "full",
    primaryKey: ["id"],
    columns: [
        base("id", "integer", "int4", { notNull: true }),
        ...TYPE_TABLE.flatMap((rule) => rule.examples.map((e, i) => ({ name: `c_${rule.id.replace(/-/g, "_")}_${i}`, notNull: false, ...CATALOG_OF_EXAMPLE_TYPE[e.type] }))),
    ],
};

// Names a user may well have: keywords, case, spaces, quotes, and the change metadata's own names.
const HOSTILE: CatalogTable = {
    qualifiedName: "public.order",
    replicaIdentity: "default",
    primaryKey: ["Region", "where"],
    columns: [
        base("Region", "text", "text", { notNull: true }),
        base("where", "integer", "int4", { notNull: true }),
        ...["type", "count", "Order Date", "UPPER", "it's", 'say "hi"', "back\\slash", "op", "deleted", "_deleted", "by", "project", "let"].map((n) => base(n, "text", "text")),
    ],
};

describe("the type table", () => {
    it("fills a rule's SQL as literal text: a regular expression's $' or a column named {type} stays as written", () => {
        const time = TYPE_TABLE.find((r) => r.id === "time")!;
        const filled = fillTypeSql(time.sameValueSql, { value: "$3", type: "timetz", column: '"{type} $\'"' });
        assert.ok(filled.includes("'^1\\.00:00:00(\\.0*)?$'"), filled);
        assert.ok(filled.includes('pg_typeof("{type} $\'")'), filled);
        assert.ok(filled.startsWith("(CASE WHEN $3 ~ "), filled);
        assert.equal(fillTypeSql("ARRAY(SELECT {element})::{type} = {c}", { type: "time[]", column: "c", element: "$'x" }), "ARRAY(SELECT $'x)::time[] = c");
    });

    it("covers every example type, each by exactly one rule", () => {
        for (const rule of TYPE_TABLE) {
            for (const example of rule.examples) {
                const column = { name: "c", notNull: false, ...CATALOG_OF_EXAMPLE_TYPE[example.type] };
                assert.ok(CATALOG_OF_EXAMPLE_TYPE[example.type], `no catalog description for example type ${example.type}`);
                assert.deepEqual(
                    TYPE_TABLE.filter((r) => r.matches(column)).map((r) => r.id),
                    [rule.id],
                    example.type,
                );
            }
        }
    });

    it("splits numeric at Kusto's 34-digit decimal", () => {
        assert.equal(typeRuleFor("t", base("n", "numeric(34,2)", "numeric", { numericPrecision: 34 })).kusto, "decimal");
        assert.equal(typeRuleFor("t", base("n", "numeric(35,2)", "numeric", { numericPrecision: 35 })).kusto, "string");
        assert.equal(typeRuleFor("t", base("n", "numeric", "numeric")).kusto, "string");
    });

    it("carries every type no other rule maps as PostgreSQL's text, arrays of such types as a whole", () => {
        const ruleOf = (column: CatalogColumn) => typeRuleFor("geo.places", column).id;
        assert.equal(ruleOf(base("location", "point", "point")), TEXT_FORM_RULE_ID);
        assert.equal(ruleOf(base("search", "tsvector", "tsvector")), TEXT_FORM_RULE_ID);
        assert.equal(ruleOf({ ...base("address", "address", "address"), kind: "other" }), TEXT_FORM_RULE_ID);
        assert.equal(ruleOf({ ...base("spots", "point[]", "_point"), kind: "array", elementTypeName: "point", elementKind: "base" }), TEXT_FORM_RULE_ID);
        assert.equal(ruleOf({ ...base("tags", "hstore[]", "_hstore"), kind: "array", elementTypeName: "hstore", elementKind: "base" }), TEXT_FORM_RULE_ID);
        assert.equal(ruleOf(base("tags", "hstore", "hstore")), "hstore");
        assert.equal(ruleOf({ ...base("ids", "integer[]", "_int4"), kind: "array", elementTypeName: "int4", elementKind: "base" }), "array");
        const table = (columns: CatalogColumn[]): CatalogTable => ({ qualifiedName: "geo.places", replicaIdentity: "full", primaryKey: [], columns });
        assert.deepEqual(
            textFormTypeNames([table([base("a", "point", "point"), base("b", "tsvector", "tsvector"), base("c", "integer", "int4")]), table([base("d", "point", "point")])]),
            ["point", "tsvector"],
        );
        assert.deepEqual(textFormTypeNames([table([base("c", "integer", "int4")])]), []);
        // An array declared with two dimensions is text-form by column: its type's other columns stay JSON arrays.
        const ints = { ...base("ids", "integer[]", "_int4"), kind: "array" as const, elementTypeName: "int4", elementKind: "base" as const };
        const matrix = { ...ints, name: "Grid, 2/2", dimensions: 2 };
        assert.equal(ruleOf(matrix), TEXT_FORM_RULE_ID);
        const mixed = [{ qualifiedName: 'geo."Places é"', replicaIdentity: "full" as const, primaryKey: [], columns: [ints, matrix] }];
        assert.deepEqual(textFormTypeNames(mixed), []);
        assert.deepEqual(textFormColumns(mixed), ["geo/Places%20%C3%A9/Grid%2C%202%2F2"]);
        // Arrays Debezium drops whole: enum and interval elements are written as PostgreSQL's text; money[] is text-form.
        const moods = { ...base("moods", "mood[]", "_mood"), kind: "array" as const, elementTypeName: "mood", elementKind: "enum" as const };
        const spans = { ...base("spans", "interval[]", "_interval"), kind: "array" as const, elementTypeName: "interval", elementKind: "base" as const };
        const amounts = { ...base("amounts", "money[]", "_money"), kind: "array" as const, elementTypeName: "money", elementKind: "base" as const };
        assert.deepEqual([moods, spans, amounts].map(ruleOf), ["array", "array", TEXT_FORM_RULE_ID]);
        assert.deepEqual(elementTextArrayTypeNames([table([moods, spans, amounts, ints])]), ["_interval", "_mood"]);
        // text[], varchar[], char(n)[]: the same strings as Debezium writes.
        const labels = { ...base("labels", "varchar(20)[]", "_varchar"), kind: "array" as const, elementTypeName: "varchar", elementKind: "base" as const };
        assert.deepEqual(elementTextArrayTypeNames([table([labels, ints])]), ["_varchar"]);
        // Arrays Debezium converts itself, with the element's form: the converter writes them too, so that it sees every value's text.
        const flags = { ...base("flags", "boolean[]", "_bool"), kind: "array" as const, elementTypeName: "bool", elementKind: "base" as const };
        const blobs = { ...base("blobs", "bytea[]", "_bytea"), kind: "array" as const, elementTypeName: "bytea", elementKind: "base" as const };
        const clocks = { ...base("clocks", "timetz[]", "_timetz"), kind: "array" as const, elementTypeName: "timetz", elementKind: "base" as const };
        const times = { ...base("times", "time[]", "_time"), kind: "array" as const, elementTypeName: "time", elementKind: "base" as const };
        assert.deepEqual(typedArrayTypes([table([ints, flags, blobs, labels, moods, amounts, clocks, times])]), [
            "_bool:boolean",
            "_bytea:base64",
            "_int4:int32",
            "_timetz:timetz",
        ]);
        assert.deepEqual(textFormTypeNames([table([moods, spans, amounts, ints])]), ["_money"]);
    });
});

describe("the generated ADX model (Kusto language service: zero diagnostics)", () => {
    for (const [label, table] of [
        ["orders", ORDERS_CATALOG],
        ["the cookbook's products", PRODUCTS_CATALOG],
        ["one column of every type", ALL_TYPES],
        ["keywords, case, spaces, quotes, a composite key", HOSTILE],
        // Table names an ORM or a user creates: upper case, spaces, quotes, non-ASCII, a leading digit.
        ["an EF Core table name", { ...ORDERS_CATALOG, qualifiedName: 'public."Orders"' }],
        ["a schema and table with spaces, quotes and accents", { ...ORDERS_CATALOG, qualifiedName: '"Ventes 2024"."Commandes ""été"""' }],
        ["a schema starting with a digit", { ...ORDERS_CATALOG, qualifiedName: '"2024".orders' }],
    ] as const) {
        it(`${label}: every command, view and function analyzes clean`, () => {
            const scripts = generateAdxModel(table, { key: table.primaryKey, streamingIngestion: true });
            assert.deepEqual(analyzeKqlScripts(scripts), []);
            // ... and the KqlSchema provider reads every command (names in docstrings included).
            assert.deepEqual(validateKqlInputs({ clusterUri: "https://c.kusto.windows.net", database: "cdc", scripts, retainData: false }), []);
        });
    }

    it("a key Kusto's typed column cannot tell apart (an array, a timestamp's infinities and BC values) is kept by its exact text, and the model analyzes clean", () => {
        const skus = { ...base("skus", "text[]", "_text", { notNull: true }), kind: "array" as const, elementTypeName: "text", elementKind: "base" as const, dimensions: 1 };
        const table: CatalogTable = {
            qualifiedName: "shop.price_history",
            replicaIdentity: "default",
            primaryKey: ["skus", "valid_to", "id"],
            columns: [
                skus,
                base("valid_to", "timestamp with time zone", "timestamptz", { notNull: true }),
                base("id", "integer", "int4", { notNull: true }),
                base("valid_to_key_text", "text", "text"),
            ],
        };
        const scripts = generateAdxModel(table, { key: table.primaryKey, streamingIngestion: true });
        assert.deepEqual(analyzeKqlScripts(scripts), []);
        const view = scripts.find((s) => s.name.endsWith("40-current-state.kql"))!.text;
        // A source column already named like the text key pushes it aside, as the metadata columns are.
        assert.match(view, /by \['skus_key_text'\] = tostring\(\['record'\]\["skus"\]\), \['_valid_to_key_text'\] = tostring\(\['record'\]\["valid_to"\]\), \['id'\]\n/);
        assert.deepEqual(currentStateOf(scripts).keys, ["skus", "valid_to", "id"], "the view's key, named by source column");
        // The double keeps 'infinity' and '-infinity' apart as ADX does, where the typed column holds null for both.
        const row = (to: string, offset: number) => ({ skus: ["a"], valid_to: null, id: 1n, kafka_offset: BigInt(offset), record: { skus: ["a"], valid_to: to, id: 1 } });
        const parsed = parseLatestPerKeyView(view.slice(view.indexOf("{") + 1, view.indexOf("}")))!;
        const latest = latestPerKey([row("infinity", 1), row("-infinity", 2), row("infinity", 3)], parsed.orderBy, parsed.keys);
        assert.deepEqual(
            latest.map((r) => [r.valid_to, (r.record as any).valid_to, r.kafka_offset]),
            [
                [null, "infinity", 3n],
                [null, "-infinity", 2n],
            ],
        );
        // Grouping by the typed columns, as before, would have made them one key.
        assert.equal(latestPerKey([row("infinity", 1), row("-infinity", 2)], "kafka_offset", [{ name: "valid_to", expression: "valid_to" }]).length, 1);
    });

    it("the heartbeat model and its freshness function analyze clean", () => {
        assert.deepEqual(analyzeKqlScripts(heartbeatModelScripts(heartbeatCatalog("cdc_meta.heartbeat_cdc"), { streamingIngestion: true })), []);
    });

    it("a table of 520 columns and its reconcile queries analyze clean (a flat or-chain of 500 terms passes Kusto's query-depth limit no more; strcat_delim takes at most 64 arguments), and so do every type's", () => {
        const wide: CatalogTable = {
            qualifiedName: "erp.wide",
            replicaIdentity: "full",
            primaryKey: ["id"],
            // The language service takes about 12 s over this model (43 s at PostgreSQL's most, 1,600 columns).
            columns: [base("id", "integer", "int4", { notNull: true }), ...Array.from({ length: 519 }, (_, i) => base(`c${i}`, "text", "text"))],
        };
        for (const table of [wide, ALL_TYPES]) {
            const model = generateAdxModel(table, { key: table.primaryKey, streamingIngestion: true });
            const target = { table: table.qualifiedName, columns: table.columns, key: table.primaryKey, functionName: adxNamesFor(table.qualifiedName).currentState };
            const queries = [kqlBucketSummary(target, 2), kqlBucketRows(target, 2, ["0a", "ff"])];
            assert.deepEqual(analyzeKqlScripts([...model, ...queries.map((text, i) => ({ name: `reconcile-${i}.kql`, text }))]), [], table.qualifiedName);
        }
    });

    it("the pipeline-stalled alert's query analyzes clean against the heartbeat's change table, and reaches it across services from Azure Monitor", () => {
        const heartbeat = heartbeatCatalog("cdc_meta.heartbeat_cdc");
        const model = heartbeatModelScripts(heartbeat, { streamingIngestion: true });
        const sourceTs = changeMetadataColumns(heartbeat.columns.map((c) => c.name)).sourceTs.column;
        const query = heartbeatStalledQuery("cdc_meta_heartbeat_cdc_changes", sourceTs, 300);
        assert.deepEqual(analyzeKqlScripts([...model, { name: "alert.kql", text: query }]), []);
        // Quiet during the initial snapshot: the same query with the health records' clause, against both models.
        const quiet = heartbeatStalledQuery("cdc_meta_heartbeat_cdc_changes", sourceTs, 300, initialSnapshotRunning(WORKER_HEALTH_ADX.table, "cdc"));
        assert.deepEqual(analyzeKqlScripts([...model, ...workerHealthModelScripts({ streamingIngestion: true }), { name: "alert-quiet.kql", text: quiet }]), []);
        assert.match(quiet, /summarize arg_max\(at, initial_snapshots\) by worker/);
        assert.match(query, /> ago\(300s\)/);
        assert.equal(
            adxTableReference("https://adxcdcdev.westeurope.kusto.windows.net/", "cdc", "cdc_meta_heartbeat_cdc_changes"),
            `adx("https://adxcdcdev.westeurope.kusto.windows.net/cdc").cdc_meta_heartbeat_cdc_changes`,
        );
        assert.equal(
            adxTableReference("https://adxcdcdev.westeurope.kusto.windows.net", "cdc", "odd name"),
            `adx("https://adxcdcdev.westeurope.kusto.windows.net/cdc").['odd name']`,
        );
        assert.throws(() => adxTableReference("http://x", "cdc", "t"), /is not https/);
        assert.throws(() => heartbeatStalledQuery("t", sourceTs, 0), /positive whole number/);
    });

    it("the workers' health table, its mapping and the failed-task alert's query analyze clean; the query names its thresholds", () => {
        const model = workerHealthModelScripts({ streamingIngestion: true });
        const query = failedTasksQuery(WORKER_HEALTH_ADX.table, 900, 600);
        assert.deepEqual(analyzeKqlScripts([...model, { name: "failed-tasks-alert.kql", text: query }]), []);
        assert.match(query, /where at > ago\(600s\)/);
        assert.match(query, /failing_seconds >= 900/);
        assert.match(query, /gave_up_tasks > 0/);
        // The mapping reads every field the watchdog writes (WorkerHealthReporter.record), by name.
        const mapping = model.find((s) => s.name.endsWith("20-mapping.kql"))!.text;
        for (const field of ["at", "connect_group", "worker", "failing_tasks", "gave_up_tasks", "failing_seconds", "tasks"])
            assert.ok(mapping.includes(`"Path":"$.${field}"`), field);
        assert.throws(() => failedTasksQuery("t", 0, 600), /failing time 0 must be a positive whole number/);
        assert.throws(() => failedTasksQuery("t", 900, 1.5), /silence 1.5 must be/);
    });

    it("the orders analytics overlay analyzes clean against the generated schema", () => {
        assert.deepEqual(analyzeKqlScripts(ordersModelScripts()), []);
    });

    it("an overlay that names a column the catalog does not have is reported by the language service", () => {
        const scripts = ordersModelScripts().map((s) =>
            s.name.endsWith("50-analytics.kql") ? { ...s, text: s.text.replace("by city\n    | render columnchart", "by cty\n    | render columnchart") } : s,
        );
        assert.ok(analyzeKqlScripts(scripts).some((d) => /The name 'cty' does not refer to any known column/.test(d.message)));
    });

    it("maps exactly the fields the Debezium record carries, special names in bracket JSONPath", () => {
        const target = sinkTargetOf(generateAdxModel(HOSTILE, { key: HOSTILE.primaryKey, streamingIngestion: true }));
        assert.deepEqual(
            target.mappingColumns.map((c) => c.path).sort(),
            [
                ...HOSTILE.columns.map((c) => jsonPathOf(c.name)),
                ...Object.values(changeMetadataFields()).map(jsonPathOf),
                ...Object.values(KAFKA_POSITION_FIELDS).map(jsonPathOf),
                jsonPathOf(EMISSION_STAMP_FIELD),
                "$",
            ].sort(),
        );
        assert.equal(jsonPathOf("Order Date"), "$['Order Date']");
        assert.equal(jsonPathOf("it's"), "$['it\\'s']");
        // The source's own op/deleted/_deleted columns keep their names; the metadata steps aside.
        const names = target.tableColumns.map((c) => c.name);
        assert.deepEqual(names.slice(-9), ["_op", "lsn", "source_ts", "snapshot", "_deleted_2", "kafka_partition", "kafka_offset", "emission_stamp", "record"]);
        assert.ok(["op", "deleted", "_deleted", "Order Date"].every((n) => names.includes(n)));
        // Names ADX refuses for a column (quotes, backslashes) get a valid one, with a digest of the exact name.
        assert.ok(names.includes(adxColumnName('say "hi"')) && names.includes(adxColumnName("back\\slash")));
        assert.ok(names.every(isValidKustoEntityName), names.join(", "));
        assert.deepEqual(
            target.mappingColumns.find((c) => c.column === "source_ts"),
            { column: "source_ts", path: "$.__source_ts_ms", transform: "DateTimeFromUnixMilliseconds" },
        );
    });

    it("gives every PostgreSQL column name a column name ADX accepts, distinct for distinct names, its own wherever ADX takes it", () => {
        for (const name of ["Order Date", "été", "x-1.5", "where", "_v", "UPPER", "日本語"]) assert.equal(adxColumnName(name), name);
        const odd = ["Price ($)", "Price (€)", "it's", "a;b", "a:b", "__v", "v__", "__", "qty#", "😀", 'say "hi"', "tab\tx", "x".repeat(63) + "#"];
        const mapped = odd.map(adxColumnName);
        assert.ok(mapped.every(isValidKustoEntityName), mapped.join(" | "));
        assert.equal(new Set(mapped).size, odd.length);
        assert.match(adxColumnName("Price ($)"), /^Price ____[0-9a-f]{6}$/);
        assert.match(adxColumnName("__v"), /^_v_[0-9a-f]{6}$/);
        assert.ok(!isValidKustoEntityName("__v") && !isValidKustoEntityName("a;b") && !isValidKustoEntityName("x__"));
    });

    it("keeps the current state per composite key, in key order", () => {
        const scripts = generateAdxModel(HOSTILE, { key: HOSTILE.primaryKey, streamingIngestion: true });
        assert.deepEqual(currentStateOf(scripts), { functionName: "public_order_current", view: "public_order_latest", keys: ["Region", "where"] });
        assert.match(
            scripts.map((s) => s.text).join("\n"),
            /extend change_order = coalesce\(emission_stamp, kafka_offset - 4611686018427387904\)\n    \| summarize arg_max\(change_order, \*\) by \['Region'\], \['where'\]/,
        );
    });

    it("gives json, date and time their Kusto form in the current state", () => {
        const text = generateAdxModel(ALL_TYPES, { key: ["id"], streamingIngestion: true })
            .map((s) => s.text)
            .join("\n");
        // Each as stored, or (rows from before the column was in the model) from the lossless record.
        assert.match(text, /\['c_json_1'\] = parse_json\(coalesce\(\['c_json_1'\], tostring\(\['record'\]\["c_json_1"\]\)\)\)/);
        assert.match(text, /\['c_date_0'\] = todatetime\(substring\(coalesce\(\['c_date_0'\], tostring\(\['record'\]\["c_date_0"\]\)\), 0, 10\)\)/);
        assert.match(text, /\['c_time_1'\] = totimespan\(trim_end\("Z", coalesce\(\['c_time_1'\], tostring\(\['record'\]\["c_time_1"\]\)\)\)\)/);
        assert.match(text, /\['id'\] = coalesce\(\['id'\], tolong\(\['record'\]\["id"\]\)\)/);
    });

    it("queued-only (free cluster): no streaming policy, everything else the same", () => {
        const streaming = generateAdxModel(ORDERS_CATALOG, { key: ["orderid"], streamingIngestion: true }).flatMap((s) => splitKqlCommands(s.text));
        const queued = generateAdxModel(ORDERS_CATALOG, { key: ["orderid"], streamingIngestion: false }).flatMap((s) => splitKqlCommands(s.text));
        assert.deepEqual(
            streaming.filter((c) => !queued.includes(c)).map((c) => c.split("\n")[0]),
            [".alter table retail_orders_info_changes policy streamingingestion enable"],
        );
    });

    it("the current state keeps its own retention, unlimited unless configured, and reads its fences from a table that keeps it too", () => {
        const text = (options: { currentStateRetentionDays?: number }) =>
            generateAdxModel(ORDERS_CATALOG, { key: ["orderid"], streamingIngestion: true, ...options })
                .map((s) => s.text)
                .join("\n");
        const retentions = (t: string) => [...t.matchAll(/policy retention\n```\n\{ "SoftDeletePeriod": "(\d+)\.00:00:00"/g)].map((m) => Number(m[1]));
        assert.deepEqual(retentions(text({})), [36500, 36500], "the fences and the view: 100 years");
        assert.deepEqual(retentions(text({ currentStateRetentionDays: 400 })), [400, 400]);
        const all = text({});
        assert.match(all, /\.alter materialized-view retail_orders_info_latest policy retention/);
        assert.match(all, /"Source": "retail_orders_info_changes", "Query": "retail_orders_info_fence_rows\(\)", "IsTransactional": true/);
        // The rule's fences come from the fence table, never from the change table (whose rows age out).
        const fn = all.slice(all.indexOf("retail_orders_info_current() {"));
        assert.equal((fn.match(/let \w+ = (?:toscalar\()?retail_orders_info_fences \|/g) ?? []).length, 6);
        assert.doesNotMatch(fn, /retail_orders_info_changes/);
    });

    it("drops what it creates in reverse order", () => {
        assert.deepEqual(buildDropCommands(ordersModelScripts()), [
            ".drop function OrdersPerCity ifexists",
            ".drop function TotalSalesPerCity ifexists",
            ".drop function AverageSalesPerCity ifexists",
            ".drop function retail_orders_info_current ifexists",
            ".delete materialized-view retail_orders_info_latest policy retention",
            ".drop materialized-view retail_orders_info_latest ifexists",
            ".delete table retail_orders_info_fences policy retention",
            ".delete table retail_orders_info_fences policy update",
            ".drop function retail_orders_info_fence_rows ifexists",
            ".drop table retail_orders_info_fences ifexists",
            ".delete table retail_orders_info_changes policy ingestionbatching",
            ".delete table retail_orders_info_changes policy streamingingestion",
            '.drop table retail_orders_info_changes ingestion json mapping "retail_orders_info_changes_json"',
            ".drop table retail_orders_info_changes ifexists",
        ]);
    });
});

describe("tables that cannot be captured correctly are refused before anything is created", () => {
    const inputs = {
        connection: { host: "h", port: 5432, database: "retail", user: "u", sslMode: "disable" as const },
        tables: ["inventory.products", "inventory.missing", "geo.places", "logs.events"],
        keys: {} as Record<string, string[]>,
    };
    const found = {
        missing: ["inventory.missing"],
        tables: [
            PRODUCTS_CATALOG,
            { qualifiedName: "geo.places", replicaIdentity: "default" as const, primaryKey: ["id"], columns: [base("id", "integer", "int4"), base("location", "point", "point")] },
            {
                qualifiedName: "logs.events",
                replicaIdentity: "full" as const,
                primaryKey: [],
                columns: [base("at", "timestamp with time zone", "timestamptz"), base("message", "text", "text")],
            },
        ],
    };

    it("names every problem at once: missing table, no key", () => {
        const problems = captureProblems(inputs, found);
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems[0], /^captured table inventory\.missing does not exist in database retail; create it first or remove it from pg-adx-cdc:capture\.tables$/);
        assert.match(problems.join("\n"), /logs\.events has no primary key.*ALTER TABLE logs\.events ADD PRIMARY KEY.*pg-adx-cdc:capture\.keys\["logs\.events"\]/);
    });

    it("a source column named like a field the pipeline adds to the record (__op, __deleted, ...) is refused with the fix", () => {
        const table = { ...ORDERS_CATALOG, columns: [...ORDERS_CATALOG.columns, { ...ORDERS_CATALOG.columns[3], name: "__deleted" }] };
        const problems = captureProblems(
            {
                connection: { host: "h", port: 5432, database: "retail", user: "a", sslMode: "disable" } as any,
                tables: [table.qualifiedName],
                keys: {},
                reservedColumns: flatRecordReservedFields(),
            },
            { tables: [table], missing: [] },
        );
        assert.deepEqual(problems, [
            "retail.orders_info.__deleted: the change record already has a field of that name (added by the pipeline); rename the column (ALTER TABLE retail.orders_info RENAME COLUMN ...) or do not capture the table",
        ]);
        // The sink's InsertField would overwrite a source column named like the Kafka position it adds (schemaless records).
        assert.deepEqual(flatRecordReservedFields(), [
            "__op",
            "__lsn",
            "__source_ts_ms",
            "__source_snapshot",
            "__deleted",
            "__oversized",
            "__emission_stamp",
            "__kafka_partition",
            "__kafka_offset",
        ]);
    });

    it("a column added since whose name differs from another's only by case is refused with the fix (Debezium would fail the table)", () => {
        const table = { ...ORDERS_CATALOG, columns: [...ORDERS_CATALOG.columns, { ...ORDERS_CATALOG.columns[3], name: "City" }] };
        const problems = captureProblems(
            { connection: { host: "h", port: 5432, database: "retail", user: "a", sslMode: "disable" } as any, tables: [table.qualifiedName], keys: {} },
            { tables: [table], missing: [] },
        );
        assert.deepEqual(problems, [
            'retail.orders_info: columns "city", "City" differ only by case, which Debezium refuses to capture; rename one of them (ALTER TABLE retail.orders_info RENAME COLUMN ...) or do not capture the table',
        ]);
    });

    it("a configured key makes a keyless table capturable; an unknown key column is named", () => {
        const logs = found.tables[2] as CatalogTable;
        assert.deepEqual(currentStateKey(logs, ["at", "message"]), ["at", "message"]);
        assert.throws(() => currentStateKey(logs, ["id"]), /capture\.keys\["logs\.events"\] names "id", which logs\.events does not have \(its columns: at, message\)/);
    });

    it("two tables that would share an ADX table are refused, naming both", () => {
        assert.deepEqual(findAdxNameCollisions(["a_b.c", "a.b_c", "x.y"]), [
            "a_b.c and a.b_c would both land in ADX table a_b_c_changes; capture one of them, or rename one table in PostgreSQL",
        ]);
        assert.deepEqual(adxNamesFor("sales.orders"), {
            changes: "sales_orders_changes",
            mapping: "sales_orders_changes_json",
            latest: "sales_orders_latest",
            currentState: "sales_orders_current",
            fences: "sales_orders_fences",
            fenceRows: "sales_orders_fence_rows",
        });
        assert.notDeepEqual(adxNamesFor("sales.orders"), adxNamesFor("archive.orders"));
    });
});

describe("the sink and the grant", () => {
    it("points the sink at the generated table and mapping with streaming on", () => {
        const names = adxNamesFor("retail.orders_info");
        const config = buildKustoSinkConfig({
            connectorName: "s",
            ingestionUrl: "https://ingest-x.kusto.windows.net",
            queryUrl: "https://x.kusto.windows.net",
            auth: { strategy: "application", tenantId: "t", appId: "a", appKeyReference: "${dir:/s:k}" },
            targets: [{ topic: "cdc.retail.orders_info", database: "cdc", table: names.changes, mapping: names.mapping }],
            deadLetterTopic: "dlq",
            deadLetterReplicationFactor: 1,
        });
        assert.match(config["kusto.tables.topics.mapping"], /'table': 'retail_orders_info_changes'.*'mapping': 'retail_orders_info_changes_json'.*'streaming': 'true'/);
        assert.deepEqual(sinkTargetOf(ordersModelScripts()).table, names.changes);
    });

    it("asks for one sink task per table, up to SINK_MAX_TASKS (every task is a consumer and a Kusto client of its own)", () => {
        const sinkFor = (tables: number, maxTasks?: number) =>
            buildKustoSinkConfig({
                connectorName: "s",
                ingestionUrl: "https://ingest-x.kusto.windows.net",
                queryUrl: "https://x.kusto.windows.net",
                auth: { strategy: "application", tenantId: "t", appId: "a", appKeyReference: "${dir:/s:k}" },
                targets: Array.from({ length: tables }, (_, i) => ({ topic: `cdc.s.t${i}`, database: "cdc", table: `s_t${i}_changes`, mapping: `s_t${i}_changes_json` })),
                deadLetterTopic: "dlq",
                deadLetterReplicationFactor: 1,
                ...(maxTasks ? { maxTasks } : {}),
            })["tasks.max"];
        assert.equal(sinkFor(3), "3");
        assert.equal(sinkFor(SINK_MAX_TASKS), String(SINK_MAX_TASKS));
        assert.equal(sinkFor(200), String(SINK_MAX_TASKS));
        assert.equal(sinkFor(200, 200), "200");
    });

    it("the sink's KQL grant on an existing cluster analyzes clean and is reversible", () => {
        const grant = buildDatabaseRoleGrantScript({
            database: "cdc",
            role: "Ingestor",
            appId: "11111111-2222-3333-4444-555555555555",
            tenantId: "00000000-0000-0000-0000-0000000000aa",
            ...sinkGrantScriptText("cdc"),
        });
        assert.deepEqual(analyzeKqlScripts([grant]), []);
        assert.deepEqual(buildDropCommands([grant]), [".drop database ['cdc'] ingestors ('aadapp=11111111-2222-3333-4444-555555555555;00000000-0000-0000-0000-0000000000aa')"]);
        assert.throws(() => buildDatabaseRoleGrantScript({ database: "cdc", role: "Ingestor", appId: "not-a-guid", tenantId: "t", ...sinkGrantScriptText("cdc") }), /not a GUID/);
    });
});
