// The one version manifest. The Connect image (build args), the Kafka image tag, the stack's config
// defaults and the e2e runtime (Maven fetch, the Kusto sink build) all read these values, so what
// the tests verify is what `pulumi up` deploys. test/unit/versionManifest.test.ts fails if any
// other file in the tree names another version of these components.

/** Apache Kafka: the broker image tag and the e2e broker and Connect runtime. */
export const KAFKA_VERSION = "4.3.1";

/** Debezium: the Connect base image tag and the e2e PostgreSQL connector plugin. */
export const DEBEZIUM_VERSION = "3.7.0.Final";

/**
 * The Azure Data Explorer (Kusto) sink connector, built from source at this commit (it is not on
 * Maven Central). The commit id is the integrity check: the Docker build and the e2e build fetch
 * exactly this tree, so no hand-computed checksum is needed anywhere.
 */
export const KUSTO_SINK = {
    version: "5.3.1",
    repository: "Azure/kafka-sink-azure-kusto",
    commit: "fb473a1aef785e2b2ba7a1c333cb5d43f23acf4e",
} as const;

/** Container images derived from the versions above. */
export const IMAGES = {
    kafka: `apache/kafka:${KAFKA_VERSION}`,
    debeziumConnect: `quay.io/debezium/connect:${DEBEZIUM_VERSION}`,
} as const;

/** GitHub's archive of the pinned sink commit (what the Docker build and a harness without ../shared fetch). */
export function kustoSinkArchiveUrl(): string {
    return `https://github.com/${KUSTO_SINK.repository}/archive/${KUSTO_SINK.commit}.tar.gz`;
}
