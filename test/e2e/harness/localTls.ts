// A throwaway certificate for "localhost" (the ADX test double serves HTTPS: the Kusto sink refuses
// http), trusted by the Connect worker's JVM through its own trust store and by this Node process
// (the KQL provider's and the operator commands' HTTPS clients). Nothing outside the test trusts it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import * as tls from "tls";

export interface LocalTls {
    certPem: string;
    keyPem: string;
    certFile: string;
    /** JVM options that make the worker trust the certificate (and nothing else: loopback only). */
    javaTrustStoreOptions: string[];
    /** The certificate and its key as a PKCS12 key store, for a JVM server (the SASL_SSL broker). */
    keyStore: { file: string; password: string };
}

export function createLocalTls(dir: string): LocalTls {
    const certFile = path.join(dir, "localhost-cert.pem");
    const keyFile = path.join(dir, "localhost-key.pem");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            keyFile,
            "-out",
            certFile,
        ],
        { stdio: "ignore" },
    );
    const trustStore = path.join(dir, "truststore.p12");
    const password = "changeit";
    execFileSync("keytool", ["-importcert", "-noprompt", "-alias", "adx-test-double", "-file", certFile, "-keystore", trustStore, "-storetype", "PKCS12", "-storepass", password], {
        stdio: "ignore",
    });
    const keyStoreFile = path.join(dir, "localhost-keystore.p12");
    execFileSync("openssl", ["pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-name", "localhost", "-out", keyStoreFile, "-passout", `pass:${password}`], {
        stdio: "ignore",
    });
    const certPem = fs.readFileSync(certFile, "utf8");
    // This process's HTTPS clients (axios uses the global agent) trust it too, next to the usual roots.
    https.globalAgent.options.ca = [...tls.rootCertificates, certPem];
    return {
        certPem,
        keyPem: fs.readFileSync(keyFile, "utf8"),
        certFile,
        keyStore: { file: keyStoreFile, password },
        javaTrustStoreOptions: [`-Djavax.net.ssl.trustStore=${trustStore}`, `-Djavax.net.ssl.trustStorePassword=${password}`, "-Djavax.net.ssl.trustStoreType=PKCS12"],
    };
}
