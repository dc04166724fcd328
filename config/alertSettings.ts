// pg-adx-cdc:alerts: who Azure Monitor tells, and when, that the pipeline needs a person. The rules
// themselves exist in every stack that deploys into an Azure subscription, with or without recipients.
import { z } from "zod";
import { configNumber } from "./configValues";
import { DEFAULT_THRESHOLDS } from "../contract/healthThresholds";

export const alertsSchema = z.strictObject({
    /**
     * E-mailed by every alert of the stack (one action group): the source server's storage past 80% or its CDC
     * slot behind, and changes no longer reaching ADX. Empty: the alerts show in the Azure portal only.
     */
    emails: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address")).default([]),
    /**
     * The pipeline-stalled alert fires when ADX's newest heartbeat is older than this (Debezium commits one every
     * 10 s), as `status --max-heartbeat-age` calls it unhealthy: whatever stopped the changes (Connect down, a
     * failed task, ADX refusing them). At least 120 s: a log search alert looks every 5 minutes.
     */
    maxHeartbeatAgeSeconds: configNumber(z.number().int().min(120).max(86400)).default(DEFAULT_THRESHOLDS.maxHeartbeatAgeSeconds),
});

export type AlertSettings = z.infer<typeof alertsSchema>;
