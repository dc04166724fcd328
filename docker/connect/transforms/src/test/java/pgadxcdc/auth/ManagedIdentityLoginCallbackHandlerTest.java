package pgadxcdc.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.security.auth.callback.Callback;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The login handler against a local HTTP server answering as Azure's identity endpoints do: IMDS on a VM
 * (the production path: api-version 2018-02-01, header Metadata: true, expires_on a number or a string) and
 * the App Service / container protocol (IDENTITY_ENDPOINT, X-IDENTITY-HEADER, api-version 2019-08-01).
 */
class ManagedIdentityLoginCallbackHandlerTest {
    private static final String RESOURCE = "https://ns-abc123.servicebus.windows.net";
    private static final String CLIENT_ID = "6f1c2e0a-4b7d-4c39-9e0b-5a8d2f3c1e77";

    private HttpServer server;
    private final ConcurrentLinkedQueue<Map<String, String>> requests = new ConcurrentLinkedQueue<>();
    /** The answers to give, in order (status, body); the last one repeats. */
    private final List<Object[]> answers = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.add(Map.of(
                    "query", exchange.getRequestURI().getRawQuery(),
                    "metadata", String.valueOf(exchange.getRequestHeaders().getFirst("Metadata")),
                    "identityHeader", String.valueOf(exchange.getRequestHeaders().getFirst("X-IDENTITY-HEADER"))));
            Object[] answer = answers.get(Math.min(requests.size() - 1, answers.size() - 1));
            byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders((Integer) answer[0], body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/metadata/identity/oauth2/token";
    }

    private static String jwt(String oid, long iat) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"aud\":\"" + RESOURCE + "\",\"oid\":\"" + oid + "\",\"iat\":" + iat + "}").getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + ".c2lnbmF0dXJl";
    }

    private static ManagedIdentityLoginCallbackHandler configured(ManagedIdentityLoginCallbackHandler handler, Map<String, String> options) {
        handler.configure(Map.of(), OAuthBearerLoginModule.OAUTHBEARER_MECHANISM,
                List.of(new AppConfigurationEntry(OAuthBearerLoginModule.class.getName(), AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options)));
        return handler;
    }

    private static OAuthBearerToken login(ManagedIdentityLoginCallbackHandler handler) throws Exception {
        OAuthBearerTokenCallback callback = new OAuthBearerTokenCallback();
        handler.handle(new Callback[] {callback});
        return callback.token();
    }

    @Test
    void onAVmAsksImdsForTheNamespaceAsTheGivenIdentity() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String token = jwt("0b9e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b", now);
        answers.add(new Object[] {200, "{\"access_token\":\"" + token + "\",\"expires_on\":" + (now + 3600) + ",\"resource\":\"" + RESOURCE + "\",\"token_type\":\"Bearer\"}"});
        ManagedIdentityLoginCallbackHandler handler = configured(new ManagedIdentityLoginCallbackHandler(Map.of(), url()), Map.of("resource", RESOURCE, "clientId", CLIENT_ID));
        OAuthBearerToken got = login(handler);
        assertEquals(token, got.value());
        assertEquals((now + 3600) * 1000, got.lifetimeMs());
        assertEquals("0b9e7d6c-5a4f-4e3d-8c2b-1a0f9e8d7c6b", got.principalName());
        assertEquals(now * 1000, got.startTimeMs());
        Map<String, String> request = requests.peek();
        assertEquals("api-version=2018-02-01&resource=https%3A%2F%2Fns-abc123.servicebus.windows.net&client_id=" + CLIENT_ID, request.get("query"));
        assertEquals("true", request.get("metadata"));
    }

    @Test
    void whereTheHostNamesAnIdentityEndpointUsesItWithItsHeader() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        answers.add(new Object[] {200, "{\"access_token\":\"" + jwt("x", now) + "\",\"expires_on\":\"" + (now + 600) + "\"}"});
        Map<String, String> env = Map.of("IDENTITY_ENDPOINT", url(), "IDENTITY_HEADER", "secret-header");
        OAuthBearerToken got = login(configured(new ManagedIdentityLoginCallbackHandler(env, "http://127.0.0.1:9/never"), Map.of("resource", RESOURCE, "clientId", CLIENT_ID)));
        assertEquals((now + 600) * 1000, got.lifetimeMs(), "expires_on as a string, as App Service sends it");
        Map<String, String> request = requests.peek();
        assertTrue(request.get("query").startsWith("api-version=2019-08-01&resource="), request.get("query"));
        assertEquals("secret-header", request.get("identityHeader"));
        assertEquals("null", request.get("metadata"));
    }

    @Test
    void retriesWhatAzureCallsTransientAndStopsAtOnceOnARefusal() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        answers.add(new Object[] {500, "{\"error\":\"busy\"}"});
        answers.add(new Object[] {429, "{\"error\":\"throttled\"}"});
        answers.add(new Object[] {200, "{\"access_token\":\"" + jwt("x", now) + "\",\"expires_on\":" + (now + 3600) + "}"});
        login(configured(new ManagedIdentityLoginCallbackHandler(Map.of(), url()), Map.of("resource", RESOURCE, "clientId", CLIENT_ID)));
        assertEquals(3, requests.size());

        requests.clear();
        answers.clear();
        answers.add(new Object[] {400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}"});
        IOException refused = assertThrows(IOException.class, () -> login(configured(new ManagedIdentityLoginCallbackHandler(Map.of(), url()), Map.of("resource", RESOURCE, "clientId", CLIENT_ID))));
        assertTrue(refused.getMessage().contains("answered 400") && refused.getMessage().contains("Identity not found") && refused.getMessage().contains(CLIENT_ID), refused.getMessage());
        assertEquals(1, requests.size(), "a refusal is not retried");
    }

    @Test
    void refusesAConfigurationWithoutResourceOrIdentityOrForAnotherMechanism() {
        ManagedIdentityLoginCallbackHandler handler = new ManagedIdentityLoginCallbackHandler(Map.of(), url());
        IllegalArgumentException noIdentity = assertThrows(IllegalArgumentException.class, () -> configured(handler, Map.of("resource", RESOURCE)));
        assertTrue(noIdentity.getMessage().contains("clientId"), noIdentity.getMessage());
        assertThrows(IllegalArgumentException.class, () -> configured(handler, Map.of("resource", "http://plain", "clientId", CLIENT_ID)));
        assertThrows(IllegalArgumentException.class, () -> handler.configure(Map.of(), "PLAIN", List.of()));
    }
}
