// A throwaway certificate for "localhost" (the ADX test double serves HTTPS: the Kusto sink refuses
// http), trusted by the Connect worker's JVM through its own trust store and by this Node process
// (the KQL provider's and the operator commands' HTTPS clients). Nothing outside the test trusts it.
import { execFileSync, spawnSync } from "child_process";
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

export interface LocalTlsOptions {
    /**
     * The worker also talks to a real ADX cluster (`demo --adx-cluster`): its trust store starts as a
     * copy of the JDK's public roots instead of holding the throwaway certificate alone.
     */
    trustPublicRoots?: boolean;
    /** PEM files of further CAs to trust (a cluster reached through a TLS-inspecting proxy). */
    extraCaFiles?: string[];
}

/** The JDK's own trust store (public roots), as the worker JVM would use without a trust store of its own. */
function jdkCacertsFile(): string {
    // java prints its settings on stderr.
    const settings = spawnSync("java", ["-XshowSettings:properties", "-version"], { encoding: "utf8" }).stderr ?? "";
    const home = /java\.home = (.+)/.exec(settings)?.[1]?.trim();
    const file = home && path.join(home, "lib", "security", "cacerts");
    if (!file || !fs.existsSync(file)) throw new Error(`the JDK's cacerts was not found (java.home ${home ?? "unknown"}): the worker could not trust a real ADX cluster`);
    return file;
}

export function createLocalTls(dir: string, options: LocalTlsOptions = {}): LocalTls {
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
    if (options.trustPublicRoots) {
        execFileSync(
            "keytool",
            [
                "-importkeystore",
                "-noprompt",
                "-srckeystore",
                jdkCacertsFile(),
                "-srcstorepass",
                "changeit",
                "-destkeystore",
                trustStore,
                "-deststoretype",
                "PKCS12",
                "-deststorepass",
                password,
            ],
            { stdio: "ignore" },
        );
    }
    (options.extraCaFiles ?? []).forEach((file, i) =>
        execFileSync(
            "keytool",
            ["-importcert", "-noprompt", "-alias", `extra-ca-${i + 1}`, "-file", file, "-keystore", trustStore, "-storetype", "PKCS12", "-storepass", password],
            {
                stdio: "ignore",
            },
        ),
    );
    execFileSync("keytool", ["-importcert", "-noprompt", "-alias", "adx-test-double", "-file", certFile, "-keystore", trustStore, "-storetype", "PKCS12", "-storepass", password], {
        stdio: "ignore",
    });
    const keyStoreFile = path.join(dir, "localhost-keystore.p12");
    execFileSync("openssl", ["pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-name", "localhost", "-out", keyStoreFile, "-passout", `pass:${password}`], {
        stdio: "ignore",
    });
    const certPem = fs.readFileSync(certFile, "utf8");
    // This process's HTTPS clients (axios uses the global agent) trust it too, next to the usual roots.
    const trusted = https.globalAgent.options.ca;
    https.globalAgent.options.ca = [...(Array.isArray(trusted) ? trusted : trusted ? [trusted] : tls.rootCertificates), certPem];
    return {
        certPem,
        keyPem: fs.readFileSync(keyFile, "utf8"),
        certFile,
        keyStore: { file: keyStoreFile, password },
        javaTrustStoreOptions: [`-Djavax.net.ssl.trustStore=${trustStore}`, `-Djavax.net.ssl.trustStorePassword=${password}`, "-Djavax.net.ssl.trustStoreType=PKCS12"],
    };
}
