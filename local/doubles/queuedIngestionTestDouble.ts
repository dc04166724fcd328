// TEST DOUBLE, queued ingestion side of ADX: the two Azure Storage calls the Kusto SDK makes for a
// queued ingestion, answered as the Blob and Queue REST APIs document them: Put Blob into the
// TempStorage container (201, ETag, Content-MD5) and Put Message to the SecuredReadyForAggregationQueue
// (201 with a QueueMessagesList). URLs are path-style (`/<account>/<container or queue>`), the form the
// storage SDK uses for a `localhost` endpoint; every request must carry the SAS signature the double
// issued in `.show ingestion resources`. A message names its blob, database, table, mapping and format;
// the double hands the blob to ADX's side (the caller) to ingest.
import * as crypto from "crypto";

const ACCOUNT = "testdoubleaccount";
const SIGNATURE = "test-double-sas";
/** `.show ingestion resources` kinds and the path each is served at. */
const RESOURCES: Record<string, string> = {
    TempStorage: "tempstorage",
    SecuredReadyForAggregationQueue: "readyforaggregation",
    FailedIngestionsQueue: "failedingestions",
    SuccessfulIngestionsQueue: "successfulingestions",
    IngestionsStatusTable: "ingestionsstatus",
};

export interface QueuedIngestionMessage {
    blobPath: string;
    database: string;
    table: string;
    mappingReference: string | null;
    format: string | null;
}

/** A field of the SDK's message, whatever its casing (`blobPath`, `BlobPath`). */
function field(message: Record<string, any>, name: string): any {
    const key = Object.keys(message).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : message[key];
}

/** The message's JSON: Put Message carries `<MessageText>`, base64 (the SDK's encoding) or plain. */
export function parseQueueMessage(xml: string): QueuedIngestionMessage {
    const text = /<MessageText>([\s\S]*?)<\/MessageText>/.exec(xml)?.[1] ?? "";
    const decoded = text.trim().startsWith("{") ? text : Buffer.from(text, "base64").toString("utf8");
    const message = JSON.parse(decoded);
    const properties = field(message, "additionalProperties") ?? {};
    return {
        blobPath: field(message, "blobPath"),
        database: field(message, "databaseName"),
        table: field(message, "tableName"),
        mappingReference: field(properties, "ingestionMappingReference") ?? null,
        format: field(properties, "format") ?? null,
    };
}

export function createQueuedIngestionStorage(options: { baseUrl: () => string; onMessage: (message: QueuedIngestionMessage, blob: Buffer) => void }) {
    const blobs = new Map<string, Buffer>();
    const sas = "sv=2024-08-04&ss=bq&srt=co&sp=rwdlacup&se=2099-01-01T00:00:00Z&sig=" + SIGNATURE;
    const rfc1123 = (d: Date) => d.toUTCString();
    const common = (req: Record<string, string | string[] | undefined>) => ({
        "x-ms-request-id": crypto.randomUUID(),
        "x-ms-version": String(req["x-ms-version"] ?? "2024-08-04"),
        Date: rfc1123(new Date()),
    });
    const storageError = (status: number, code: string, message: string, req: Record<string, string | string[] | undefined>): [number, Record<string, string>, string] => [
        status,
        { ...common(req), "Content-Type": "application/xml", "x-ms-error-code": code },
        `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    ];
    return {
        resourceUrl(kind: string): string {
            return `${options.baseUrl()}/${ACCOUNT}/${RESOURCES[kind] ?? kind.toLowerCase()}?${sas}`;
        },
        handles(url: URL): boolean {
            return url.pathname.startsWith(`/${ACCOUNT}/`);
        },
        handle(method: string, url: URL, headers: Record<string, string | string[] | undefined>, body: Buffer): [number, Record<string, string>, string] {
            if (url.searchParams.get("sig") !== SIGNATURE) return storageError(403, "AuthenticationFailed", "Server failed to authenticate the request (SAS signature).", headers);
            const [, , container, ...rest] = url.pathname.split("/");
            if (method === "PUT" && container === RESOURCES.TempStorage && rest.length > 0) {
                const path = `${container}/${rest.join("/")}`;
                if (headers["if-none-match"] === "*" && blobs.has(path)) return storageError(409, "BlobAlreadyExists", "The specified blob already exists.", headers);
                if (headers["x-ms-blob-type"] !== "BlockBlob") return storageError(400, "InvalidHeaderValue", "x-ms-blob-type must be BlockBlob.", headers);
                blobs.set(path, body);
                return [
                    201,
                    {
                        ...common(headers),
                        ETag: `"0x${crypto.randomBytes(8).toString("hex").toUpperCase()}"`,
                        "Last-Modified": rfc1123(new Date()),
                        "Content-MD5": crypto.createHash("md5").update(body).digest("base64"),
                        "x-ms-request-server-encrypted": "true",
                        "Content-Length": "0",
                    },
                    "",
                ];
            }
            if (method === "POST" && container === RESOURCES.SecuredReadyForAggregationQueue && rest.join("/") === "messages") {
                const message = parseQueueMessage(body.toString("utf8"));
                const blobPath = new URL(message.blobPath).pathname.split("/").slice(2).join("/");
                const blob = blobs.get(decodeURIComponent(blobPath));
                if (!blob) return storageError(400, "InvalidQueueMessage", `the message names blob ${blobPath}, which was never uploaded`, headers);
                options.onMessage(message, blob);
                const now = new Date();
                return [
                    201,
                    { ...common(headers), "Content-Type": "application/xml" },
                    `<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>${crypto.randomUUID()}</MessageId>` +
                        `<InsertionTime>${rfc1123(now)}</InsertionTime><ExpirationTime>${rfc1123(new Date(now.getTime() + 7 * 86_400_000))}</ExpirationTime>` +
                        `<PopReceipt>${crypto.randomBytes(12).toString("base64")}</PopReceipt><TimeNextVisible>${rfc1123(now)}</TimeNextVisible></QueueMessage></QueueMessagesList>`,
                ];
            }
            return storageError(400, "UnsupportedHttpVerb", `the storage test double serves Put Blob and Put Message only, not ${method} ${url.pathname}`, headers);
        },
    };
}
