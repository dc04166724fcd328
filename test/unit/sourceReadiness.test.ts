// The readiness check's verdicts on a server the stack does not own (the provider test runs the
// same check against a real PostgreSQL; these are the states that one cannot be put in cheaply).
import { it } from "node:test";
import * as assert from "node:assert/strict";
import { readinessProblems, ReadinessFacts } from "../../postgres/sourceReadiness";
import { restartHintFor } from "../../components/existingPostgresServer";

const ready: ReadinessFacts = {
    walLevel: "logical",
    walLevelPendingRestart: false,
    maxReplicationSlots: 10,
    usedReplicationSlots: 2,
    ownSlotExists: false,
    maxWalSenders: 10,
    usedWalSenders: 1,
    canCreateReplicationUser: true,
    serverVersion: 160004,
    tablesNotOwned: [],
};
const connection = { host: "orders-db.postgres.database.azure.com", port: 5432, database: "shop", user: "appadmin", sslMode: "require" as const };
const restartHint = restartHintFor({ kind: "azure", resourceGroupName: "app-rg", serverName: "orders-db", allowRestart: false, parameters: [], allowedClientCidrs: [] });

it("a ready server has no problem", () => assert.deepEqual(readinessProblems(ready, { connection, restartHint }), []));

it("wal_level not logical: names the setting, the restart it needs and how to make it", () => {
    const [problem] = readinessProblems({ ...ready, walLevel: "replica" }, { connection, restartHint });
    assert.match(
        problem,
        /^wal_level on orders-db\.postgres\.database\.azure\.com:5432 is replica; logical replication needs wal_level=logical .* az postgres flexible-server restart --resource-group app-rg --name orders-db; then run pulumi up again\. Or let the stack restart it: pulumi config set --path pg-adx-cdc:postgres\.allowRestart true$/,
    );
});

it("captured tables owned by another role: names them, their owner and the GRANT the owner runs", () => {
    const problems = readinessProblems(
        {
            ...ready,
            tablesNotOwned: [
                { table: "erp.invoices", owner: "erp_owner" },
                { table: "erp.invoices_2026", owner: "erp_owner" },
            ],
        },
        { connection, restartHint },
    );
    assert.deepEqual(problems, [
        "erp.invoices, erp.invoices_2026 belong to erp_owner, whose rights the admin login appadmin does not hold (the publication, REPLICA IDENTITY FULL and the replication user's SELECT need them): as erp_owner or a superuser, run GRANT erp_owner TO appadmin",
    ]);
});

it("wal_level set but waiting for a restart: says exactly that", () => {
    assert.match(
        readinessProblems({ ...ready, walLevel: "replica", walLevelPendingRestart: true }, { connection, restartHint })[0],
        /is set to logical but waits for a restart \(now replica\)\. Restart the server/,
    );
});

it("no free slot or WAL sender, no right to create the replication user: each named with its fix; an existing own slot needs no free one", () => {
    const problems = readinessProblems({ ...ready, usedReplicationSlots: 10, usedWalSenders: 10, canCreateReplicationUser: false }, { connection, restartHint });
    assert.equal(problems.length, 3);
    assert.match(problems[0], /no free replication slot \(10 of max_replication_slots=10 in use\)/);
    assert.match(problems[1], /no free WAL sender \(10 of max_wal_senders=10 in use\)/);
    assert.match(problems[2], /the admin login appadmin .* cannot create the replication user: it needs superuser, or CREATEROLE and REPLICATION/);
    assert.deepEqual(readinessProblems({ ...ready, usedReplicationSlots: 10, ownSlotExists: true }, { connection, restartHint }), []);
});

it("PostgreSQL 15 or older outside Azure, a NOSUPERUSER admin: names why (only a superuser may grant REPLICATION there) and both ways out", () => {
    const [problem] = readinessProblems({ ...ready, serverVersion: 150010, canCreateReplicationUser: false }, { connection, restartHint });
    assert.match(
        problem,
        /PostgreSQL 15 lets only a superuser create a REPLICATION role or set its password .*: connect the stack as a superuser, or upgrade the server to PostgreSQL 16 or later$/,
    );
});

it("the stack's roles created by another login (PostgreSQL 16+): named, with the GRANT ... WITH ADMIN OPTION that lets the admin alter them", () => {
    const problems = readinessProblems({ ...ready, rolesNotManaged: ["cdc_operator", "cdc_replicator"] }, { connection, restartHint });
    assert.deepEqual(problems, [
        "roles cdc_operator, cdc_replicator already exist on orders-db.postgres.database.azure.com:5432, created by another login, and the admin login appadmin may not alter them " +
            "(PostgreSQL 16 and later let a CREATEROLE login alter only the roles it holds ADMIN OPTION on; the bootstrap sets their password and rights): " +
            "as a superuser or the login that created them, run GRANT cdc_operator TO appadmin WITH ADMIN OPTION; GRANT cdc_replicator TO appadmin WITH ADMIN OPTION (or drop them if nothing else uses them)",
    ]);
});

it("a schema of the same owner as the captured tables: one line, since one GRANT fixes both", () => {
    const problems = readinessProblems(
        { ...ready, tablesNotOwned: [{ table: "erp.invoices", owner: "erp_owner" }], schemasNotGrantable: [{ schema: "erp", owner: "erp_owner" }] },
        { connection, restartHint },
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^erp\.invoices belongs to erp_owner.*run GRANT erp_owner TO appadmin$/);
});

it("a captured table's schema the admin cannot grant USAGE on, and a database it may not create the stack's schema in: each named with its GRANT", () => {
    const problems = readinessProblems(
        { ...ready, schemasNotGrantable: [{ schema: "ledger", owner: "dba" }], canCreateStackSchema: false, databaseOwner: "dba" },
        { connection, restartHint, stackSchema: "cdc_meta" },
    );
    assert.deepEqual(problems, [
        "schema ledger belongs to dba, and the admin login appadmin can neither act as dba nor grant USAGE on it, so the replication user would get no USAGE and the snapshot would fail: " +
            "as dba or a superuser, run GRANT dba TO appadmin (or GRANT USAGE ON SCHEMA ledger TO appadmin WITH GRANT OPTION)",
        "the admin login appadmin may not create the stack's schema cdc_meta in database shop (no CREATE on it): as dba or a superuser, run GRANT CREATE ON DATABASE shop TO appadmin (or create the schema cdc_meta owned by appadmin)",
    ]);
});

it("a server older than PostgreSQL 13 (no publish_via_partition_root): named with the upgrade", () => {
    const [problem] = readinessProblems({ ...ready, serverVersion: 120017 }, { connection, restartHint });
    assert.match(problem, /runs PostgreSQL 12; pg-adx-cdc needs PostgreSQL 13 or later .*publish_via_partition_root.*upgrade the server/);
    assert.deepEqual(readinessProblems({ ...ready, serverVersion: 130000 }, { connection, restartHint }), []);
});
