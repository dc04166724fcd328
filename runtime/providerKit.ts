// What every dynamic provider of the stack does the same way: read the PostgreSQL admin password from
// the stack's secret config, answer `check`, say that a resource is gone. The engine serializes each
// provider with the functions it calls (closure serialization), so these stay self-contained: plain
// data and Node only, nothing loaded at module scope.

/** The project's config namespace: every stack setting is `pg-adx-cdc:<key>`. */
export const CONFIG_NAMESPACE = "pg-adx-cdc";

/** Stack config key of the PostgreSQL admin password (a Pulumi secret). */
export const POSTGRES_ADMIN_PASSWORD_KEY = "postgresAdminPassword";

/** The same key as a provider's `configure` request names it. */
export const ADMIN_PASSWORD_CONFIG_KEY = `${CONFIG_NAMESPACE}:${POSTGRES_ADMIN_PASSWORD_KEY}`;

/** A provider that connects to PostgreSQL as the admin: the password arrives through `configure`, never as an input (so never in state or a diff). */
export interface AdminPasswordReader {
    adminPassword?: string;
}

/** A provider's `configure`: keeps the stack's admin password for its methods (`this.adminPassword`). */
export async function configureAdminPassword(this: AdminPasswordReader, request: { config: { get(key: string): string | undefined } }): Promise<void> {
    this.adminPassword = request.config.get(ADMIN_PASSWORD_CONFIG_KEY);
}

/** One reason `check` refuses an input, naming the property. */
export interface CheckFailure {
    property: string;
    reason: string;
}

/** `check`'s answer: every failure at once, or the inputs as given. */
export function checkAnswer<T>(news: T, failures: CheckFailure[]): { inputs: T } | { failures: CheckFailure[] } {
    return failures.length ? { failures } : { inputs: news };
}

/** A provider's `check` that asks one validation for every failure (the old inputs too, for rules about changes). */
export function checkedBy<T>(validate: (news: T, olds: T | undefined) => CheckFailure[]): (olds: T | undefined, news: T) => Promise<{ inputs: T } | { failures: CheckFailure[] }> {
    return async (olds, news) => checkAnswer(news, validate(news, olds));
}

/** `read`'s answer for a resource that no longer exists: the engine then drops it from the state (refresh) or creates it again. */
export function goneFromRead(): { id: string; props: Record<string, never> } {
    return { id: "", props: {} };
}

/** A line in the `pulumi up` output (the SDK is loaded when it runs, inside the provider host). */
export function logProgress(message: string): void {
    require("@pulumi/pulumi").log.info(message);
}
