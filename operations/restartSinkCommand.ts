// pg-adx-cdc restart-sink (npm run restart-sink): restarts the Kusto sink's failed tasks. The sink runs with behavior.on.error=fail: when ADX does
// not accept a batch within the retry window (an outage longer than it), the task fails without
// committing that batch's offsets; once ADX is back, a restart re-reads the batch from Kafka and
// delivers it. Nothing is lost meanwhile: the records wait in the topic.
import { readOperationsOutputs, StackSelection } from "./stackSelection";
import { connectRequest } from "../connectors/connectRestClient";
import { rootCause } from "./pipelineHealth";

/** 0 when nothing failed or the failed tasks were restarted; 1 when a task stopped at a data gap, which only `snapshot --table` repairs (the CLI maps a thrown error to 2). */
export async function runRestartSink(selection: StackSelection): Promise<number> {
    const outputs = readOperationsOutputs(selection);
    const sink = outputs.connectors.sink;
    const policy = { deadlineMs: 30_000, initialDelayMs: 200, maxDelayMs: 2000 };
    const status = await connectRequest(outputs.connectRestUrl, "GET", `/connectors/${sink}/status`, undefined, policy);
    if (status.status !== 200) throw new Error(`connector ${sink} not found on ${outputs.connectRestUrl} (HTTP ${status.status})`);
    const failed = status.data.tasks.filter((t: any) => t.state === "FAILED");
    if (failed.length === 0 && status.data.connector.state !== "FAILED") {
        process.stdout.write(`connector ${sink}: nothing failed (tasks ${status.data.tasks.map((t: any) => `${t.id}:${t.state}`).join(", ")})\n`);
        return 0;
    }
    for (const t of failed) process.stdout.write(`task ${t.id} FAILED: ${rootCause(t.trace ?? "")}\n`);
    // A task stopped at an offset its topic no longer holds (auto.offset.reset=none) fails again on any restart.
    const atGap = failed.filter((t: any) => /OffsetOutOfRangeException/.test(t.trace ?? ""));
    if (atGap.length) {
        process.stdout.write(
            `task(s) ${atGap.map((t: any) => t.id).join(", ")} stopped at an offset the topic no longer holds (retention deleted records the sink never read, or the topic was re-created): ` +
                `a restart cannot fix that. pg-adx-cdc status names the table; pg-adx-cdc snapshot --table <table> moves the sink past the gap and reads the table again\n`,
        );
        if (atGap.length === failed.length && status.data.connector.state !== "FAILED") return 1;
    }
    const restart = await connectRequest(outputs.connectRestUrl, "POST", `/connectors/${sink}/restart?includeTasks=true&onlyFailed=true`, undefined, policy);
    if (restart.status >= 300) throw new Error(`Kafka Connect refused the restart of ${sink}: HTTP ${restart.status} ${JSON.stringify(restart.data)}`);
    process.stdout.write(`restarted ${failed.length} failed task(s) of ${sink}; they re-read from the last offset ADX accepted\n`);
    return atGap.length ? 1 : 0;
}
