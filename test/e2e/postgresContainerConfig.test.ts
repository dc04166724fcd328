// The free path's PostgreSQL, on real binaries: the container's command line and pg_hba.conf
// (components/postgresContainer.ts) start a PostgreSQL with logical replication where the admin
// must give its password, and where the replication user, set up by the stack's bootstrap with
// only a SCRAM verifier, can open a replication connection. (No Docker here: the same arguments
// the image's entrypoint passes to `postgres`, on the distribution's server binaries.)
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { asRoot, pgCommand } from "../../local/localPipeline";
import { ensurePrerequisites } from "../../local/prerequisites";
import { freePort, ManagedProcess, portOpen, startProcess, stopProcess, waitUntil } from "../../local/processes";
import { defaultPostgresSettings } from "../../config/postgresSettings";
import { buildPostgresContainerCommand } from "../../components/postgresContainer";
import { buildHbaRules, buildLogicalReplicationParameters } from "../../postgres/serverParameters";
import { buildSourceBootstrapStatements, sourceObjectNames } from "../../postgres/sourceSchema";
import { buildScramSha256Verifier } from "../../postgres/scramVerifier";

const settings = { ...defaultPostgresSettings(), administratorLogin: "cdcadmin", databaseName: "retail" };
const ADMIN_PASSWORD = `admin-${Date.now()}`;
const REPLICATION_PASSWORD = `replication-${Date.now()}`;
let workDir: string;
let server: ManagedProcess;
let port: number;

const connect = (user: string, password: string, extra: Record<string, unknown> = {}) => {
    const client = new Client({ host: "127.0.0.1", port, database: settings.databaseName, user, password, ...extra });
    client.on("error", () => undefined);
    return client.connect().then(() => client);
};

before(async () => {
    const prerequisites = await ensurePrerequisites();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-adx-cdc-container-config-"));
    fs.chmodSync(workDir, 0o755);
    const data = path.join(workDir, "data");
    const hbaFile = path.join(workDir, "pg_hba.conf");
    const passwordFile = path.join(workDir, "password");
    fs.mkdirSync(data);
    fs.writeFileSync(passwordFile, ADMIN_PASSWORD);
    // The container's own pg_hba.conf, as uploaded by the stack.
    fs.writeFileSync(hbaFile, buildHbaRules({ replicationUser: settings.replicationUser, clientAddress: "all", otherUsersAuth: "scram-sha-256" }).join("\n") + "\n");
    if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", workDir]);
    // What the official image's entrypoint does with POSTGRES_USER / POSTGRES_PASSWORD.
    const [initCmd, initArgs] = pgCommand(path.join(prerequisites.postgresBin, "initdb"), [
        "-D",
        data,
        "-U",
        settings.administratorLogin,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--no-sync",
    ]);
    execFileSync(initCmd, initArgs, { stdio: "ignore" });
    port = await freePort();
    const [command, ...args] = buildPostgresContainerCommand(buildLogicalReplicationParameters(settings));
    assert.equal(command, "postgres");
    const serverArgs = args.map((a) => (a.startsWith("hba_file=") ? `hba_file=${hbaFile}` : a));
    const [cmd, cmdArgs] = pgCommand(path.join(prerequisites.postgresBin, "postgres"), [
        "-D",
        data,
        ...serverArgs,
        "-c",
        `port=${port}`,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${workDir}`,
    ]);
    const log = path.join(workDir, "postgres.log");
    fs.writeFileSync(log, "");
    if (asRoot) execFileSync("chown", ["postgres:postgres", log]);
    server = startProcess("postgres-container-config", cmd, cmdArgs, log);
    await waitUntil("PostgreSQL with the container's command line", () => portOpen(port), 30_000, server);
    const admin = await connect(settings.administratorLogin, ADMIN_PASSWORD, { database: "postgres" });
    await admin.query(`CREATE DATABASE ${settings.databaseName}`);
    await admin.end();
});

after(async () => {
    if (server) await stopProcess(server);
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe("the PostgreSQL container's command line and pg_hba.conf, on real PostgreSQL", () => {
    it("turn on logical replication with the stack's settings", async () => {
        const admin = await connect(settings.administratorLogin, ADMIN_PASSWORD);
        const show = async (name: string) => (await admin.query(`SHOW ${name}`)).rows[0][name];
        assert.equal(await show("wal_level"), "logical");
        assert.equal(await show("max_replication_slots"), String(settings.maxReplicationSlots));
        assert.equal(await show("max_wal_senders"), String(settings.maxWalSenders));
        assert.equal(await show("max_worker_processes"), String(settings.maxWorkerProcesses));
        assert.equal(await show("password_encryption"), "scram-sha-256");
        await admin.end();
    });

    it("make the admin give its password over TCP (no trust)", async () => {
        await assert.rejects(connect(settings.administratorLogin, "wrong-password"), /password authentication failed/);
    });

    it("let the replication user, bootstrapped with a SCRAM verifier only, open a logical replication connection (Debezium's kind)", async () => {
        const admin = await connect(settings.administratorLogin, ADMIN_PASSWORD);
        const names = sourceObjectNames("cdc");
        const statements = buildSourceBootstrapStatements({
            tables: ["retail.orders_info"],
            publicationName: names.publicationName,
            heartbeatTable: names.heartbeatTable,
            signalTable: names.signalTable,
            replicationUser: settings.replicationUser,
            replicationPasswordVerifier: buildScramSha256Verifier(REPLICATION_PASSWORD, "Y29udGFpbmVyLXNhbHQtMTI="),
            createDemoTables: true,
        });
        for (const statement of statements) await admin.query(statement);
        await admin.end();
        await assert.rejects(connect(settings.replicationUser, "not-the-password", { replication: "database" }), /password authentication failed/);
        const replication = await connect(settings.replicationUser, REPLICATION_PASSWORD, { replication: "database" });
        const identify = await replication.query("IDENTIFY_SYSTEM");
        assert.equal(identify.rows[0].dbname, settings.databaseName);
        // A pgoutput slot as Debezium creates it, to prove the stream really opens.
        const slot = await replication.query("CREATE_REPLICATION_SLOT container_probe TEMPORARY LOGICAL pgoutput");
        assert.equal(slot.rows[0].slot_name, "container_probe");
        await replication.end();
    });
});
