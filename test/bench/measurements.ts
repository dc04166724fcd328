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
