// The one way the stack's providers and commands get an Azure bearer token (ADX and ARM alike):
// a token already held in the named environment variable (e.g. from `az account get-access-token`,
// or the e2e harness), else the Azure credential chain (az login, managed identity, OIDC in CI).
export async function getAzureAccessToken(resource: string, tokenEnvVar: string, purpose: string): Promise<string> {
    const held = process.env[tokenEnvVar];
    if (held) return held;
    const { DefaultAzureCredential } = require("@azure/identity");
    try {
        return (await new DefaultAzureCredential().getToken(`${resource.replace(/\/$/, "")}/.default`)).token as string;
    } catch (error: any) {
        throw new Error(
            `no Azure credential ${purpose}: ${error.message}. Log in with "az login", or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret (OIDC in CI), or ${tokenEnvVar}.`,
        );
    }
}
