// The alert that reaches a person when changes stop reaching ADX and nobody runs `status`: Connect
// down, a failed source or sink task that the watchdog could not restart, ADX refusing the rows, a
// worker host gone. It reads what `status` reads, the newest heartbeat in ADX (Debezium commits one
// every 10 s even when no captured table changes), with a log search alert rule whose query reaches
// ADX across services (`adx()`, from a small Log Analytics workspace that holds no data of its own).
// Azure runs such a query only as the rule's managed identity, which gets Viewer on the one database.
// A second rule, on the same workspace and identity, reads the Connect workers' health records: a sink
// task failing for one table leaves the heartbeat fresh, so the stalled rule alone would never fire.
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { AdxDatabaseAccess, grantAdxDatabaseRole } from "./adxDatabaseRole";
import { FAILED_TASK_ALERT } from "../kql/workerHealthModel";

export interface PipelineStalledAlertArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** The workspace's and the managed identity's name. */
    resourceName: pulumi.Input<string>;
    /** The rule's query (kql/adxModel.ts heartbeatStalledQuery over adxTableReference): a row means stalled. */
    query: pulumi.Input<string>;
    /** For the description: the heartbeat age that fires it. */
    maxHeartbeatAgeSeconds: number;
    /** The failed-task rule's query (kql/workerHealthModel.ts failedTasksQuery over adxTableReference): a row means a task failed. */
    failedTasksQuery: pulumi.Input<string>;
    /** Where the rule's identity gets Viewer: the database the heartbeat lands in. */
    databaseAccess: AdxDatabaseAccess;
    tenantId: pulumi.Input<string>;
    /** Who is told (none: the alert shows in the Azure portal only). */
    actionGroupId?: pulumi.Input<string>;
}

/** How often Azure runs the query; the heartbeat age must leave room for one evaluation. */
export const STALLED_ALERT_EVALUATION_FREQUENCY = "PT5M";

export class PipelineStalledAlert extends pulumi.ComponentResource {
    public readonly rule: monitor.ScheduledQueryRule;
    public readonly failedTasksRule: monitor.ScheduledQueryRule;

    constructor(name: string, args: PipelineStalledAlertArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pg-adx-cdc:index:PipelineStalledAlert", name, {}, opts);
        const workspace = new operationalinsights.Workspace(
            `${name}-workspace`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                workspaceName: args.resourceName,
                sku: { name: "PerGB2018" },
                retentionInDays: 30,
            },
            { parent: this },
        );
        const identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.resourceName },
            { parent: this },
        );
        const viewer = grantAdxDatabaseRole(
            `${name}-viewer`,
            {
                access: args.databaseAccess,
                role: "Viewer",
                clientId: identity.clientId,
                tenantId: args.tenantId,
                assignmentName: "pg-adx-cdc-stalled-alert",
                kqlText: (database) => ({
                    scriptName: "stalled-alert/viewer.kql",
                    comment: `The pipeline-stalled alert's identity may read ${database}, nothing more.`,
                    principalNote: "pg-adx-cdc pipeline-stalled alert",
                }),
            },
            { parent: this, dependsOn: [identity] },
        );
        const rule = (ruleName: string, description: string, query: pulumi.Input<string>) =>
            new monitor.ScheduledQueryRule(
                ruleName,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    kind: "LogAlert",
                    description,
                    severity: 1,
                    enabled: true,
                    scopes: [workspace.id],
                    evaluationFrequency: STALLED_ALERT_EVALUATION_FREQUENCY,
                    // The query bounds its own time; the window only has to cover one evaluation.
                    windowSize: STALLED_ALERT_EVALUATION_FREQUENCY,
                    criteria: {
                        allOf: [
                            {
                                query,
                                timeAggregation: "Count",
                                operator: "GreaterThan",
                                threshold: 0,
                                failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                            },
                        ],
                    },
                    // Resolved by itself once the condition clears.
                    autoMitigate: true,
                    // Azure would run the query once at creation, while the identity's Viewer grant may still be
                    // propagating: `pulumi up` would fail at the first try. The language service checks it in the tests.
                    skipQueryValidation: true,
                    identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                    actions: { actionGroups: args.actionGroupId ? [args.actionGroupId] : [] },
                },
                { parent: this, dependsOn: [viewer] },
            );
        this.rule = rule(
            `${name}-rule`,
            `No change has reached ADX for ${args.maxHeartbeatAgeSeconds} s: the newest heartbeat in ADX (one is committed every 10 s) is older. ` +
                `Connect is down, a connector task failed, or ADX refuses the rows; run pg-adx-cdc status. ` +
                `Quiet while the workers' health records say the stack's connector takes its initial snapshot (Debezium commits no heartbeat until it ends).`,
            args.query,
        );
        this.failedTasksRule = rule(
            `${name}-failed-tasks-rule`,
            `A Kafka Connect task has been failing for ${FAILED_TASK_ALERT.failingSeconds / 60} minutes despite the watchdog's restarts, or the watchdog gave up on it ` +
                `(a data gap, or a cause no restart fixes), or no Connect worker has reported its health for ${FAILED_TASK_ALERT.silenceSeconds / 60} minutes. ` +
                `Changes of the tables that task carries are not reaching ADX, even if other tables' are. Run pg-adx-cdc status: it names the task, the cause and the repair.`,
            args.failedTasksQuery,
        );
        this.registerOutputs({ ruleId: this.rule.id, failedTasksRuleId: this.failedTasksRule.id });
    }
}
