// The alerts that reach a person about the source server when nobody runs `status`, on a server the
// stack creates and on an existing Azure server alike: the disk filling (Azure turns the server
// read-only at 95%), and the CDC slot holding WAL (Connect down, the source task failed, or a sink
// stopped at a gap long enough for Debezium to stop confirming) at the lag `status` calls unhealthy.
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import { DEFAULT_THRESHOLDS } from "../contract/healthThresholds";

/**
 * Storage use that raises the alert: Azure turns the server read-only at 95%, and a replication slot
 * whose consumer stopped keeps WAL until then; 80% leaves time to act (auto-grow, where on, acts first).
 */
export const STORAGE_ALERT_PERCENT = 80;

export interface SourceServerAlertsArgs {
    /** Where the alert rules live (the server's own resource group). */
    resourceGroupName: pulumi.Input<string>;
    /** The flexible server's ARM id. */
    serverId: pulumi.Input<string>;
    /** Who is told (components/alertRecipients.ts); none: the alerts show in Azure only. */
    actionGroupId?: pulumi.Input<string>;
}

/** Two metric alerts on the server, named `${name}-storage-alert` and `${name}-slot-lag-alert`. */
export function sourceServerAlerts(name: string, args: SourceServerAlertsArgs, opts: pulumi.CustomResourceOptions): monitor.MetricAlert[] {
    const alerts = [
        {
            part: "storage-alert",
            criterion: "storage-percent",
            metricName: "storage_percent",
            timeAggregation: "Average",
            threshold: STORAGE_ALERT_PERCENT,
            severity: 1,
            description: `PostgreSQL storage above ${STORAGE_ALERT_PERCENT}%: at 95% Azure makes the server read-only. A stopped CDC consumer keeps WAL: run pg-adx-cdc status.`,
        },
        {
            part: "slot-lag-alert",
            criterion: "logical-replication-lag",
            metricName: "logical_replication_delay_in_bytes",
            timeAggregation: "Maximum",
            threshold: DEFAULT_THRESHOLDS.maxSlotLagBytes,
            severity: 2,
            description:
                `A logical replication slot is more than ${DEFAULT_THRESHOLDS.maxSlotLagBytes / 1024 / 1024} MiB behind (the WAL it keeps grows until it is consumed): ` +
                `Kafka Connect down, or the source connector failed. Run pg-adx-cdc status; the WAL guard, where set, drops the slot at its limit.`,
        },
    ];
    return alerts.map(
        (a) =>
            new monitor.MetricAlert(
                `${name}-${a.part}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: "global",
                    description: a.description,
                    severity: a.severity,
                    enabled: true,
                    scopes: [args.serverId],
                    evaluationFrequency: "PT5M",
                    windowSize: "PT15M",
                    criteria: {
                        odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                        allOf: [
                            {
                                criterionType: "StaticThresholdCriterion",
                                name: a.criterion,
                                metricName: a.metricName,
                                operator: "GreaterThan",
                                threshold: a.threshold,
                                timeAggregation: a.timeAggregation,
                            },
                        ],
                    },
                    actions: args.actionGroupId ? [{ actionGroupId: args.actionGroupId }] : [],
                },
                opts,
            ),
    );
}
