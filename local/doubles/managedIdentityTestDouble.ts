// TEST DOUBLE of a managed identity endpoint: what a Connect worker on an Azure host asks for a token
// when the Kusto sink runs with `aad.auth.strategy=managed_identity`. It speaks the App Service
// protocol (the worker's environment names it: IDENTITY_ENDPOINT, IDENTITY_HEADER), which the Azure
// Identity library the sink bundles reads the same way it reads IMDS on a VM: GET
// `?api-version=2019-08-01&resource=<resource>&client_id=<id>` with the header `X-IDENTITY-HEADER`.
// It issues a token only to the identity it holds and only with the right header, so a sink that
// asks for another identity (or none) gets no token, as on Azure.
// For an Event Hubs namespace (a `*.servicebus.windows.net` resource) the token is a JWT signed as Entra
// signs one (RS256, `kid`, audience = the resource), whose key the Event-Hubs-like broker reads from
// `jwksUrl`, as Event Hubs trusts Entra's keys; for other resources (the ADX double) the opaque token given.
import { generateKeyPairSync, KeyObject, sign } from "crypto";
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
    /** Its object (principal) id: the subject of the tokens it gets. */
    principalId: string;
    /** The issuer of the signed tokens, as Entra names a tenant's (`https://sts.windows.net/<tenant>/`). */
    issuer: string;
    /** The signing keys, as Entra's discovery endpoint serves them (JWKS). */
    jwksUrl: string;
    /** A signed token for another principal (an operator's `az login`), for a test to hand to a client. */
    signToken(audience: string, subject: string): string;
    requests: ManagedIdentityTokenRequest[];
    close(): Promise<void>;
}

const SIGNED_RESOURCE = /^https:\/\/[a-z0-9-]+\.servicebus\.windows\.net\/?$/;
const TENANT_ID = "72f988bf-0000-4000-8000-00000000e2e0";

function signedJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", typ: "JWT", kid })}.${encode(claims)}`;
    return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), key).toString("base64url")}`;
}

export async function startManagedIdentityTestDouble(options: { clientId: string; principalId: string; accessToken: string }): Promise<ManagedIdentityTestDouble> {
    const header = `identity-header-${Math.random().toString(36).slice(2)}`;
    const requests: ManagedIdentityTokenRequest[] = [];
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const kid = `e2e-${Math.random().toString(36).slice(2, 10)}`;
    const issuer = `https://sts.windows.net/${TENANT_ID}/`;
    const signToken = (audience: string, subject: string, appId?: string) => {
        const now = Math.floor(Date.now() / 1000);
        return signedJwt(privateKey, kid, {
            aud: audience.replace(/\/$/, ""),
            iss: issuer,
            sub: subject,
            oid: subject,
            tid: TENANT_ID,
            ...(appId ? { appid: appId } : {}),
            iat: now,
            nbf: now,
            exp: now + 3600,
        });
    };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (req.method === "GET" && url.pathname === "/discovery/keys") {
            res.writeHead(200, { "Content-Type": "application/json" });
            return res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" }] }));
        }
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
        const accessToken = SIGNED_RESOURCE.test(resource) ? signToken(resource, options.principalId, clientId) : options.accessToken;
        return answer(200, { access_token: accessToken, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: clientId });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}/msi/token`,
        header,
        clientId: options.clientId,
        principalId: options.principalId,
        issuer,
        jwksUrl: `http://127.0.0.1:${port}/discovery/keys`,
        signToken: (audience, subject) => signToken(audience, subject),
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}
