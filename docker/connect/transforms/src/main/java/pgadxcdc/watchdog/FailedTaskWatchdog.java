package pgadxcdc.watchdog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.apache.kafka.connect.health.ConnectClusterState;
import org.apache.kafka.connect.health.ConnectorHealth;
import org.apache.kafka.connect.health.TaskState;
import org.apache.kafka.connect.rest.ConnectRestExtension;
import org.apache.kafka.connect.rest.ConnectRestExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts failed connectors and tasks with exponential backoff, so that an outage longer than a
 * connector's own retry window (ADX or DNS down for ten minutes, PostgreSQL failing over) heals
 * without a person. Kafka Connect never restarts a failed task by itself.
 *
 * <p>Each worker restarts only what failed on it (the status's worker id is its own advertised
 * host:port), so a group of workers never restarts one task twice; a task on a dead worker is
 * reassigned by the group anyway. Restarts go through the worker's own REST API, as an operator's
 * would. After {@code max.restarts} attempts without a stable run the watchdog stops trying and says
 * so: {@code GET /pg-adx-cdc/watchdog} lists every task it restarted, which {@code pg-adx-cdc status}
 * reads and reports (a task it gave up on is a problem that needs a person).
 *
 * <p>Settings (worker properties, all required, written by connectors/workerSettings.ts): {@code pgadxcdc.watchdog.interval.ms},
 * {@code pgadxcdc.watchdog.initial.backoff.ms}, {@code pgadxcdc.watchdog.max.backoff.ms},
 * {@code pgadxcdc.watchdog.max.restarts}, {@code pgadxcdc.watchdog.stable.ms}.
 */
public class FailedTaskWatchdog implements ConnectRestExtension {
    private static final Logger LOG = LoggerFactory.getLogger(FailedTaskWatchdog.class);
    static final String PREFIX = "pgadxcdc.watchdog.";

    // Set by configure() from the worker's properties; the values live in connectors/workerSettings.ts only.
    private long intervalMs;
    private long initialBackoffMs;
    private long maxBackoffMs;
    private int maxRestarts;
    private long stableMs;
    private String workerId;
    private URI self;

    private final Map<String, Restarts> restarts = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ScheduledExecutorService scheduler;

    /** What the watchdog did for one connector or task. */
    static final class Restarts {
        final String connector;
        final Integer task;
        int attempts;
        Instant lastRestart;
        Instant nextAttempt;
        String lastTrace;
        boolean gaveUp;

        Restarts(String connector, Integer task) {
            this.connector = connector;
            this.task = task;
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("connector", connector);
            json.put("task", task);
            json.put("attempts", attempts);
            json.put("lastRestart", lastRestart == null ? null : lastRestart.toString());
            json.put("nextAttempt", gaveUp || nextAttempt == null ? null : nextAttempt.toString());
            json.put("gaveUp", gaveUp);
            json.put("lastTrace", lastTrace);
            return json;
        }
    }

    @Override
    public void configure(Map<String, ?> configs) {
        intervalMs = longSetting(configs, "interval.ms");
        initialBackoffMs = longSetting(configs, "initial.backoff.ms");
        maxBackoffMs = longSetting(configs, "max.backoff.ms");
        maxRestarts = (int) longSetting(configs, "max.restarts");
        stableMs = longSetting(configs, "stable.ms");
        URI listener = URI.create(String.valueOf(configs.get("listeners")).split(",")[0].trim());
        Object advertisedHost = configs.get("rest.advertised.host.name");
        Object advertisedPort = configs.get("rest.advertised.port");
        String host = advertisedHost == null ? listener.getHost() : advertisedHost.toString();
        int port = advertisedPort == null ? listener.getPort() : Integer.parseInt(advertisedPort.toString());
        // Connect's worker id is its advertised host and port (DistributedHerder).
        workerId = host + ":" + port;
        String localHost = listener.getHost() == null || listener.getHost().equals("0.0.0.0") ? "127.0.0.1" : listener.getHost();
        self = URI.create(listener.getScheme() + "://" + localHost + ":" + listener.getPort());
    }

