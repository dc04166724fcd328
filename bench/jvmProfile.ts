// Where a JVM's time goes while the bench saturates it: a Java Flight Recorder recording started
// on the running process (jcmd), read back with the JDK's `jfr` tool, its execution samples
// attributed to the part of the pipeline whose code is on the stack (innermost match wins).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { pollUntil } from "../runtime/pollUntil";

export interface JvmProfile {
    seconds: number;
    samples: number;
    /** Share of samples whose stack runs through each part (innermost known frame). */
    byComponent: { component: string; percent: number }[];
    /** The hottest methods by samples on top of the stack (self time). */
    topMethods: { method: string; percent: number }[];
    /** Time the JVM's threads stood still for garbage collection during the recording. */
    gcPauseMs: number;
    file: string;
}

/** Packages by pipeline part; the first frame from the top of a stack that matches decides. */
const COMPONENTS: [string, RegExp][] = [
    ["logging", /^(org\.apache\.logging\.|org\.slf4j\.)/],
    ["JSON conversion (JsonConverter, Jackson)", /^(org\.apache\.kafka\.connect\.json\.|com\.fasterxml\.jackson\.|kusto_kafka_connector_shaded\.com\.fasterxml\.)/],
    ["compression (lz4/gzip/zstd)", /^(net\.jpountz\.|java\.util\.zip\.|com\.github\.luben\.zstd\.|org\.xerial\.snappy\.)/],
    ["TLS", /^(sun\.security\.ssl\.|javax\.crypto\.|com\.sun\.crypto\.)/],
    ["Kusto sink and its SDK (HTTP to ADX)", /^(com\.microsoft\.azure\.kusto\.|kusto_kafka_connector_shaded\.|reactor\.|io\.netty\.|com\.azure\.)/],
    ["Debezium (pgoutput decoding, change events)", /^io\.debezium\./],
    ["PostgreSQL JDBC (replication stream)", /^org\.postgresql\./],
    ["Kafka producer and consumer clients", /^org\.apache\.kafka\.clients\./],
    ["Kafka Connect transforms (InsertField, Filter)", /^org\.apache\.kafka\.connect\.transforms\./],
    ["Kafka Connect data model (Struct, Schema, Values, headers)", /^org\.apache\.kafka\.connect\.(data|header)\./],
    ["Kafka Connect runtime (task loops, offsets, metrics)", /^org\.apache\.kafka\.connect\./],
    ["Kafka common (records, serialization, network)", /^org\.apache\.kafka\.common\./],
];

function jdkTool(name: string): string {
    const java = fs.realpathSync(execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim());
    const tool = path.join(path.dirname(java), name);
    if (!fs.existsSync(tool)) throw new Error(`${tool} not found: profiling needs a JDK (javac, jcmd, jfr), not only a JRE`);
    return tool;
}

/**
 * Only what the summary reads: execution samples every millisecond (JFR's "profile" preset takes
 * one per 10 ms and only a few threads per round, too few for a 10 s window) and GC pauses.
 */
const RECORDING_SETTINGS = `<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="pg-adx-cdc bench">
  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
  <event name="jdk.GCPhasePause"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
</configuration>
`;

/** Records `seconds` of the JVM `pid` while `work` runs, then summarizes it. */
export async function profileJvm<T>(pid: number, seconds: number, file: string, work: () => Promise<T>): Promise<{ profile: JvmProfile; result: T }> {
    const jcmd = jdkTool("jcmd");
    const settings = file.replace(/\.jfr$/, "") + ".jfc";
    fs.writeFileSync(settings, RECORDING_SETTINGS);
    execFileSync(jcmd, [String(pid), "JFR.start", "name=bench", `settings=${settings}`, `duration=${seconds}s`, `filename=${file}`], { stdio: "ignore" });
    const result = await work();
    // The recording ends by itself after `seconds`; its file appears when JFR has written it.
    await pollUntil({
        attempt: async () => (fs.existsSync(file) ? true : undefined),
        timeoutMs: (seconds + 30) * 1000,
        intervalMs: 500,
        timeoutError: () => new Error(`JFR wrote no ${file} within ${seconds + 30} s`),
    });
    return { profile: summarizeRecording(file, seconds), result };
}

/** A frame's class in dotted form (JFR's JSON writes some in the JVM's internal form, with slashes). */
function frameType(frame: any): string {
    return String(frame?.method?.type?.name ?? "?").replace(/\//g, ".");
}

function frameName(frame: any): string {
    return `${frameType(frame)}.${frame?.method?.name ?? "?"}`;
}

export function summarizeRecording(file: string, seconds: number): JvmProfile {
    const jfr = jdkTool("jfr");
    const print = (events: string) => JSON.parse(execFileSync(jfr, ["print", "--json", "--stack-depth", "64", "--events", events, file], { encoding: "utf8", maxBuffer: 1 << 30 }));
    const samples: any[] = print("jdk.ExecutionSample").recording.events;
    const components = new Map<string, number>();
    const methods = new Map<string, number>();
    for (const sample of samples) {
        const frames: any[] = sample.values.stackTrace?.frames ?? [];
        if (!frames.length) continue;
        const top = frameName(frames[0]);
        methods.set(top, (methods.get(top) ?? 0) + 1);
        let component = "JDK and other";
        outer: for (const frame of frames) {
            const type = frameType(frame);
            for (const [name, pattern] of COMPONENTS)
                if (pattern.test(type)) {
                    component = name;
                    break outer;
                }
        }
        components.set(component, (components.get(component) ?? 0) + 1);
    }
    const percent = (n: number) => Math.round((n / Math.max(1, samples.length)) * 1000) / 10;
    const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
    const pauses: any[] = print("jdk.GCPhasePause").recording.events;
    const durationMs = (d: unknown) => {
        // jfr's JSON writes durations as ISO-8601 ("PT0.001234S").
        const match = /^PT(?:(\d+)M)?([\d.]+)S$/.exec(String(d));
        return match ? Number(match[1] ?? 0) * 60_000 + Number(match[2]) * 1000 : 0;
    };
    return {
        seconds,
        samples: samples.length,
        byComponent: sorted(components).map(([component, n]) => ({ component, percent: percent(n) })),
        topMethods: sorted(methods)
            .slice(0, 10)
            .map(([method, n]) => ({ method, percent: percent(n) })),
        gcPauseMs: Math.round(pauses.reduce((sum, e) => sum + durationMs(e.values.duration), 0)),
        file,
    };
}
