// Config validation: one test per rejected input class, asserting the message names key, value and fix.
import { exampleSourceInput } from "../support/connectorFixtures";
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { ingestionUriFor } from "../../config/adxSettings";
import { eventHubsAllowedCidrs, parseStackConfig, StackConfigError } from "../../config/stackConfig";
import { defaultIdentityTables } from "../../config/captureSettings";
import { tablePartitions } from "../../config/kafkaSettings";
import { buildDebeziumSourceConfig } from "../../connectors/debeziumSource";
import { validateConnectorInputs } from "../../connectors/kafkaConnector";
import { buildSinkErrorHandlingSettings } from "../../connectors/kustoSink";
import {
    buildCaptureCheckStatements,
    buildOperatorLogGrant,
    buildReplicaIdentityStatements,
    buildRowSecurityStatements,
    buildSourceBootstrapStatements,
    buildSourceTeardownStatements,
} from "../../postgres/sourceSchema";

/** A bootstrap of two captured tables (one the user's own), as the stack passes it. */
const BOOTSTRAP_INPUT = {
    tables: ["retail.orders_info", "sales.refunds"],
    publicationName: "pub",
    heartbeatTable: "cdc_meta.hb",
    signalTable: "cdc_meta.signal",
    replicationUser: "cdc_replicator",
    replicationPasswordVerifier: "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy",
};

const valid = () => ({
    postgres: { allowedClientCidrs: ["203.0.113.10/32"] },
});
const rejects = (raw: any, pattern: RegExp, stack = "dev") =>
    assert.throws(
        () => parseStackConfig(raw, stack),
        (e: Error) => {
            assert.ok(e instanceof StackConfigError);
            assert.match(e.message, pattern);
            return true;
        },
    );

