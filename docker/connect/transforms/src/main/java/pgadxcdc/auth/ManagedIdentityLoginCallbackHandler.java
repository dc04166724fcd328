package pgadxcdc.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.auth.SaslExtensionsCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;

/**
 * Kafka SASL/OAUTHBEARER login as the host's user-assigned managed identity, for Azure Event Hubs'
 * Kafka endpoint with local (SAS) authentication disabled: no key exists anywhere. Each login asks the
 * host's identity endpoint for a token for the namespace: the App Service / container protocol when
 * the environment names one (IDENTITY_ENDPOINT, IDENTITY_HEADER), else the VM's instance metadata
 * service (IMDS). Kafka's login refreshes the token before it expires (sasl.login.refresh.*).
 *
 * JAAS options of OAuthBearerLoginModule: resource (https://&lt;namespace&gt;.servicebus.windows.net,
 * required), clientId (the user-assigned identity's client id, required: a host may hold several, and
 * asking for "the" identity could sign in as another one).
 *
 * Built without the Azure Identity library on purpose: the worker's own clients load this class from
 * its class path, where no plugin's copy of that library is visible.
 */
public class ManagedIdentityLoginCallbackHandler implements AuthenticateCallbackHandler {
    static final String IMDS_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token";
    private static final int ATTEMPTS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> environment;
    private final String imdsEndpoint;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String resource;
    private String clientId;

    public ManagedIdentityLoginCallbackHandler() {
        this(System.getenv(), IMDS_ENDPOINT);
    }

    /** For tests: another environment, and IMDS at another address. */
    ManagedIdentityLoginCallbackHandler(Map<String, String> environment, String imdsEndpoint) {
        this.environment = environment;
        this.imdsEndpoint = imdsEndpoint;
    }

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        if (!OAuthBearerLoginModule.OAUTHBEARER_MECHANISM.equals(saslMechanism))
            throw new IllegalArgumentException("ManagedIdentityLoginCallbackHandler serves sasl.mechanism OAUTHBEARER, not " + saslMechanism);
        if (jaasConfigEntries == null || jaasConfigEntries.size() != 1)
            throw new IllegalArgumentException("ManagedIdentityLoginCallbackHandler needs exactly one OAuthBearerLoginModule entry in sasl.jaas.config");
        Map<String, ?> options = jaasConfigEntries.get(0).getOptions();
        resource = option(options, "resource");
        clientId = option(options, "clientId");
        if (!resource.startsWith("https://"))
            throw new IllegalArgumentException("sasl.jaas.config option resource must be the namespace's https:// URI, e.g. https://<namespace>.servicebus.windows.net (got " + resource + ")");
    }

    private static String option(Map<String, ?> options, String name) {
        Object value = options.get(name);
        if (value == null || value.toString().isBlank())
            throw new IllegalArgumentException("sasl.jaas.config needs the option " + name + "=\"...\" for ManagedIdentityLoginCallbackHandler");
        return value.toString();
    }

    @Override
    public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerTokenCallback tokenCallback) tokenCallback.token(fetchToken());
            else if (callback instanceof SaslExtensionsCallback) continue; // Event Hubs takes no SASL extensions
            else throw new UnsupportedCallbackException(callback);
        }
    }

    @Override
    public void close() {}

    /** Asks the identity endpoint, retrying what Azure documents as transient (429, 5xx, no connection). */
    OAuthBearerToken fetchToken() throws IOException {
        HttpRequest request = tokenRequest();
        IOException last = null;
        long backoffMs = 500;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) pause(backoffMs *= 2);
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                last = e;
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while asking the managed identity endpoint for a token", e);
            }
            int status = response.statusCode();
            if (status == 200) return parseToken(response.body());
            // The body names the cause (an identity the host does not hold, a missing header); it holds no token.
            last = new IOException("the managed identity endpoint answered " + status + " for resource " + resource + " and client id " + clientId + ": " + response.body());
            if (status != 429 && status < 500) throw last;
        }
        throw new IOException("no token for " + resource + " from the managed identity endpoint after " + ATTEMPTS + " attempts", last);
    }

    private static void pause(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to ask the managed identity endpoint again", e);
        }
    }

    private HttpRequest tokenRequest() {
        String identityEndpoint = environment.get("IDENTITY_ENDPOINT");
        String identityHeader = environment.get("IDENTITY_HEADER");
        String query = "&resource=" + encode(resource) + "&client_id=" + encode(clientId);
        if (identityEndpoint != null && !identityEndpoint.isBlank() && identityHeader != null) {
            return HttpRequest.newBuilder(URI.create(identityEndpoint + "?api-version=2019-08-01" + query))
                    .header("X-IDENTITY-HEADER", identityHeader)
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build();
        }
        return HttpRequest.newBuilder(URI.create(imdsEndpoint + "?api-version=2018-02-01" + query)).header("Metadata", "true").timeout(Duration.ofSeconds(30)).GET().build();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The endpoint's answer: access_token and expires_on (epoch seconds, a string or a number). */
    static OAuthBearerToken parseToken(String body) throws IOException {
        JsonNode answer = JSON.readTree(body);
        String accessToken = answer.path("access_token").asText("");
        long expiresOnSeconds = answer.path("expires_on").asLong(0);
        if (accessToken.isEmpty() || expiresOnSeconds <= 0) throw new IOException("the managed identity endpoint's answer has no access_token or expires_on");
        long now = System.currentTimeMillis();
        String principal = "managed-identity";
        long startMs = now;
        String[] parts = accessToken.split("\\.");
        if (parts.length == 3) {
            JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            principal = claims.path("oid").asText(claims.path("sub").asText(principal));
            if (claims.has("iat")) startMs = Math.min(now, claims.get("iat").asLong() * 1000);
        }
        return token(accessToken, expiresOnSeconds * 1000, principal, startMs);
    }

    private static OAuthBearerToken token(String value, long lifetimeMs, String principalName, long startTimeMs) {
        return new OAuthBearerToken() {
            @Override
            public String value() {
                return value;
            }

            @Override
            public Set<String> scope() {
                return Set.of();
            }

            @Override
            public long lifetimeMs() {
                return lifetimeMs;
            }

            @Override
            public String principalName() {
                return principalName;
            }

            @Override
            public Long startTimeMs() {
                return startTimeMs;
            }
        };
    }
}
