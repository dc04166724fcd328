// A Pulumi program of its own that adds the pipeline for servers it does not create: an existing
// Azure flexible server (its parameters raised where needed, never lowered) and an existing ADX
// cluster (the sink gets Ingestor on the one database with KQL). Kafka and Connect run as
// containers on the Docker host the `docker` provider points at. `pulumi preview` here needs
// `az login` and a Docker host, as the main stack does (README).
import * as pulumi from "@pulumi/pulumi";
import { CdcPipeline } from "../../components/cdcPipeline";

const config = new pulumi.Config();

const orders = new CdcPipeline("orders-cdc", {
    environment: "shop",
    settings: {
        postgres: {
            mode: "existing",
            existingServer: { resourceGroupName: "shop-prod-rg", serverName: "shop-orders-pg" },
            databaseName: "orders",
            administratorLogin: "shopadmin",
            // The Connect host's address: the only client the firewall admits besides what the server already allows.
            allowedClientCidrs: ["198.51.100.40/32"],
            allowDeployerIp: false,
        },
        adx: { mode: "existing", clusterUri: "https://shopanalytics.westeurope.kusto.windows.net", databaseName: "orders" },
        capture: { tables: ["retail.orders_info", "inventory.products"] },
    },
    postgresAdminPassword: config.requireSecret("postgresAdminPassword"),
});

export const analyticsLinks = orders.analyticsLinks;
export const operations = orders.operations;
