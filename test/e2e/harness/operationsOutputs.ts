// The `operations` stack output (contract/stackOutputs.ts) for a pipeline the harness runs, built by
// the stack's own builder (plan/operationsOutputs.ts) from the tables the sink deployment
// described: what the operator commands under test read with --outputs.
import { LocalPipeline } from "../../../local/localPipeline";
import { ADX_DATABASE, KustoSinkDeployment } from "../../../local/kustoSinkDeployment";
import { buildOperationsOutputs } from "../../../plan/operationsOutputs";
import { planPipeline } from "../../../plan/pipelinePlan";
import { OperationsOutputs } from "../../../contract/stackOutputs";
import { OPERATOR_USER } from "../../../postgres/sourceSchema";

export function localOperationsOutputs(
    pipeline: LocalPipeline,
    options: { topicPrefix: string; sink: KustoSinkDeployment; tables: string[]; queryUri?: string; defaultIdentityTables?: string[] },
): OperationsOutputs {
    return buildOperationsOutputs({
        plan: planPipeline({ topicPrefix: options.topicPrefix, tables: options.tables }),
        described: options.sink.models.map((m) => m.described),
        defaultIdentityTables: options.defaultIdentityTables,
        connect: { restUrl: pipeline.connectUrl, workerUrls: pipeline.connectUrls },
        kafka: { bootstrapServers: pipeline.kafka.bootstrapServers, authentication: pipeline.kafka.authentication },
        postgres: { host: "127.0.0.1", port: pipeline.postgres.port, database: pipeline.postgres.database, user: OPERATOR_USER, sslMode: "disable" },
        adx: { queryUri: options.queryUri ?? pipeline.adx.url, database: ADX_DATABASE },
    });
}
