// SCRAM-SHA-256 verifiers (RFC 5802/7677, PostgreSQL's stored format). The bootstrap sets the
// replication user's password from a verifier, so the password itself is never an input of a
// dynamic resource and never stored in state; the verifier cannot be used to log in.
import { createHash, createHmac, pbkdf2Sync } from "crypto";

export const SCRAM_ITERATIONS = 4096;

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64 parts, as pg_authid stores it. */
export function buildScramSha256Verifier(password: string, saltBase64: string, iterations = SCRAM_ITERATIONS): string {
    if (!password) throw new Error("buildScramSha256Verifier: password is empty");
    const salt = Buffer.from(saltBase64, "base64");
    if (salt.length < 8) throw new Error("buildScramSha256Verifier: salt must be at least 8 bytes (base64)");
    const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
