// The Debezium source connector's input for a pipeline plan and the catalog's description of its
// tables: one builder for what the stack deploys (components/cdcPipeline.ts) and what the local
// pipeline and the e2e run start, so a setting the e2e run exercises is the setting deployed.
import type { DebeziumSourceInput } from "../connectors/debeziumSource";
import { CatalogTable, domainBaseTypes, elementTextArrayTypeNames, textFormColumns, textFormTypeNames, typedArrayTypes } from "../contract/typeTable";
import { messageKeyColumns } from "../postgres/catalog";
import type { PipelinePlan } from "./pipelinePlan";

/** Where the connector runs and how: the database it reads and the deployment's own choices. */
export type SourceConnectorDeployment = Pick<DebeziumSourceInput, "database" | "slotFailover" | "compression" | "topicCreation" | "profile" | "heartbeatIntervalMs"> & {
    /** Another name than the plan's (a second connector of one pipeline in a test); default the plan's. */
    connectorName?: string;
};

/**
 * `described`: the catalog's description of the captured tables (the heartbeat's may be among them),
 * each with its current-state key; empty for tables known to need no text form and no key columns.
 */
export function sourceConnectorInput(plan: PipelinePlan, described: (CatalogTable & { key: string[] })[], deployment: SourceConnectorDeployment): DebeziumSourceInput {
    const captured = described.filter((t) => plan.tables.some((p) => p.table === t.qualifiedName));
    const { connectorName, ...settings } = deployment;
    return {
        ...settings,
        connectorName: connectorName ?? plan.connectors.source,
        tables: plan.tables.map((t) => t.table),
        textFormTypes: textFormTypeNames(described),
        textFormColumns: textFormColumns(described),
        domainTypes: domainBaseTypes(described),
        elementTextArrayTypes: elementTextArrayTypeNames(described),
        typedArrayTypes: typedArrayTypes(described),
        keyColumns: messageKeyColumns(captured),
        topicPrefix: plan.topicPrefix,
        slotName: plan.postgres.slotName,
        publicationName: plan.postgres.publicationName,
        heartbeatTable: plan.postgres.heartbeatTable,
        signalTable: plan.postgres.signalTable,
    };
}
