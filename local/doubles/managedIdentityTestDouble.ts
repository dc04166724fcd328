// TEST DOUBLE of a managed identity endpoint: what a Connect worker on an Azure host asks for a token
// when the Kusto sink runs with `aad.auth.strategy=managed_identity`. It speaks the App Service
// protocol (the worker's environment names it: IDENTITY_ENDPOINT, IDENTITY_HEADER), which the Azure
// Identity library the sink bundles reads the same way it reads IMDS on a VM: GET
// `?api-version=2019-08-01&resource=<resource>&client_id=<id>` with the header `X-IDENTITY-HEADER`.
// It issues a token only to the identity it holds and only with the right header, so a sink that
// asks for another identity (or none) gets no token, as on Azure.
import * as http from "http";
import { AddressInfo } from "net";

export interface ManagedIdentityTokenRequest {
    clientId: string | null;
    resource: string | null;
    status: number;
    atMs: number;
}

export interface ManagedIdentityTestDouble {
    /** IDENTITY_ENDPOINT for the worker's environment. */
    endpoint: string;
    /** IDENTITY_HEADER for the worker's environment (the secret the host gives its own processes). */
    header: string;
    /** The user-assigned identity this host holds. */
    clientId: string;
    requests: ManagedIdentityTokenRequest[];
    close(): Promise<void>;
}

export async function startManagedIdentityTestDouble(options: { clientId: string; accessToken: string }): Promise<ManagedIdentityTestDouble> {
    const header = `identity-header-${Math.random().toString(36).slice(2)}`;
    const requests: ManagedIdentityTokenRequest[] = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const clientId = url.searchParams.get("client_id");
        const resource = url.searchParams.get("resource");
        const answer = (status: number, body: unknown) => {
            requests.push({ clientId, resource, status, atMs: Date.now() });
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
        };
        if (req.method !== "GET" || url.pathname !== "/msi/token") return answer(404, { error: "not_found" });
        if (req.headers["x-identity-header"] !== header) return answer(401, { error: "invalid_request", error_description: "X-IDENTITY-HEADER is missing or wrong" });
        if (url.searchParams.get("api-version") !== "2019-08-01") return answer(400, { error: "invalid_request", error_description: "api-version 2019-08-01 expected" });
        if (!resource) return answer(400, { error: "invalid_request", error_description: "resource is required" });
        // A host with only user-assigned identities answers a request without client_id as App Service does: no identity.
        if (clientId !== options.clientId)
            return answer(400, {
                error: "invalid_request",
                error_description: `identity not found: this host holds ${options.clientId}, not ${clientId ?? "a system-assigned identity"}`,
            });
        const expiresOn = Math.floor(Date.now() / 1000) + 3600;
        return answer(200, { access_token: options.accessToken, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: clientId });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}/msi/token`,
        header,
        clientId: options.clientId,
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
