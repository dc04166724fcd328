// Debezium 1.x settings that current Debezium no longer reads. The public quickstarts still use
// them; a config that contains one would silently do something else, so `check` rejects it.

export interface RemovedSetting {
    key: string;
    /** When set, only this value is removed (e.g. plugin.name=wal2json). */
    value?: string;
    replacement: string;
}

export const REMOVED_DEBEZIUM_SETTINGS: readonly RemovedSetting[] = [
    { key: "database.server.name", replacement: 'use "topic.prefix" (removed in Debezium 2.0)' },
    { key: "table.whitelist", replacement: 'use "table.include.list"' },
    { key: "table.blacklist", replacement: 'use "table.exclude.list"' },
    { key: "schema.whitelist", replacement: 'use "schema.include.list"' },
    { key: "schema.blacklist", replacement: 'use "schema.exclude.list"' },
    { key: "column.whitelist", replacement: 'use "column.include.list"' },
    { key: "column.blacklist", replacement: 'use "column.exclude.list"' },
    { key: "database.history.kafka.topic", replacement: 'PostgreSQL keeps no schema history; remove it (MySQL/SQL Server use "schema.history.internal.kafka.topic")' },
    {
        key: "database.history.kafka.bootstrap.servers",
        replacement: 'PostgreSQL keeps no schema history; remove it (MySQL/SQL Server use "schema.history.internal.kafka.bootstrap.servers")',
    },
    { key: "plugin.name", value: "wal2json", replacement: 'use "plugin.name": "pgoutput" (wal2json support was removed in Debezium 2.0)' },
    { key: "plugin.name", value: "wal2json_streaming", replacement: 'use "plugin.name": "pgoutput" (wal2json support was removed in Debezium 2.0)' },
    { key: "transforms.unwrap.delete.handling.mode", replacement: 'use "transforms.unwrap.delete.tombstone.handling.mode" (e.g. "rewrite")' },
    { key: "transforms.unwrap.drop.tombstones", replacement: 'use "transforms.unwrap.delete.tombstone.handling.mode"' },
    { key: "snapshot.mode", value: "exported", replacement: 'use "snapshot.mode": "initial" (exported was removed)' },
];

/** Keys whose values are ignored by current Debezium in whatever transform alias they appear. */
const REMOVED_TRANSFORM_SUFFIXES = ["delete.handling.mode", "drop.tombstones"];

/** Returns one message per removed setting found in a connector config. */
export function findRemovedDebeziumSettings(config: Record<string, string>): string[] {
    const problems: string[] = [];
    for (const [key, value] of Object.entries(config)) {
        const match = REMOVED_DEBEZIUM_SETTINGS.find((r) => r.key === key && (r.value === undefined || r.value === value));
        if (match) {
            problems.push(`"${key}"${match.value ? `="${value}"` : ""} is a removed Debezium 1.x setting: ${match.replacement}`);
            continue;
        }
        const transformSuffix = REMOVED_TRANSFORM_SUFFIXES.find((s) => /^transforms\.[^.]+\./.test(key) && key.endsWith("." + s) && key !== `transforms.unwrap.${s}`);
        if (transformSuffix) problems.push(`"${key}" is a removed Debezium 1.x setting: use "delete.tombstone.handling.mode" on ExtractNewRecordState`);
    }
    return problems;
}
