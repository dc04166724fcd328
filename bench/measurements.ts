// Figures the benchmark reports: latency percentiles, and CPU/RSS of a process from /proc.
import * as fs from "fs";

export interface LatencySummary {
    count: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
}

/** Nearest-rank percentiles of latencies in milliseconds. */
export function summarizeLatencies(values: number[]): LatencySummary {
    if (values.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN };
    const sorted = [...values].sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1] };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
const PAGE_SIZE = 4096;

function cpuTicks(pid: number): number {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssBytes(pid: number): number {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_SIZE;
}

/** Samples a process's CPU share (of one core) and resident memory until stopped. */
export function sampleProcess(pid: number, intervalMs = 500): { stop(): { cpuPercent: number; maxRssMiB: number } } {
    const startTicks = cpuTicks(pid);
    const started = Date.now();
    let maxRss = rssBytes(pid);
    const timer = setInterval(() => {
        try {
            maxRss = Math.max(maxRss, rssBytes(pid));
        } catch {
            /* process gone */
        }
    }, intervalMs);
    return {
        stop() {
            clearInterval(timer);
            const seconds = (Date.now() - started) / 1000;
            let ticks = 0;
            try {
                ticks = cpuTicks(pid) - startTicks;
            } catch {
                /* process gone */
            }
            return { cpuPercent: Math.round((ticks / CLOCK_TICKS / seconds) * 1000) / 10, maxRssMiB: Math.round(maxRss / 1048576) };
        },
    };
}

function childrenOf(pid: number): number[] {
    const children: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
            if (ppid === pid) children.push(Number(entry));
        } catch {
            /* gone */
        }
    }
    return children;
}

/**
 * CPU of a process and everything under it, including children that ended meanwhile (their time
 * is in the parent's cutime/cstime once reaped): PostgreSQL's postmaster with its backends and
 * walsenders, whose connections come and go during a run.
 */
function treeTicks(pid: number): number {
    let total = 0;
    try {
        const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]); // utime stime cutime cstime
    } catch {
        return 0;
    }
    for (const child of childrenOf(pid)) total += treeTicks(child);
    return total;
}

/** Proportional set size (shared pages split among their users, so PostgreSQL's shared buffers count once), else RSS. */
function pssBytes(pid: number): number {
    try {
        const match = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
        if (match) return Number(match[1]) * 1024;
    } catch {
        /* older kernel or no permission */
    }
    return rssBytes(pid);
}

function treeRssBytes(pid: number): number {
    let total = 0;
    try {
        total += pssBytes(pid);
    } catch {
        return 0;
    }
    for (const child of childrenOf(pid)) total += treeRssBytes(child);
    return total;
}

/** Samples the CPU share (of one core) and the largest memory (PSS summed over the tree) of a process tree until stopped. */
export function sampleProcessTree(pid: number, intervalMs = 1000): { stop(): { cpuPercent: number; maxRssMiB: number } } {
    const startTicks = treeTicks(pid);
    const started = Date.now();
    let maxRss = treeRssBytes(pid);
    const timer = setInterval(() => (maxRss = Math.max(maxRss, treeRssBytes(pid))), intervalMs);
    return {
        stop() {
            clearInterval(timer);
            const seconds = (Date.now() - started) / 1000;
            return { cpuPercent: Math.round(((treeTicks(pid) - startTicks) / CLOCK_TICKS / seconds) * 1000) / 10, maxRssMiB: Math.round(maxRss / 1048576) };
        },
    };
}

/** Samples this Node process's CPU share (of one core) and largest resident memory (the bench's generator, the ADX double and the topic reader run in it). */
export function sampleThisProcess(intervalMs = 1000): { stop(): { cpuPercent: number; maxRssMiB: number } } {
    const start = process.cpuUsage();
    const started = Date.now();
    let maxRss = process.memoryUsage().rss;
    const timer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), intervalMs);
    return {
        stop() {
            clearInterval(timer);
            const used = process.cpuUsage(start);
            return { cpuPercent: Math.round(((used.user + used.system) / 1000 / (Date.now() - started)) * 1000) / 10, maxRssMiB: Math.round(maxRss / 1048576) };
        },
    };
}

/**
 * Samples a JVM's used heap (young + old generation, `jstat -gc`) until stopped: the peak a load
 * needs, which RSS hides (the JVM keeps what it once reserved). Needs the JDK's jstat; without it the
 * peak is reported as null with the reason.
 */
export function sampleJvmHeap(pid: number, intervalMs = 1000): { stop(): { peakUsedMiB: number | null; committedMiB: number | null; note?: string } } {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { spawn } = require("child_process") as typeof import("child_process");
    let peakKiB: number | null = null;
    let committedKiB: number | null = null;
    let header: string[] | undefined;
    let note: string | undefined;
    const jstat = spawn("jstat", ["-gc", String(pid), String(intervalMs)], { stdio: ["ignore", "pipe", "pipe"] });
    jstat.on("error", (e: Error) => (note = `jstat unavailable (${e.message}); install the JDK (openjdk-17-jdk-headless) for heap figures`));
    let pending = "";
    jstat.stdout.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
            const fields = line.trim().split(/\s+/);
            if (fields[0] === "S0C") header = fields;
            else if (header && fields.length === header.length) {
                const at = (name: string) => Number(fields[header!.indexOf(name)]);
                const used = at("S0U") + at("S1U") + at("EU") + at("OU");
                const committed = at("S0C") + at("S1C") + at("EC") + at("OC");
                if (Number.isFinite(used)) peakKiB = Math.max(peakKiB ?? 0, used);
                if (Number.isFinite(committed)) committedKiB = Math.max(committedKiB ?? 0, committed);
            }
        }
    });
    return {
        stop() {
            jstat.kill();
            const mib = (kib: number | null) => (kib === null ? null : Math.round(kib / 1024));
            return { peakUsedMiB: mib(peakKiB), committedMiB: mib(committedKiB), ...(note ? { note } : {}) };
        },
    };
}
