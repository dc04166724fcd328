// A Debezium source input with placeholder values, for tests of one setting: each test changes what it is about.
import { DebeziumSourceInput } from "../../connectors/debeziumSource";

export function exampleSourceInput(overrides: Partial<DebeziumSourceInput> = {}): DebeziumSourceInput {
    return {
        connectorName: "s",
        database: { host: "h", port: 5432, name: "d", user: "u", passwordReference: "${dir:/s:p}", sslMode: "require" },
        tables: ["retail.orders_info"],
        topicPrefix: "cdc",
        slotName: "sl",
        publicationName: "pub",
        heartbeatTable: "cdc_meta.hb",
        signalTable: "cdc_meta.signal",
        ...overrides,
    };
}
