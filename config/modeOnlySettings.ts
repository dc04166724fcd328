// Settings that mean something in one mode only, and settings earlier versions read: named when set,
// never silently ignored.
import { CONFIG_NAMESPACE } from "./stackConfig";

/** Settings that mean something in one mode only; set in the other they would be silently ignored. */
const MODE_ONLY_SETTINGS: { section: "adx" | "postgres" | "kafka"; defaultMode: string; onlyIn: string; reason: string; keys: string[] }[] = [
    {
        section: "adx",
        defaultMode: "owned",
        onlyIn: "owned",
        reason: "the stack does not manage an existing cluster",
        keys: ["skuName", "capacity", "autoStop", "softDeletePeriod", "hotCachePeriod"],
    },
    {
        section: "postgres",
        defaultMode: "azure",
        onlyIn: "azure",
        reason: "they describe an Azure flexible server",
        keys: ["skuName", "skuTier", "storageSizeGb", "backupRetentionDays", "geoRedundantBackup", "preloadLibraries"],
    },
    { section: "kafka", defaultMode: "container", onlyIn: "container", reason: "Event Hubs is the broker; there is no broker container", keys: ["kafkaPort"] },
    { section: "kafka", defaultMode: "container", onlyIn: "container", reason: "an event hub's partitions are kafka.eventHubs.partitions", keys: ["partitions"] },
    { section: "kafka", defaultMode: "container", onlyIn: "eventhubs", reason: "the container mode runs one broker and one worker", keys: ["eventHubs", "connectWorkers"] },
];

export function findKeysIgnoredByMode(raw: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const rule of MODE_ONLY_SETTINGS) {
        const value = raw[rule.section];
        if (!value || typeof value !== "object") continue;
        const mode = (value as Record<string, unknown>).mode ?? rule.defaultMode;
        if (mode === rule.onlyIn) continue;
        for (const key of rule.keys) {
            if (key in value) problems.push(`${CONFIG_NAMESPACE}:${rule.section}.${key} has no effect with mode "${String(mode)}" (${rule.reason}); remove it from the stack file`);
        }
    }
    return problems;
}

/** Settings earlier versions of the stack read; naming them now would be silently ignored. */
const REMOVED_SETTINGS: Record<string, string> = {
    "kafka.kafkaImage": "the Kafka image is pinned in versions.ts (KAFKA_VERSION), the version the e2e run verifies",
    "kafka.connectBaseImage": "the Debezium Connect image is pinned in versions.ts (DEBEZIUM_VERSION), the version the e2e run verifies",
    "kafka.kustoSinkVersion": "the Kusto sink is built from the commit pinned in versions.ts (KUSTO_SINK)",
    "kafka.kustoSinkSha256": "the Kusto sink is built from the commit pinned in versions.ts; the commit id is the integrity check",
    "postgres.alertEmails": "every alert of the stack now e-mails alerts.emails (one list for the source's alerts and the pipeline's); move the addresses there",
};

export function findRemovedSettings(raw: Record<string, unknown>): string[] {
    return Object.entries(REMOVED_SETTINGS).flatMap(([path, reason]) => {
        const [section, key] = path.split(".");
        const value = raw[section];
        return value && typeof value === "object" && key in value ? [`${CONFIG_NAMESPACE}:${path} is no longer a setting: ${reason}; remove it from the stack file`] : [];
    });
}