describe("stack config validation", () => {
    it("accepts a minimal config and fills defaults", () => {
        const c = parseStackConfig(valid(), "dev");
        assert.equal(c.adx.skuName, "Dev(No SLA)_Standard_E2a_v4");
        assert.deepEqual(c.capture.tables, ["retail.orders_info"]);
        assert.equal(c.postgres.maxWorkerProcesses, 16);
    });
    it("rejects a firewall rule that opens the internet", () =>
        rejects(
            { ...valid(), postgres: { allowedClientCidrs: ["0.0.0.0/0"] } },
            /pg-adx-cdc:postgres\.allowedClientCidrs\.0: "0\.0\.0\.0\/0" opens PostgreSQL to 0\.0\.0\.0-255\.255\.255\.255/,
        ));
    it("sinkIdentity: a managed identity's client id must be a GUID, and belongs to kind managedIdentity only", () => {
        assert.equal(parseStackConfig(valid(), "dev").sinkIdentity.kind, "clientSecret");
        const id = "4a3b2c1d-8e7f-4a6b-9c5d-0e1f2a3b4c5d";
        assert.equal(parseStackConfig({ ...valid(), sinkIdentity: { kind: "managedIdentity", managedIdentityClientId: id } }, "dev").sinkIdentity.managedIdentityClientId, id);
        rejects(
            { ...valid(), sinkIdentity: { kind: "managedIdentity", managedIdentityClientId: "my-identity" } },
            /pg-adx-cdc:sinkIdentity\.managedIdentityClientId: must be the identity's client id, a GUID \(`az identity show/,
        );
        rejects(
            { ...valid(), sinkIdentity: { managedIdentityClientId: id } },
            /pg-adx-cdc:sinkIdentity\.managedIdentityClientId: applies to kind "managedIdentity" only: set sinkIdentity\.kind to managedIdentity, or remove it/,
        );
    });
    it("rejects Azure's allow-all-Azure-services rule", () => rejects({ ...valid(), postgres: { allowedClientCidrs: ["0.0.0.0"] } }, /allow all Azure services/));
    it("rejects an unknown ADX SKU and lists valid ones", () =>
        rejects({ ...valid(), adx: { skuName: "Standard_X99" } }, /pg-adx-cdc:adx\.skuName: unknown ADX SKU "Standard_X99"; use one of Dev\(No SLA\)_Standard_D11_v2/));
    it("rejects a Dev SKU with more than one instance", () =>
        rejects({ ...valid(), adx: { capacity: 3 } }, /pg-adx-cdc:adx\.capacity: a Dev\(No SLA\) SKU runs exactly 1 instance/));
    it("rejects a missing required setting", () => rejects({}, /pg-adx-cdc:postgres is required/));

    it("rejects the image and sink settings versions.ts now pins, naming the manifest", () => {
        rejects(
            { ...valid(), kafka: { kustoSinkSha256: "a".repeat(64) } },
            /pg-adx-cdc:kafka\.kustoSinkSha256 is no longer a setting: the Kusto sink is built from the commit pinned in versions\.ts; the commit id is the integrity check; remove it from the stack file/,
        );
        rejects(
            { ...valid(), kafka: { kafkaImage: "my-registry/kafka:latest" } },
            /pg-adx-cdc:kafka\.kafkaImage is no longer a setting: the Kafka image is pinned in versions\.ts/,
        );
    });
    it("names where postgres.alertEmails went (alerts.emails, shared by every alert), and refuses a heartbeat age the 5-minute alert cannot see", () => {
        rejects(
            { ...valid(), postgres: { ...valid().postgres, alertEmails: ["oncall@example.com"] } },
            /pg-adx-cdc:postgres\.alertEmails is no longer a setting: every alert of the stack now e-mails alerts\.emails .*; remove it from the stack file/,
        );
        rejects({ ...valid(), alerts: { maxHeartbeatAgeSeconds: 30 } }, /pg-adx-cdc:alerts\.maxHeartbeatAgeSeconds: .*120.*\(got 30\)/);
        rejects({ ...valid(), alerts: { emails: ["oncall"] } }, /pg-adx-cdc:alerts\.emails\.0: an e-mail address \(got "oncall"\)/);
        assert.deepEqual(parseStackConfig({ ...valid(), alerts: { emails: ["a@example.com"] } }, "dev").alerts, { emails: ["a@example.com"], maxHeartbeatAgeSeconds: 300 });
    });
    it("rejects max_worker_processes below 16", () =>
        rejects({ ...valid(), postgres: { ...valid().postgres, maxWorkerProcesses: 8 } }, /maxWorkerProcesses: .*at least 16.*\(got 8\)/));
    it("rejects high availability on Burstable", () => rejects({ ...valid(), postgres: { ...valid().postgres, highAvailability: true } }, /Burstable/));
    it("rejects a captured table that is not schema.table", () =>
        rejects(
            { ...valid(), capture: { tables: ["Orders"] } },
            /pg-adx-cdc:capture\.tables\.0: "Orders" is not a table name PostgreSQL would read: the schema is missing \(public\.orders, not orders\)/,
        ));
    it("rejects a stack name that cannot be part of Azure names", () => rejects(valid(), /stack name "Prod_EU_West_Long"/, "Prod_EU_West_Long"));
    it("rejects a config with no way for Connect to reach PostgreSQL", () => rejects({ ...valid(), postgres: {} }, /no client may reach PostgreSQL/));
    it("rejects existing-cluster mode without the cluster's URI", () =>
        rejects({ ...valid(), adx: { mode: "existing" } }, /pg-adx-cdc:adx\.clusterUri: existing mode needs the cluster's query URI/));
    it("rejects a cluster URI with a path", () =>
        rejects({ ...valid(), adx: { mode: "existing", clusterUri: "https://kvc-x.kusto.windows.net/cdc" } }, /pg-adx-cdc:adx\.clusterUri: must be an https URI with a host only/));
    it("rejects a cluster URI while the stack owns the cluster", () =>
        rejects(
            { ...valid(), adx: { clusterUri: "https://kvc-x.kusto.windows.net" } },
            /pg-adx-cdc:adx\.clusterUri: is only used with mode "existing"; set pg-adx-cdc:adx\.mode to "existing"/,
        ));
    it("rejects high availability for a PostgreSQL container", () =>
        rejects({ ...valid(), postgres: { mode: "container", highAvailability: true } }, /pg-adx-cdc:postgres\.highAvailability: a PostgreSQL container has no standby/));
    it("rejects firewall rules for a PostgreSQL container", () =>
        rejects({ ...valid(), postgres: { mode: "container", allowedClientCidrs: ["203.0.113.10/32"] } }, /firewall rules apply to Azure servers only/));
    it("existing PostgreSQL: needs exactly one of existingServer or host", () => {
        rejects({ ...valid(), postgres: { mode: "existing" } }, /pg-adx-cdc:postgres\.mode: existing mode needs exactly one of existingServer .* or host/);
        rejects(
            { ...valid(), postgres: { mode: "existing", host: "db.example.com", existingServer: { resourceGroupName: "rg", serverName: "db" } } },
            /exactly one of existingServer/,
        );
    });
    it("existing PostgreSQL by host: firewall rules and restarts are the user's, and saying otherwise is an error", () =>
        rejects(
            { ...valid(), postgres: { mode: "existing", host: "db.example.com", allowedClientCidrs: ["203.0.113.10/32"] } },
            /pg-adx-cdc:postgres\.host: the stack manages firewall rules and restarts of an Azure flexible server only/,
        ));
    it("existing Azure server: needs a way for Connect to reach it", () =>
        rejects({ ...valid(), postgres: { mode: "existing", existingServer: { resourceGroupName: "rg", serverName: "db" } } }, /no client may reach PostgreSQL/));
    it("existing-only settings in another mode name the mode to set", () =>
        rejects({ ...valid(), postgres: { ...valid().postgres, host: "db.example.com" } }, /pg-adx-cdc:postgres\.host: is only used with mode "existing"/));
    it("capture.keys for a table that is not captured, and a table listed twice, are refused", () => {
        rejects({ ...valid(), capture: { tables: ["a.b"], keys: { "c.d": ["id"] } } }, /pg-adx-cdc:capture\.keys\.c\.d: c\.d is not captured/);
        rejects({ ...valid(), capture: { tables: ["a.b", "a.b"] } }, /lists a\.b more than once/);
        rejects({ ...valid(), capture: { tables: ["a.b"], replicaIdentity: { "c.d": "default" } } }, /pg-adx-cdc:capture\.replicaIdentity\.c\.d: c\.d is not captured/);
        rejects({ ...valid(), capture: { tables: ["a.b"], replicaIdentity: { "a.b": "nothing" } } }, /pg-adx-cdc:capture\.replicaIdentity\.a\.b/);
        rejects(
            { ...valid(), capture: { tables: ["a.b"], keys: { "a.b": ["ref"] }, replicaIdentity: { "a.b": "default" } } },
            /a\.b is keyed by pg-adx-cdc:capture\.keys, which its updates and deletes carry only under REPLICA IDENTITY FULL/,
        );
        assert.deepEqual(
            defaultIdentityTables(
                parseStackConfig({ ...valid(), capture: { tables: ["a.b", 'app."Docs"'], replicaIdentity: { 'App."Docs"': "default", "a.b": "full" } } }, "dev").capture,
            ),
            ['app."Docs"'],
            "named as PostgreSQL reads it, in its canonical spelling",
        );
        rejects({ ...valid(), capture: { tables: ["a_b.c", "a.b_c"] } }, /a_b\.c and a\.b_c would both land in ADX table a_b_c_changes/);
    });
    it("rejects a backup retention Azure does not offer", () =>
        rejects({ ...valid(), postgres: { ...valid().postgres, backupRetentionDays: 90 } }, /pg-adx-cdc:postgres\.backupRetentionDays: .*35.*\(got 90\)/));
    it("rejects settings the chosen mode would silently ignore", () => {
        rejects(
            { ...valid(), adx: { mode: "existing", clusterUri: "https://kvc-x.kusto.windows.net", skuName: "Standard_E2ads_v5" } },
            /pg-adx-cdc:adx\.skuName has no effect with mode "existing" \(the stack does not manage an existing cluster\); remove it from the stack file/,
        );
        rejects({ ...valid(), postgres: { mode: "container", backupRetentionDays: 14 } }, /pg-adx-cdc:postgres\.backupRetentionDays has no effect with mode "container"/);
    });
    it("accepts the free path: an existing cluster and a PostgreSQL container, with no firewall and no SKU", () => {
        const c = parseStackConfig(
            { adx: { mode: "existing", clusterUri: "https://kvc-x.northeurope.kusto.windows.net", streamingIngestion: false }, postgres: { mode: "container" } },
            "free",
        );
        assert.equal(c.adx.mode, "existing");
        assert.equal(c.postgres.containerPort, 5432);
        assert.equal(ingestionUriFor(c.adx.clusterUri!), "https://ingest-kvc-x.northeurope.kusto.windows.net");
    });
});

describe("builders", () => {
    const source = () => buildDebeziumSourceConfig(exampleSourceInput());
    it("the sink's dead-letter topic gets a replication factor the single broker can satisfy (Connect's default 3 fails the task)", () => {
        assert.equal(buildSinkErrorHandlingSettings({ deadLetterTopic: "dlq", deadLetterReplicationFactor: 1 })["errors.deadletterqueue.topic.replication.factor"], "1");
        assert.throws(() => buildSinkErrorHandlingSettings({ deadLetterTopic: "dlq", deadLetterReplicationFactor: 0 }), /deadLetterReplicationFactor must be a positive integer/);
    });
    it("the Debezium config uses 3.x names only and passes the provider's check", () => {
        const config = source();
        assert.equal(config["publication.autocreate.mode"], "disabled");
        assert.equal(config["snapshot.mode"], "when_needed");
        // TRUNCATE is captured, and turned into a change row before the flattening (which drops it).
        assert.equal(config["skipped.operations"], "none");
        assert.deepEqual(config.transforms.split(","), ["dropHeartbeats", "truncates", "unwrap", "irregularArrays", "oversized", "emissionStamp"]);
        assert.equal(config["transforms.oversized.max.bytes"], "900000");
        // Last: every record that reaches Kafka, a TRUNCATE's and an oversized row's too, carries the stamp.
        assert.equal(config["transforms.emissionStamp.type"], "pgadxcdc.transforms.EmissionStamp");
        assert.equal(config["transforms.emissionStamp.field"], "__emission_stamp");
        assert.equal(config["transforms.truncates.add.fields"], config["transforms.unwrap.add.fields"]);
        assert.equal(config["database.password"], "${dir:/s:p}");
        assert.deepEqual(validateConnectorInputs({ connectUrl: "http://127.0.0.1:8083", connectorName: "s", config }), []);
    });
    it("the operator role reads what status, verify, snapshot and reconcile need, writes only the stack's own tables, and holds no DDL or replication right", () => {
        const input = {
            tables: ["retail.orders_info"],
            publicationName: "pub",
            heartbeatTable: "cdc_meta.hb",
            signalTable: "cdc_meta.signal",
            replicationUser: "cdc_replicator",
            replicationPasswordVerifier: "SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy",
            operator: { user: "cdc_operator", passwordVerifier: "SCRAM-SHA-256$4096:b3BzYWx0$c3RvcmVk:c2VydmVy" },
        };
        const grants = buildSourceBootstrapStatements(input).filter((s) => /cdc_operator/.test(s));
        assert.ok(grants.includes("ALTER ROLE cdc_operator WITH LOGIN NOREPLICATION NOCREATEDB NOCREATEROLE PASSWORD 'SCRAM-SHA-256$4096:b3BzYWx0$c3RvcmVk:c2VydmVy'"));
        assert.deepEqual(
            grants.filter((s) => s.startsWith("GRANT")),
            [
                "GRANT USAGE ON SCHEMA cdc_meta TO cdc_operator",
                "GRANT USAGE ON SCHEMA retail TO cdc_operator",
                "GRANT SELECT ON retail.orders_info TO cdc_operator",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON cdc_meta.hb TO cdc_operator",
                "GRANT SELECT, INSERT ON cdc_meta.signal TO cdc_operator",
            ],
        );
        assert.ok(
            grants.some((s) => /^DO \$\$ BEGIN GRANT pg_monitor TO cdc_operator; EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING/.test(s)),
            "pg_monitor, or a warning",
        );
        assert.match(buildOperatorLogGrant("cdc_operator", "cdc_meta.wal_guard_log_cdc"), /GRANT SELECT ON cdc_meta\.wal_guard_log_cdc TO cdc_operator/);
        const teardown = buildSourceTeardownStatements(input).at(-1)!;
        assert.match(teardown, /REVOKE ALL ON retail\.orders_info FROM cdc_operator/);
        assert.match(teardown, /DROP ROLE cdc_operator'; EXCEPTION WHEN dependent_objects_still_exist/, "kept while another stack's grants use it");
        assert.throws(() => buildSourceBootstrapStatements({ ...input, operator: { user: "cdc_operator", passwordVerifier: "plain-password" } }), /SCRAM-SHA-256 verifier/);
    });

    it("the generator's role writes the demo tables the stack created (and their key sequences), nothing else; only with createDemoTables", () => {
        const input = {
            ...BOOTSTRAP_INPUT,
            createDemoTables: true,
            generator: { user: "cdc_generator", passwordVerifier: "SCRAM-SHA-256$4096:Z2Vu$c3RvcmVk:c2VydmVy" },
        };
        const grants = buildSourceBootstrapStatements(input).filter((s) => /cdc_generator/.test(s) && /GRANT/.test(s));
        assert.deepEqual(grants.slice(0, 2), ["GRANT USAGE ON SCHEMA retail TO cdc_generator", "GRANT SELECT, INSERT, UPDATE, DELETE ON retail.orders_info TO cdc_generator"]);
        assert.match(grants[2], /pg_get_serial_sequence\('retail\.orders_info'.*GRANT USAGE, SELECT ON SEQUENCE %s TO cdc_generator/);
        assert.equal(grants.length, 3, "no grant on a table the user owns (sales.refunds), the heartbeat or the signal table");
        assert.throws(() => buildSourceBootstrapStatements({ ...input, createDemoTables: false }), /a generator role needs createDemoTables/);
        assert.match(buildSourceTeardownStatements(input).at(-1)!, /DROP ROLE cdc_generator'; EXCEPTION WHEN dependent_objects_still_exist/);
    });

    it("the bootstrap grants the replication user SELECT on captured tables only, and never sees a password", () => {
        const sql = buildSourceBootstrapStatements(BOOTSTRAP_INPUT).join(";\n");
        assert.match(sql, /GRANT SELECT ON retail\.orders_info TO cdc_replicator/);
        // The user's tables are checked before anything is changed, read-only, outside the bootstrap's transaction.
        const checks = buildCaptureCheckStatements(BOOTSTRAP_INPUT).join(";\n");
        assert.match(
            checks,
            /'captured table % does not exist in database %; create it first or remove it from pg-adx-cdc:capture\.tables', 'sales\.refunds', current_database\(\)/,
        );
        assert.match(checks, /pg_partition_ancestors/, "two captured tables: no partition of the other");
        assert.doesNotMatch(checks.replace(/'(?:[^']|'')*'/g, "''"), /ALTER|CREATE|GRANT/, "outside the messages, nothing changes anything");
        assert.doesNotMatch(sql, /captured table %/);
        assert.doesNotMatch(sql, /GRANT (ALL|INSERT|UPDATE|DELETE)[^;]*retail\.orders_info/);
        // No lock on captured tables in the bootstrap's transaction: replica identity is set apart, where missing.
        assert.doesNotMatch(sql, /ALTER TABLE/);
        assert.match(sql, /CREATE PUBLICATION pub FOR TABLE [^;]* WITH \(publish_via_partition_root = true\)/);
        assert.match(sql, /ALTER PUBLICATION pub SET \(publish_via_partition_root = true\)/);
        assert.doesNotMatch(checks, /REPLICA IDENTITY DEFAULT in pg-adx-cdc:capture\.replicaIdentity/, "no table left at DEFAULT: no such check");
        const keyed = buildCaptureCheckStatements({ ...BOOTSTRAP_INPUT, defaultIdentityTables: ["sales.refunds"] }).join(";\n");
        assert.match(keyed, /'captured table % is set to REPLICA IDENTITY DEFAULT in pg-adx-cdc:capture\.replicaIdentity but has no primary key.*', 'sales\.refunds'/);
        assert.match(keyed, /'captured table % has REPLICA IDENTITY %, so its updates and deletes would not carry its primary key/);
        const identity = buildReplicaIdentityStatements(["retail.orders_info"]);
        assert.equal(identity.length, 1);
        assert.match(identity[0], /pg_partition_tree\(to_regclass\('retail\.orders_info'\)\)/);
        assert.match(identity[0], /relreplident <> 'f'/, "only where not FULL already");
        // Row security: the stack's read policy on a table only where the table has row security and lacks the policy.
        const policies = buildRowSecurityStatements({ ...BOOTSTRAP_INPUT, operator: { user: "cdc_operator", passwordVerifier: "" } });
        assert.equal(policies.length, BOOTSTRAP_INPUT.tables.length);
        assert.match(
            policies[0],
            /SELECT relrowsecurity FROM pg_class WHERE oid = rel\) AND NOT EXISTS \(SELECT FROM pg_policy WHERE polrelid = rel AND polname = 'pub_reads_all'/,
        );
        assert.match(policies[0], /CREATE POLICY %I ON %s AS PERMISSIVE FOR SELECT TO cdc_replicator, cdc_operator USING \(true\)/);
        assert.doesNotMatch(sql, /POLICY/, "not in the bootstrap's transaction: each takes its table's lock apart");
        assert.throws(
            () =>
                buildSourceBootstrapStatements({
                    tables: [],
                    publicationName: "pub",
                    heartbeatTable: "a.b",
                    signalTable: "a.s",
                    replicationUser: "u",
                    replicationPasswordVerifier: "plain-password",
                }),
            /SCRAM-SHA-256 verifier/,
        );
    });
});

describe("kafka.mode eventhubs: what Event Hubs cannot do is refused before anything is created", () => {
    const eventHubs = (kafka: Record<string, unknown>, tables?: string[]) => ({
        ...valid(),
        ...(tables ? { capture: { tables } } : {}),
        kafka: { mode: "eventhubs", ...kafka },
    });
    const tables = (n: number) => Array.from({ length: n }, (_, i) => `retail.t${i}`);
    it("two tables whose names differ only by case are refused on Event Hubs (its names ignore case), not on the stack's broker", () => {
        assert.throws(
            () => parseStackConfig(eventHubs({}, ['public."Orders"', "public.orders"]), "dev"),
            /public\."Orders" and public\.orders would be written to topics cdc\.public\.Orders and cdc\.public\.orders, which Event Hubs takes as one event hub \(its names ignore case\); capture one of them, or rename one table in PostgreSQL, or use kafka.mode "container"/,
        );
        assert.deepEqual(parseStackConfig({ ...valid(), capture: { tables: ['public."Orders"', "public.orders"] } }, "dev").capture.tables, ['public."Orders"', "public.orders"]);
    });
    it("defaults: the broker container with lz4; Event Hubs Standard with gzip, two workers, 4 partitions, 7 days", () => {
        const container = parseStackConfig(valid(), "dev").kafka;
        assert.equal(container.mode, "container");
        assert.equal(container.compression, "lz4");
        // The same partitions per table topic as Event Hubs up to 8 tables; then fewer (32 in all), at least 1.
        assert.deepEqual(
            [1, 8, 9, 16, 17, 32, 200].map((n) => tablePartitions(container, n)),
            [4, 4, 3, 2, 1, 1, 1],
        );
        assert.equal(tablePartitions(parseStackConfig({ ...valid(), kafka: { partitions: 6 } }, "dev").kafka, 200), 6, "a set kafka.partitions wins");
        assert.equal(tablePartitions(parseStackConfig(eventHubs({}), "dev").kafka, 200), 4);
        const hubs = parseStackConfig(eventHubs({}), "dev").kafka;
        assert.ok(hubs.mode === "eventhubs");
        assert.equal(hubs.compression, "gzip");
        assert.equal(hubs.connectWorkers, 2);
        assert.deepEqual(hubs.eventHubs, {
            tier: "Standard",
            capacity: 1,
            zoneRedundant: false,
            partitions: 4,
            retentionHours: 168,
            allowedClientCidrs: [],
            keyRotation: "initial",
            operatorObjectIds: [],
        });
    });
    it("operators listed for Entra ID need the workers' managed identity (Entra ID); an object id must be a GUID", () => {
        const operator = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a";
        const withIdentity = { ...eventHubs({ eventHubs: { operatorObjectIds: [operator] } }), sinkIdentity: { kind: "managedIdentity" } };
        const parsed = parseStackConfig(withIdentity, "dev").kafka;
        assert.ok(parsed.mode === "eventhubs");
        assert.deepEqual(parsed.eventHubs.operatorObjectIds, [operator]);
        assert.throws(
            () => parseStackConfig(eventHubs({ eventHubs: { operatorObjectIds: [operator] } }), "dev"),
            /kafka\.eventHubs\.operatorObjectIds: applies with Entra ID only, which needs the workers' managed identity \(sinkIdentity\.kind managedIdentity\)/,
        );
        assert.throws(
            () => parseStackConfig({ ...withIdentity, kafka: { mode: "eventhubs", eventHubs: { operatorObjectIds: ["alice@example.com"] } } }, "dev"),
            /kafka\.eventHubs\.operatorObjectIds\.0: must be an Entra object id, a GUID/,
        );
    });
    it("the namespace admits listed addresses only: its own list, else the Connect host's from postgres.allowedClientCidrs, else refused", () => {
        assert.deepEqual(eventHubsAllowedCidrs(parseStackConfig(eventHubs({}), "dev")), ["203.0.113.10/32"], "postgres.allowedClientCidrs names the Connect host");
        assert.deepEqual(eventHubsAllowedCidrs(parseStackConfig(eventHubs({ eventHubs: { allowedClientCidrs: ["198.51.100.0/28"] } }), "dev")), ["198.51.100.0/28"]);
        rejects(
            { ...eventHubs({}), postgres: { mode: "existing", host: "pg.internal.example", sslMode: "require" } },
            /pg-adx-cdc:kafka\.eventHubs\.allowedClientCidrs: the Event Hubs namespace admits only listed addresses: list the Connect host's public address/,
        );
        rejects(
            eventHubs({ eventHubs: { allowedClientCidrs: ["0.0.0.0/0"] } }),
            /pg-adx-cdc:kafka\.eventHubs\.allowedClientCidrs\.0: "0\.0\.0\.0\/0" opens Event Hubs to 0\.0\.0\.0-255\.255\.255\.255, i\.e\. the internet/,
        );
    });
    it("refuses a table whose event hub name Event Hubs would refuse (it must end with a letter or digit); the broker container takes it", () => {
        rejects(
            eventHubs({}, ["retail.orders_"]),
            /pg-adx-cdc:kafka\.eventHubs: retail\.orders_ would be written to event hub "cdc\.retail\.orders_", a name Event Hubs refuses .*rename the table in PostgreSQL, or use kafka\.mode "container"/,
        );
        rejects(eventHubs({}, ['retail."Order Items "']), /event hub "cdc\.retail\.Order_Items_", a name Event Hubs refuses/);
        parseStackConfig(eventHubs({}, ['retail."Order Items"']), "dev");
        parseStackConfig({ ...valid(), capture: { tables: ["retail.orders_"] } }, "dev");
    });
    it("refuses the Basic tier (no Kafka endpoint)", () =>
        rejects(eventHubs({ eventHubs: { tier: "Basic" } }), /pg-adx-cdc:kafka\.eventHubs\.tier: the Basic tier has no Kafka endpoint .*set tier "Standard" or "Premium"/));
    it("Standard: 4 tables fit in its 10 event hubs, a fifth does not, and the error says why and what to do", () => {
        parseStackConfig(eventHubs({}, tables(4)), "dev");
        rejects(
            eventHubs({}, tables(5)),
            /pg-adx-cdc:kafka\.eventHubs\.tier: 5 captured tables need 11 event hubs \(one per table, plus Connect's 3 internal topics, the dead-letter topic, the heartbeat table's and the workers' health topic\), and Standard allows 10 per namespace \(4 tables\); set tier "Premium"/,
        );
    });
    it("Premium: 100 event hubs and 200 partitions per processing unit; only 1, 2, 4, 8 or 16 units", () => {
        parseStackConfig(eventHubs({ eventHubs: { tier: "Premium", capacity: 1, partitions: 4 } }, tables(40)), "dev");
        rejects(
            eventHubs({ eventHubs: { tier: "Premium", capacity: 1, partitions: 8 } }, tables(40)),
            /kafka\.eventHubs\.partitions: 40 tables × 8 partitions plus Connect's come to 330 partitions; Premium with 1 PU allows 200/,
        );
        rejects(eventHubs({ eventHubs: { tier: "Premium", capacity: 3 } }), /kafka\.eventHubs\.capacity: Premium takes 1, 2, 4, 8 or 16 processing units \(got 3\)/);
    });
    it("refuses partitions and retention beyond the tier", () => {
        rejects(eventHubs({ eventHubs: { partitions: 33 } }), /kafka\.eventHubs\.partitions: Standard allows at most 32 partitions per event hub \(got 33\)/);
        rejects(eventHubs({ eventHubs: { retentionHours: 169 } }), /kafka\.eventHubs\.retentionHours: Standard keeps events at most 168 hours \(got 169\)/);
    });
    it("refuses a compression Event Hubs rejects (lz4, snappy, zstd)", () => {
        for (const compression of ["lz4", "snappy", "zstd"])
            rejects(eventHubs({ compression }), new RegExp(`pg-adx-cdc:kafka\\.compression: Event Hubs rejects ${compression}-compressed batches; set compression to "gzip"`));
        parseStackConfig(eventHubs({ compression: "none" }), "dev");
    });
    it("refuses a single Connect worker, and settings of the other mode", () => {
        rejects(eventHubs({ connectWorkers: 1 }), /pg-adx-cdc:kafka\.connectWorkers: at least 2: with one worker a lost host stops capture/);
        rejects(eventHubs({ kafkaPort: 9092 }), /pg-adx-cdc:kafka\.kafkaPort has no effect with mode "eventhubs" \(Event Hubs is the broker; there is no broker container\)/);
        rejects({ ...valid(), kafka: { eventHubs: { tier: "Premium" } } }, /pg-adx-cdc:kafka\.eventHubs has no effect with mode "container"/);
        rejects({ ...valid(), kafka: { mode: "confluent" } }, /pg-adx-cdc:kafka\.mode/);
        rejects(eventHubs({ partitions: 8 }), /pg-adx-cdc:kafka\.partitions has no effect with mode "eventhubs" \(an event hub's partitions are kafka\.eventHubs\.partitions\)/);
        rejects({ ...valid(), kafka: { partitions: 0 } }, /pg-adx-cdc:kafka\.partitions/);
        rejects({ ...valid(), kafka: { partitions: 65 } }, /pg-adx-cdc:kafka\.partitions/);
    });
});

describe("keys and values as a Pulumi user writes them", () => {
    it("refuses a mistyped section, naming it and the nearest setting", () =>
        rejects({ ...valid(), captur: { tables: ["a.b"] } }, /pg-adx-cdc:captur is not a setting; did you mean pg-adx-cdc:capture\? \(settings: adx, postgres, capture, kafka/));
    it("refuses a mistyped key inside a section", () =>
        rejects(
            { ...valid(), capture: { tabels: ["a.b"] } },
            /pg-adx-cdc:capture\.tabels is not a setting; did you mean pg-adx-cdc:capture\.tables\? \(settings of pg-adx-cdc:capture: tables, topicPrefix, keys/,
        ));
    it("refuses a key spelled in another case", () =>
        rejects(
            { postgres: { allowedClientCIDRs: ["203.0.113.10/32"], allowDeployerIp: true } },
            /pg-adx-cdc:postgres\.allowedClientCIDRs is not a setting; did you mean pg-adx-cdc:postgres\.allowedClientCidrs\?/,
        ));
    it("refuses a mistyped key two levels down", () =>
        rejects(
            { ...valid(), kafka: { mode: "eventhubs", eventHubs: { teir: "Premium" } } },
            /pg-adx-cdc:kafka\.eventHubs\.teir is not a setting; did you mean pg-adx-cdc:kafka\.eventHubs\.tier\?/,
        ));
    it("names a mode-only key once, with its own reason", () => {
        try {
            parseStackConfig({ ...valid(), kafka: { connectWorkers: 3 } }, "dev");
            assert.fail("should be refused");
        } catch (e) {
            const problems = (e as StackConfigError).problems;
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /kafka\.connectWorkers has no effect with mode "container"/);
        }
    });
    it("accepts values as `pulumi config set --path` stores them", () => {
        const c = parseStackConfig(
            {
                postgres: { allowedClientCidrs: ["203.0.113.10/32"], version: 15, maxReplicationSlots: "12", maxWalSenders: "12" },
                generator: { updates: "0.3", deletes: "0.1", enabled: "true", rate: "50" },
                adx: { autoStop: "false" },
            },
            "dev",
        );
        assert.equal(c.postgres.version, "15");
        assert.equal(c.postgres.maxReplicationSlots, 12);
        assert.equal(c.generator.updates, 0.3);
        assert.equal(c.generator.enabled, true);
        assert.equal(c.generator.rate, 50);
        assert.equal(c.adx.autoStop, false);
    });
    it("refuses an ambiguous value with the --type to use", () => {
        rejects(
            { ...valid(), generator: { rate: "fast" } },
            /pg-adx-cdc:generator\.rate: .*expected number.* \(got "fast"\); set it with: pulumi config set --path 'pg-adx-cdc:generator\.rate' <value> --type float/,
        );
        rejects(
            { ...valid(), adx: { autoStop: "yes" } },
            /pg-adx-cdc:adx\.autoStop: .*expected boolean.* \(got "yes"\); set it with: pulumi config set --path 'pg-adx-cdc:adx\.autoStop' <value> --type bool/,
        );
    });
});
