// Names of what the stack creates in Azure and Docker, from the stack name.
/** Azure resource names carry the stack so two environments coexist in one subscription. */
export function resourceNames(stack: string) {
    const compact = stack.replace(/[^a-z0-9]/g, "");
    return {
        resourceGroup: `rg-pg-adx-cdc-${stack}`,
        adxCluster: `adxcdc${compact}`.slice(0, 22),
        postgresServer: `pg-adx-cdc-${stack}`,
        /** Event Hubs namespace (6-50 characters, globally unique: the stack adds a suffix). */
        eventHubsNamespace: `pg-adx-cdc-${stack}`,
        sinkApplication: `pg-adx-cdc-sink-${stack}`,
        /** The pipeline-stalled alert's Log Analytics workspace and managed identity. */
        stalledAlert: `pg-adx-cdc-alerts-${stack}`,
        dockerNetwork: `pg-adx-cdc-${stack}`,
        kafkaContainer: `pg-adx-cdc-kafka-${stack}`,
        connectContainer: `pg-adx-cdc-connect-${stack}`,
        connectImage: `pg-adx-cdc-connect:${stack}`,
        generatorContainer: `pg-adx-cdc-generator-${stack}`,
        postgresContainer: `pg-adx-cdc-postgres-${stack}`,
        generatorImage: `pg-adx-cdc-generator:${stack}`,
    };
}
