// pg-adx-cdc:postgres: where PostgreSQL runs (an Azure flexible server the stack owns, an existing
// server, or a container), its size and parameters, and who may reach it.
import { z } from "zod";
import { configBoolean, configEnum, configNumber } from "./configValues";
import { firewallCidrSchema } from "./ipv4Cidr";
import { SSL_MODES } from "../contract/sslMode";
import { PG_IDENTIFIER } from "../contract/identifiers";

const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;

const firewallCidr = firewallCidrSchema("PostgreSQL");

export const postgresSchema = z
    .strictObject({
        // "azure": an Azure Database for PostgreSQL flexible server. "container": PostgreSQL as a Docker
        // container next to Kafka (wal_level set on its command line): costs nothing, for trying the project.
        // "existing": a server the user already runs, holding their own tables (see existingServer / host).
        mode: configEnum(["azure", "container", "existing"]).default("azure"),
        /** Existing mode, an Azure flexible server: the stack sets its logical-replication parameters and firewall rules. */
        existingServer: z
            .strictObject({ resourceGroupName: z.string().min(1), serverName: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "an Azure flexible server name") })
            .optional(),
        /** Existing mode, any PostgreSQL: where Kafka Connect and pulumi reach it. */
        host: z.string().min(1).optional(),
        port: configNumber(z.number().int().min(1).max(65535)).default(5432),
        sslMode: configEnum(SSL_MODES).default("require"),
        /** Existing Azure server: allow the stack to restart it when wal_level needs it (interrupts its clients for about a minute). */
        allowRestart: configBoolean().default(false),
        version: configEnum(POSTGRES_VERSIONS).default("16"),
        skuName: z
            .string()
            .regex(/^Standard_[A-Za-z0-9_]+$/, 'an Azure VM size such as "Standard_B1ms"')
            .default("Standard_B1ms"),
        skuTier: configEnum(["Burstable", "GeneralPurpose", "MemoryOptimized"]).default("Burstable"),
        storageSizeGb: configNumber(z.number().int().min(32).max(32768)).default(32),
        databaseName: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("retail"),
        administratorLogin: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("cdcadmin"),
        replicationUser: z.string().regex(PG_IDENTIFIER, "a lower-case PostgreSQL identifier").default("cdc_replicator"),
        allowedClientCidrs: z.array(firewallCidr).default([]),
        allowDeployerIp: configBoolean().default(false),
        maxReplicationSlots: configNumber(z.number().int().min(2).max(100)).default(10),
        // Azure's allowed range for max_wal_senders is 5-100.
        maxWalSenders: configNumber(z.number().int().min(5).max(100)).default(10),
        maxWorkerProcesses: configNumber(z.number().int().min(16, "must be at least 16 (Azure's logical replication guide)").max(1024)).default(16),
        highAvailability: configBoolean().default(false),
        // Libraries kept in shared_preload_libraries when the stack has to set it (failover slots need it).
        preloadLibraries: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/, "a library name such as pg_stat_statements")).default(["pg_cron", "pg_stat_statements"]),
        backupRetentionDays: configNumber(z.number().int().min(7).max(35)).default(7),
        geoRedundantBackup: configBoolean().default(false),
        /**
         * Last resort against a slot that fills the server's disk (Azure turns a server read-only at 95%
         * storage and does not let max_slot_wal_keep_size be set): a pg_cron job in the source drops
         * Debezium's slot once it retains more WAL than this; Debezium then re-reads every captured table
         * (snapshot.mode when_needed) and the current state hides rows deleted meanwhile. Off when absent.
         */
        walGuard: z
            .strictObject({
                /** Retained WAL (from the slot's restart LSN) at which the slot is dropped, in GB; decimals allowed. */
                maxRetainedWalGb: configNumber(z.number().positive().max(32768)),
            })
            .optional(),
        /** Container mode: the image (default postgres:<version>) and the port published on 127.0.0.1. */
        containerImage: z.string().min(1).optional(),
        containerPort: configNumber(z.number().int().min(1024).max(65535)).default(5432),
    })
    .superRefine((pg, ctx) => {
        if (pg.highAvailability && pg.skuTier === "Burstable") {
            ctx.addIssue({
                code: "custom",
                path: ["highAvailability"],
                message: "Azure does not offer high availability on the Burstable tier; use skuTier GeneralPurpose or set highAvailability false",
            });
        }
        if (pg.maxWalSenders < pg.maxReplicationSlots) {
            ctx.addIssue({
                code: "custom",
                path: ["maxWalSenders"],
                message: `must be at least maxReplicationSlots (${pg.maxReplicationSlots}); every slot streams through a WAL sender`,
            });
        }
        if (pg.mode === "existing") {
            if (!!pg.existingServer === !!pg.host) {
                ctx.addIssue({
                    code: "custom",
                    path: ["mode"],
                    message:
                        "existing mode needs exactly one of existingServer ({ resourceGroupName, serverName } of an Azure flexible server) or host (any PostgreSQL reachable from the Connect host and from where pulumi runs)",
                });
            }
            if (pg.highAvailability)
                ctx.addIssue({ code: "custom", path: ["highAvailability"], message: "an existing server keeps its own high-availability setting; remove highAvailability" });
            if (pg.containerImage !== undefined) ctx.addIssue({ code: "custom", path: ["containerImage"], message: 'is only used with mode "container"' });
            if (pg.host && (pg.allowedClientCidrs.length > 0 || pg.allowDeployerIp || pg.allowRestart)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["host"],
                    message:
                        "the stack manages firewall rules and restarts of an Azure flexible server only; with host, open the server to the Connect host yourself and remove allowedClientCidrs, allowDeployerIp and allowRestart",
                });
            }
            if (pg.existingServer && pg.allowedClientCidrs.length === 0 && !pg.allowDeployerIp) {
                ctx.addIssue({
                    code: "custom",
                    path: ["allowedClientCidrs"],
                    message: "no client may reach PostgreSQL: list the Kafka Connect host's address here, or set allowDeployerIp true",
                });
            }
            return;
        }
        for (const key of ["existingServer", "host"] as const) {
            if (pg[key] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: `is only used with mode "existing"; set pg-adx-cdc:postgres.mode to "existing" to capture from that server, or remove ${key}`,
                });
        }
        if (pg.mode === "container") {
            if (pg.walGuard && pg.containerImage === undefined)
                ctx.addIssue({
                    code: "custom",
                    path: ["walGuard"],
                    message:
                        "needs pg_cron in the server, which the postgres image lacks; set containerImage to an image with pg_cron, or remove walGuard (a container server is for trying the project)",
                });
            if (pg.highAvailability)
                ctx.addIssue({ code: "custom", path: ["highAvailability"], message: 'a PostgreSQL container has no standby; set highAvailability false or mode "azure"' });
            if (pg.allowedClientCidrs.length > 0 || pg.allowDeployerIp) {
                ctx.addIssue({
                    code: "custom",
                    path: ["allowedClientCidrs"],
                    message:
                        "firewall rules apply to Azure servers only; the container publishes its port on 127.0.0.1 and Connect reaches it on the Docker network. Remove allowedClientCidrs and allowDeployerIp",
                });
            }
            return;
        }
        if (pg.containerImage !== undefined) ctx.addIssue({ code: "custom", path: ["containerImage"], message: 'is only used with mode "container"' });
        if (pg.walGuard && pg.walGuard.maxRetainedWalGb >= pg.storageSizeGb * 0.8) {
            ctx.addIssue({
                code: "custom",
                path: ["walGuard", "maxRetainedWalGb"],
                message: `must be below 80% of storageSizeGb (${pg.storageSizeGb} GB), where the storage alert fires, so that the guard acts before the server turns read-only at 95%; leave room for your data too`,
            });
        }
        if (pg.allowedClientCidrs.length === 0 && !pg.allowDeployerIp) {
            ctx.addIssue({
                code: "custom",
                path: ["allowedClientCidrs"],
                message: "no client may reach PostgreSQL: list the Kafka Connect host's address here, or set allowDeployerIp true",
            });
        }
    });

export type PostgresSettings = z.infer<typeof postgresSchema>;

/** The settings a stack gets when it leaves a section out; the e2e harness starts from these. */
export function defaultPostgresSettings(): PostgresSettings {
    return postgresSchema.parse({ mode: "container" });
}