    private static long longSetting(Map<String, ?> configs, String key) {
        Object value = configs.get(PREFIX + key);
        if (value == null) throw new IllegalArgumentException("the worker property " + PREFIX + key + " is required (connectors/workerSettings.ts writes it)");
        long parsed = Long.parseLong(value.toString().trim());
        if (parsed < 0) throw new IllegalArgumentException(PREFIX + key + " must be 0 or more (got " + parsed + ")");
        return parsed;
    }

    @Override
    public void register(ConnectRestExtensionContext context) {
        context.configurable().register(new WatchdogResource());
        ConnectClusterState cluster = context.clusterState();
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pg-adx-cdc-watchdog");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                check(cluster);
            } catch (Throwable e) {
                // The herder may not be ready yet (worker starting, group rebalancing): try again next round.
                LOG.debug("watchdog check skipped: {}", e.toString());
            }
        }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        LOG.info("pg-adx-cdc watchdog on worker {}: failed connectors and tasks restarted after {} ms, doubling to {} ms, at most {} times",
                workerId, initialBackoffMs, maxBackoffMs, maxRestarts);
    }

    void check(ConnectClusterState cluster) {
        Instant now = Instant.now();
        for (String connector : cluster.connectors()) {
            ConnectorHealth health = cluster.connectorHealth(connector);
            consider(connector, null, health.connectorState().state(), health.connectorState().workerId(), health.connectorState().traceMessage(), now);
            for (TaskState task : health.tasksState().values())
                consider(connector, task.taskId(), task.state(), task.workerId(), task.traceMessage(), now);
        }
    }

    private void consider(String connector, Integer task, String state, String worker, String trace, Instant now) {
        String key = task == null ? connector : connector + "/" + task;
        Restarts r = restarts.get(key);
        if (!"FAILED".equals(state)) {
            // A run that lasted is a recovery: the next failure starts the backoff again.
            if (r != null && "RUNNING".equals(state) && r.lastRestart != null && now.isAfter(r.lastRestart.plusMillis(stableMs))) restarts.remove(key);
            return;
        }
        if (!workerId.equals(worker)) return;
        if (r == null) {
            r = new Restarts(connector, task);
            r.nextAttempt = now.plusMillis(initialBackoffMs);
            restarts.put(key, r);
            LOG.warn("{} FAILED on this worker; the watchdog restarts it in {} ms", key, initialBackoffMs);
        }
        r.lastTrace = trace == null ? null : trace.lines().findFirst().orElse(null);
        if (r.gaveUp || now.isBefore(r.nextAttempt)) return;
        if (r.attempts >= maxRestarts) {
            r.gaveUp = true;
            LOG.error("{} failed again after {} restarts by the watchdog; it stays FAILED until someone fixes the cause and restarts it", key, r.attempts);
            return;
        }
        String path = "/connectors/" + URLEncoder.encode(connector, StandardCharsets.UTF_8).replace("+", "%20") + (task == null ? "/restart" : "/tasks/" + task + "/restart");
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(self.resolve(path)).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                // 409: the group is rebalancing; next round.
                LOG.warn("watchdog restart of {}: HTTP {} {}", key, response.statusCode(), response.body());
                return;
            }
        } catch (IOException | InterruptedException e) {
            LOG.warn("watchdog restart of {} failed: {}", key, e.toString());
            return;
        }
        r.attempts++;
        r.lastRestart = now;
        long backoff = Math.min(maxBackoffMs, initialBackoffMs << Math.min(20, r.attempts));
        r.nextAttempt = now.plusMillis(backoff);
        LOG.warn("watchdog restarted {} (restart {} of at most {}); if it fails again, the next restart is in {} ms", key, r.attempts, maxRestarts, backoff);
    }

    List<Map<String, Object>> snapshot() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Restarts r : restarts.values()) list.add(r.toJson());
        return list;
    }

    /** {@code GET /pg-adx-cdc/watchdog}: this worker's restarts, for `pg-adx-cdc status`. */
    @Path("/pg-adx-cdc/watchdog")
    public class WatchdogResource {
        @GET
        @Produces(MediaType.APPLICATION_JSON)
        public Map<String, Object> get() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("worker", workerId);
            json.put("maxRestarts", maxRestarts);
            json.put("restarts", snapshot());
            return json;
        }
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.shutdownNow();
    }

    @Override
    public String version() {
        return "1";
    }
}
