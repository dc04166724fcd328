// Who the stack's Azure Monitor alerts tell: one action group for every alert (the source server's
// storage and slot, the pipeline stalled), made only when someone is to be e-mailed.
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

export interface AlertRecipientsArgs {
    resourceGroupName: pulumi.Input<string>;
    emails: string[];
}

export function alertActionGroup(name: string, args: AlertRecipientsArgs, opts: pulumi.CustomResourceOptions): monitor.ActionGroup {
    return new monitor.ActionGroup(
        name,
        {
            resourceGroupName: args.resourceGroupName,
            location: "Global",
            groupShortName: "pg-adx-cdc",
            enabled: true,
            emailReceivers: args.emails.map((emailAddress, i) => ({ name: `email-${i}`, emailAddress, useCommonAlertSchema: true })),
        },
        opts,
    );
}
