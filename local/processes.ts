// Child processes of the local pipeline: started with their output in log files, waited on by real
// readiness checks, stopped (and killed if they do not stop) on exit, also when a test fails.
import { pollUntil } from "../runtime/pollUntil";
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as net from "net";

export interface ManagedProcess {
    name: string;
    child: ChildProcess;
    logFile: string;
    exited: Promise<number | null>;
}

/** Every child still running, killed if this process exits without stopping them (an uncaught error, process.exit). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts a child in its own process group: Ctrl-C in a terminal reaches only this process, which then
 * stops the children in order (Connect before Kafka before PostgreSQL) instead of all dying at once.
 */
export function startProcess(name: string, command: string, args: string[], logFile: string, options: SpawnOptions = {}): ManagedProcess {
    const log = fs.openSync(logFile, "a");
    const child = spawn(command, args, { ...options, stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);
    running.add(child);
    const exited = new Promise<number | null>((resolve) =>
        child.once("exit", (code) => {
            running.delete(child);
            resolve(code);
        }),
    );
    return { name, child, logFile, exited };
}

/** Sends SIGTERM, then SIGKILL after the grace period. */
export async function stopProcess(p: ManagedProcess, graceMs = 15_000): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill("SIGTERM");
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
    if ((await Promise.race([p.exited, timer])) === "timeout") {
        p.child.kill("SIGKILL");
        await p.exited;
    }
}

export function killProcess(p: ManagedProcess): Promise<number | null> {
    p.child.kill("SIGKILL");
    return p.exited;
}

export function tailLog(p: ManagedProcess, lines = 40): string {
    try {
        return fs.readFileSync(p.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Polls `probe` until it returns true; fails with the process's log tail if it exits or times out. */
export async function waitUntil(description: string, probe: () => Promise<boolean>, timeoutMs: number, process?: ManagedProcess): Promise<void> {
    await pollUntil({
        attempt: async () => {
            if (process && (process.child.exitCode !== null || process.child.signalCode !== null)) {
                throw new Error(`${process.name} exited while waiting for ${description}:\n${tailLog(process)}`);
            }
            return (await probe().catch(() => false)) ? true : undefined;
        },
        timeoutMs,
        intervalMs: 250,
        timeoutError: () => new Error(`timed out after ${timeoutMs / 1000} s waiting for ${description}${process ? `:\n${tailLog(process)}` : ""}`),
    });
}

export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}
