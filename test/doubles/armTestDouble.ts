// TEST DOUBLE of the ARM calls the stack's providers make, as documented: a flexible-server restart
// (Microsoft.DBforPostgreSQL: POST {serverId}/restart answers 202 with an Azure-AsyncOperation URL,
// which reports InProgress, then Succeeded; `busyFor` answers 409, another operation running, first),
// and an Event Hubs key regeneration (Microsoft.EventHub: POST {ruleId}/regenerateKeys with
// {"keyType": "PrimaryKey" | "SecondaryKey"} answers 200 with the rule's keys).
import * as http from "http";

export interface ArmTestDouble {
    url: string;
    restarts: string[];
    /** Each regeneration: the rule's ARM id and the key type. */
    regenerated: { ruleId: string; keyType: string }[];
    busyFor: number;
    close(): Promise<void>;
}

export async function startArmTestDouble(): Promise<ArmTestDouble> {
    let polls = 0;
    const state = { restarts: [] as string[], busyFor: 0, regenerated: [] as { ruleId: string; keyType: string }[] };
    const server = http.createServer((req, res) => {
        const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "Content-Type": "application/json", ...headers });
            res.end(JSON.stringify(body));
        };
        if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) return send(401, { error: { code: "AuthenticationFailed", message: "missing token" } });
        const url = new URL(req.url!, "http://x");
        if (req.method === "POST" && /\/flexibleServers\/[^/]+\/restart$/.test(url.pathname) && url.searchParams.get("api-version")) {
            if (state.busyFor > 0) {
                state.busyFor--;
                return send(409, { error: { code: "ServerBusy", message: "Another operation is in progress" } });
            }
            state.restarts.push(url.pathname);
            polls = 0;
            return send(202, {}, { "Azure-AsyncOperation": `http://127.0.0.1:${(server.address() as any).port}/operations/restart-1` });
        }
        if (
            req.method === "POST" &&
            /\/providers\/Microsoft\.EventHub\/namespaces\/[^/]+\/authorizationRules\/[^/]+\/regenerateKeys$/.test(url.pathname) &&
            url.searchParams.get("api-version")
        ) {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                const keyType = JSON.parse(body || "{}").keyType;
                if (keyType !== "PrimaryKey" && keyType !== "SecondaryKey") return send(400, { error: { code: "BadRequest", message: `keyType ${keyType}` } });
                state.regenerated.push({ ruleId: url.pathname.replace(/\/regenerateKeys$/, ""), keyType });
                send(200, { primaryKey: "p", secondaryKey: "s", keyName: url.pathname.split("/").slice(-2)[0] });
            });
            return;
        }
        if (req.method === "GET" && url.pathname === "/operations/restart-1") return send(200, { status: ++polls < 2 ? "InProgress" : "Succeeded" });
        return send(404, { error: { code: "NotFound", message: `${req.method} ${url.pathname}` } });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return Object.assign(state, {
        url: `http://127.0.0.1:${(server.address() as any).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
    }) as ArmTestDouble;
}
