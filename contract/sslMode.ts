// The TLS modes the stack connects to PostgreSQL with: required (Azure, any server of the user's)
// or plain (a PostgreSQL container on a private Docker network and 127.0.0.1).
export const SSL_MODES = ["require", "disable"] as const;
export type SslMode = (typeof SSL_MODES)[number];
