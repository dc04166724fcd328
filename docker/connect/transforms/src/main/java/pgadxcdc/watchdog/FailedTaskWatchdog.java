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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
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
 * <p>The sink consumes with {@code auto.offset.reset=none} (connectors/workerSettings.ts), so it never
 * skips records silently. Two failures that causes are handled here rather than restarted blindly:
 * <ul>
 * <li>A partition the sink never committed (a new topic: Debezium creates a table's topic at its first
 * record; a new partition) fails the task with {@code NoOffsetForPartitionException}. The watchdog
 * stops the connector, commits offset 0 (the partition's first record) for exactly the partitions
 * still without a committed offset, and resumes it, through Connect's own offsets API. Where
 * retention already deleted offset 0, the consumer then fails out of range: a real gap, below.</li>
 * <li>A committed offset outside what the topic holds ({@code OffsetOutOfRangeException}: retention
 * deleted records the sink never read, or the topic was re-created) is a data gap a restart cannot
 * fix: the task stays FAILED, and {@code pg-adx-cdc status} reports the gap with its repair
 * ({@code pg-adx-cdc snapshot --table}, which moves the sink to the topic's start and reads the table
 * again).</li>
 * </ul>
 *
 * <p>Settings (worker properties, all required, written by connectors/workerSettings.ts): {@code pgadxcdc.watchdog.interval.ms},
 * {@code pgadxcdc.watchdog.initial.backoff.ms}, {@code pgadxcdc.watchdog.max.backoff.ms},
 * {@code pgadxcdc.watchdog.max.restarts}, {@code pgadxcdc.watchdog.stable.ms}, {@code pgadxcdc.watchdog.seeding.stale.ms}. Its own REST calls carry the
 * API's basic-auth credentials: {@code pgadxcdc.rest.user} and the users file {@code pgadxcdc.rest.users.file}
 * (connectors/connectRestAuth.ts). Optional: {@code pgadxcdc.watchdog.health.topic} and
 * {@code pgadxcdc.watchdog.health.interval.ms}, where {@link WorkerHealthReporter} publishes this worker's state.
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
    /** The REST API's user and the users file holding its password (basic auth; connectors/connectRestAuth.ts), or null without auth. */
    private String restUser;
    private java.nio.file.Path restUsersFile;
    /** The worker's own Kafka client settings (bootstrap, TLS, SASL), for reading which partitions exist. */
    private final Map<String, Object> adminSettings = new java.util.HashMap<>();
    private ConnectClusterState cluster;
    /** Publishes this worker's state to the group's health topic, where set ({@code pgadxcdc.watchdog.health.topic}). */
    private WorkerHealthReporter health;
    private long healthIntervalMs;

    private final Map<String, Restarts> restarts = new ConcurrentHashMap<>();
    /** Per connector, when the watchdog may stop it again to give first offsets: a seeding that fails (or one
     *  the consumer does not take) must not stop and resume the sink every round. */
    private final Map<String, Instant> nextSeeding = new ConcurrentHashMap<>();
    private static final long SEEDING_SPACING_MS = 5_000;
    /** A marker older than this whose connector is still STOPPED was left by a worker that ended mid-seeding. */
    private long seedingStaleMs;
    /** When this watchdog started: a marker this worker id set before then was left by its previous process. */
    private Instant started = Instant.now();
    /** Per STOPPED connector, when its seeding marker is read again (an operator's stop is read every 30 s, not every round). */
    private final Map<String, Instant> nextMarkerRead = new ConcurrentHashMap<>();
    private static final long MARKER_READ_SPACING_MS = 30_000;
    /** The connectors the watchdog resumed because a seeding had left them STOPPED, newest last (at most SEEDED_KEPT). */
    private final List<Map<String, Object>> resumedAfterSeeding = new ArrayList<>();
    /** The partitions the watchdog gave a first offset, newest last (at most SEEDED_KEPT). */
    private final List<Map<String, Object>> seeded = new ArrayList<>();
    private static final int SEEDED_KEPT = 50;

    /** Kafka's NoOffsetForPartitionException text: "Undefined offset with no reset policy for partitions: [t-0, t-1]" (topic names are [a-zA-Z0-9._-]). */
    static final Pattern NO_OFFSET = Pattern.compile("NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: \\[([^\\]]*)\\]");
    static final Pattern OUT_OF_RANGE = Pattern.compile("OffsetOutOfRangeException[^\\n]*");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ScheduledExecutorService scheduler;

    /** What the watchdog did for one connector or task. */
    static final class Restarts {
        final String connector;
        final Integer task;
        /** Its first failure since it last ran stably (the health record's failing time starts here). */
        final Instant failingSince;
        int attempts;
        Instant lastRestart;
        Instant nextAttempt;
        String lastTrace;
        boolean gaveUp;
        /** Why the watchdog does not restart it, where it knows (e.g. "offset-out-of-range"). */
        String reason;

        Restarts(String connector, Integer task, Instant failingSince) {
            this.connector = connector;
            this.task = task;
            this.failingSince = failingSince;
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
            json.put("reason", reason);
            json.put("failingSince", failingSince.toString());
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
        seedingStaleMs = longSetting(configs, "seeding.stale.ms");
        URI listener = URI.create(String.valueOf(configs.get("listeners")).split(",")[0].trim());
        Object advertisedHost = configs.get("rest.advertised.host.name");
        Object advertisedPort = configs.get("rest.advertised.port");
        String host = advertisedHost == null ? listener.getHost() : advertisedHost.toString();
        int port = advertisedPort == null ? listener.getPort() : Integer.parseInt(advertisedPort.toString());
        // Connect's worker id is its advertised host and port (DistributedHerder).
        workerId = host + ":" + port;
        String localHost = listener.getHost() == null || listener.getHost().equals("0.0.0.0") ? "127.0.0.1" : listener.getHost();
        self = URI.create(listener.getScheme() + "://" + localHost + ":" + listener.getPort());
        Object user = configs.get("pgadxcdc.rest.user");
        Object usersFile = configs.get("pgadxcdc.rest.users.file");
        restUser = user == null ? null : user.toString();
        restUsersFile = usersFile == null ? null : java.nio.file.Path.of(usersFile.toString());
        // Connect resolves the worker's config providers before extensions see the settings.
        for (String name : AdminClientConfig.configNames()) if (configs.get(name) != null) adminSettings.put(name, configs.get(name));
        adminSettings.put(AdminClientConfig.CLIENT_ID_CONFIG, "pg-adx-cdc-watchdog");
        Object healthTopic = configs.get(PREFIX + "health.topic");
        if (healthTopic != null && !healthTopic.toString().isBlank()) {
            healthIntervalMs = longSetting(configs, "health.interval.ms");
            if (healthIntervalMs < 1000) throw new IllegalArgumentException(PREFIX + "health.interval.ms must be at least 1000 (got " + healthIntervalMs + ")");
            health = new WorkerHealthReporter(healthTopic.toString().trim(), String.valueOf(configs.get("group.id")), workerId, configs, adminSettings);
        }
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
        this.cluster = cluster;
        started = Instant.now();
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
        if (health != null) {
            scheduler.scheduleWithFixedDelay(() -> health.report(snapshot(), Instant.now()), healthIntervalMs, healthIntervalMs, TimeUnit.MILLISECONDS);
            LOG.info("pg-adx-cdc watchdog on worker {}: its health every {} ms to the health topic", workerId, healthIntervalMs);
        }
        LOG.info("pg-adx-cdc watchdog on worker {}: failed connectors and tasks restarted after {} ms, doubling to {} ms, at most {} times",
                workerId, initialBackoffMs, maxBackoffMs, maxRestarts);
    }

    void check(ConnectClusterState cluster) {
        Instant now = Instant.now();
        for (String connector : cluster.connectors()) {
            ConnectorHealth health = cluster.connectorHealth(connector);
            if ("STOPPED".equals(health.connectorState().state())) {
                resumeIfSeedingLeftStopped(connector, now);
                continue;
            }
            if (consider(connector, null, health.connectorState().state(), health.connectorState().workerId(), health.connectorState().traceMessage(), now)) continue;
            // After a seeding the tasks read here are gone (the connector was stopped and resumed): next round.
            for (TaskState task : health.tasksState().values())
                if (consider(connector, task.taskId(), task.state(), task.workerId(), task.traceMessage(), now)) break;
        }
    }

    /** True when it stopped and resumed the connector (its other tasks' states are stale then). */
    private boolean consider(String connector, Integer task, String state, String worker, String trace, Instant now) {
        String key = task == null ? connector : connector + "/" + task;
        Restarts r = restarts.get(key);
        if (!"FAILED".equals(state)) {
            // A run that lasted is a recovery: the next failure starts the backoff again.
            // One it never restarted (an out-of-range gap, repaired by moving the offsets) recovers once it runs.
            if (r != null && "RUNNING".equals(state) && (r.lastRestart == null || now.isAfter(r.lastRestart.plusMillis(stableMs)))) restarts.remove(key);
            return false;
        }
        if (!workerId.equals(worker)) return false;
        if (task != null && trace != null) {
            List<String> withoutOffset = partitionsWithoutOffset(trace);
            if (!withoutOffset.isEmpty()) {
                Instant allowed = nextSeeding.get(connector);
                if (allowed != null && now.isBefore(allowed)) return false;
                boolean seeded = seedFirstOffsets(connector, withoutOffset, now);
                nextSeeding.put(connector, Instant.now().plusMillis(seeded ? SEEDING_SPACING_MS : initialBackoffMs));
                return true;
            }
            Matcher outOfRange = OUT_OF_RANGE.matcher(trace);
            if (outOfRange.find()) {
                if (r == null) {
                    r = new Restarts(connector, task, now);
                    restarts.put(key, r);
                    LOG.error("{} FAILED: {}. Records the sink never read are gone (retention) or the topic was re-created; a restart cannot fix that, "
                            + "so the task stays FAILED: pg-adx-cdc status names the gap and its repair (pg-adx-cdc snapshot --table ...)", key, outOfRange.group());
                }
                r.gaveUp = true;
                r.reason = "offset-out-of-range";
                r.lastTrace = outOfRange.group();
                return false;
            }
        }
        if (r == null) {
            r = new Restarts(connector, task, now);
            r.nextAttempt = now.plusMillis(initialBackoffMs);
            restarts.put(key, r);
            LOG.warn("{} FAILED on this worker; the watchdog restarts it in {} ms", key, initialBackoffMs);
        }
        r.lastTrace = trace == null ? null : trace.lines().findFirst().orElse(null);
        if (r.gaveUp || now.isBefore(r.nextAttempt)) return false;
        if (r.attempts >= maxRestarts) {
            r.gaveUp = true;
            LOG.error("{} failed again after {} restarts by the watchdog; it stays FAILED until someone fixes the cause and restarts it", key, r.attempts);
            return false;
        }
        String path = "/connectors/" + URLEncoder.encode(connector, StandardCharsets.UTF_8).replace("+", "%20") + (task == null ? "/restart" : "/tasks/" + task + "/restart");
        try {
            HttpResponse<String> response = http.send(authorized(HttpRequest.newBuilder(self.resolve(path))).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                // 409: the group is rebalancing; next round.
                LOG.warn("watchdog restart of {}: HTTP {} {}", key, response.statusCode(), response.body());
                return false;
            }
        } catch (IOException | InterruptedException e) {
            LOG.warn("watchdog restart of {} failed: {}", key, e.toString());
            return false;
        }
        r.attempts++;
        r.lastRestart = now;
        long backoff = Math.min(maxBackoffMs, initialBackoffMs << Math.min(20, r.attempts));
        r.nextAttempt = now.plusMillis(backoff);
        LOG.warn("watchdog restarted {} (restart {} of at most {}); if it fails again, the next restart is in {} ms", key, r.attempts, maxRestarts, backoff);
        return false;
    }

    static List<String> partitionsWithoutOffset(String trace) {
        Matcher m = NO_OFFSET.matcher(trace);
        List<String> partitions = new ArrayList<>();
        if (!m.find()) return partitions;
        for (String p : m.group(1).split(",")) {
            String tp = p.trim();
            int dash = tp.lastIndexOf('-');
            if (dash > 0 && tp.substring(dash + 1).matches("\\d+")) partitions.add(tp);
        }
        return partitions;
    }

    /**
     * Commits offset 0 for the given partitions ("topic-partition") of a sink connector that has no
     * committed offset for them, through the worker's REST API: stop, alter offsets, resume. The
     * offsets are read again while stopped, so a partition another worker's watchdog seeded (and the
     * sink has read since) is never moved back.
     */
    /** True when every partition without an offset has one now (or none lacked one). */
    boolean seedFirstOffsets(String connector, List<String> partitions, Instant now) {
        String base = "/connectors/" + URLEncoder.encode(connector, StandardCharsets.UTF_8).replace("+", "%20");
        long deadline = System.currentTimeMillis() + 120_000;
        // The marker first: if this worker ends before the resume below, whichever watchdog runs next resumes the connector.
        // On a partition that exists: Kafka refuses an offset for one that does not.
        List<String> existingNow = existingPartitions(connector);
        org.apache.kafka.common.TopicPartition markerPartition = topicPartition(existingNow.isEmpty() ? partitions.get(0) : existingNow.get(0));
        try (Admin admin = Admin.create(adminSettings)) {
            SeedingStopMarker.write(admin, connector, markerPartition, true, workerId, Instant.now());
        } catch (Exception e) {
            LOG.warn("watchdog: could not record that it stops {} to give first offsets ({}); it does not stop it, and tries again later", connector, e.toString());
            return false;
        }
        boolean resumed = false;
        try {
            // The resume below runs whatever happens after this point, even if the stop seemed to fail (it may have applied).
            try {
                if (!call("PUT", base + "/stop", null, deadline)) return false;
                while (true) {
                    HttpResponse<String> status = send("GET", base + "/status", null);
                    if (status.statusCode() == 200 && STOPPED.matcher(status.body()).find()) break;
                    if (System.currentTimeMillis() > deadline) {
                        LOG.warn("watchdog: {} did not stop within 120 s; it resumes, and a later round tries again", connector);
                        return false;
                    }
                    Thread.sleep(250);
                }
                HttpResponse<String> offsets = send("GET", base + "/offsets", null);
                List<String> committed = committedPartitions(offsets.body());
                List<String> first = new ArrayList<>();
                StringBuilder body = new StringBuilder("{\"offsets\":[");
                // The consumer names one partition at a time; every partition of the sink's topics without
                // an offset is seeded in one stop, so 200 new topics cost one stop, not 200.
                List<String> existing = existingPartitions(connector);
                List<String> candidates = new ArrayList<>(partitions);
                // A partition the consumer named that no longer exists (its topic re-created with fewer partitions)
                // cannot take an offset: Connect would refuse the whole request, and the sink would stay stopped.
                if (!existing.isEmpty()) candidates.removeIf(tp -> !existing.contains(tp));
                for (String tp : existing) if (!candidates.contains(tp)) candidates.add(tp);
                for (String tp : candidates) {
                    if (committed.contains(tp) || first.contains(tp)) continue;
                    int dash = tp.lastIndexOf('-');
                    if (!first.isEmpty()) body.append(',');
                    body.append("{\"partition\":{\"kafka_topic\":\"").append(tp, 0, dash).append("\",\"kafka_partition\":").append(tp.substring(dash + 1))
                            .append("},\"offset\":{\"kafka_offset\":0}}");
                    first.add(tp);
                }
                body.append("]}");
                // Connect refuses to alter a sink's offsets until its tasks have left the group: retried until they have.
                if (first.isEmpty()) return true;
                if (call("PATCH", base + "/offsets", body.toString(), deadline)) {
                    synchronized (seeded) {
                        Map<String, Object> entry = new LinkedHashMap<>();
                        entry.put("connector", connector);
                        entry.put("partitions", first);
                        entry.put("at", now.toString());
                        seeded.add(entry);
                        while (seeded.size() > SEEDED_KEPT) seeded.remove(0);
                    }
                    LOG.warn("watchdog: {} had no committed offset for {} (a new topic or partition); committed offset 0, the first record, so nothing is skipped", connector, first);
                    return true;
                }
                return false;
            } finally {
                resumed = call("PUT", base + "/resume", null, System.currentTimeMillis() + 60_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            LOG.warn("watchdog: giving {} its first offsets failed ({}); a later round tries again", connector, e.toString());
            return false;
        } finally {
            // Not resumed (Connect unreachable for a minute): the marker stays, and a later round resumes the connector.
            if (resumed) clearMarker(connector, markerPartition);
        }
    }

    private void clearMarker(String connector, org.apache.kafka.common.TopicPartition partition) {
        try (Admin admin = Admin.create(adminSettings)) {
            SeedingStopMarker.write(admin, connector, partition, false, workerId, Instant.now());
        } catch (Exception e) {
            // Harmless: the connector runs, and a marker is only acted on while its connector is STOPPED.
            LOG.warn("watchdog: could not clear the seeding marker of {} ({})", connector, e.toString());
        }
    }

    static org.apache.kafka.common.TopicPartition topicPartition(String tp) {
        int dash = tp.lastIndexOf('-');
        return new org.apache.kafka.common.TopicPartition(tp.substring(0, dash), Integer.parseInt(tp.substring(dash + 1)));
    }

    /**
     * A STOPPED connector whose seeding marker says a watchdog stopped it and never resumed it (its worker
     * ended mid-seeding) is resumed; one an operator stopped has no marker and stays stopped.
     */
    void resumeIfSeedingLeftStopped(String connector, Instant now) {
        Instant allowed = nextMarkerRead.get(connector);
        if (allowed != null && now.isBefore(allowed)) return;
        nextMarkerRead.put(connector, now.plusMillis(MARKER_READ_SPACING_MS));
        SeedingStopMarker.State marker;
        try (Admin admin = Admin.create(adminSettings)) {
            marker = SeedingStopMarker.read(admin, connector);
        } catch (Exception e) {
            LOG.warn("watchdog: could not read the seeding marker of the STOPPED connector {} ({}); it reads it again later", connector, e.toString());
            return;
        }
        if (!SeedingStopMarker.leftStopped(marker, workerId, started, now, seedingStaleMs)) {
            // Another worker's seeding may still be under way: read again once it would be stale.
            if (marker != null && marker.stopped()) {
                Instant stale = marker.at().plusMillis(seedingStaleMs + 1000);
                nextMarkerRead.put(connector, stale.isAfter(now) ? stale : now.plusMillis(intervalMs));
            }
            return;
        }
        String path = "/connectors/" + URLEncoder.encode(connector, StandardCharsets.UTF_8).replace("+", "%20") + "/resume";
        try {
            if (!call("PUT", path, null, System.currentTimeMillis() + 60_000)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        clearMarker(connector, marker.partition());
        nextMarkerRead.remove(connector);
        synchronized (resumedAfterSeeding) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("connector", connector);
            entry.put("stoppedBy", marker.worker());
            entry.put("stoppedAt", marker.at().toString());
            entry.put("resumedAt", now.toString());
            resumedAfterSeeding.add(entry);
            while (resumedAfterSeeding.size() > SEEDED_KEPT) resumedAfterSeeding.remove(0);
        }
        LOG.warn("watchdog: {} was STOPPED by the watchdog of {} at {} to give first offsets, and that worker ended before resuming it; resumed", connector,
                marker.worker(), marker.at());
    }

    /** "topic-partition" of every partition of the sink's configured topics that exists now; empty when that cannot be read. */
    List<String> existingPartitions(String connector) {
        List<String> list = new ArrayList<>();
        try {
            Map<String, String> config = cluster.connectorConfig(connector);
            String topics = config == null ? null : config.get("topics");
            if (topics == null || topics.isBlank()) return list;
            List<String> names = new ArrayList<>();
            for (String t : topics.split(",")) if (!t.isBlank()) names.add(t.trim());
            try (Admin admin = Admin.create(adminSettings)) {
                java.util.Set<String> present = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                names.removeIf(n -> !present.contains(n));
                if (names.isEmpty()) return list;
                for (TopicDescription d : admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values())
                    d.partitions().forEach(p -> list.add(d.name() + "-" + p.partition()));
            }
        } catch (Exception e) {
            LOG.warn("watchdog: could not list the partitions of {}'s topics ({}); it seeds the ones the consumer named", connector, e.toString());
        }
        return list;
    }

    private static final Pattern STOPPED = Pattern.compile("\"connector\"\\s*:\\s*\\{[^}]*\"state\"\\s*:\\s*\"STOPPED\"");
    private static final Pattern OFFSET_PARTITION = Pattern.compile("\"partition\"\\s*:\\s*\\{([^}]*)\\}");
    private static final Pattern TOPIC = Pattern.compile("\"kafka_topic\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern PARTITION = Pattern.compile("\"kafka_partition\"\\s*:\\s*(\\d+)");

    /** "topic-partition" of each offset in Connect's {@code GET /connectors/{name}/offsets} answer for a sink. */
    static List<String> committedPartitions(String body) {
        List<String> list = new ArrayList<>();
        Matcher m = OFFSET_PARTITION.matcher(body);
        while (m.find()) {
            Matcher t = TOPIC.matcher(m.group(1));
            Matcher p = PARTITION.matcher(m.group(1));
            if (t.find() && p.find()) list.add(t.group(1) + "-" + p.group(1));
        }
        return list;
    }

    /** Adds the REST API's basic-auth header; the password is read from the users file at each call (a replaced file takes effect at once). */
    private HttpRequest.Builder authorized(HttpRequest.Builder request) {
        if (restUser == null || restUsersFile == null) return request;
        java.util.Properties users = new java.util.Properties();
        try (java.io.Reader reader = java.nio.file.Files.newBufferedReader(restUsersFile, StandardCharsets.UTF_8)) {
            users.load(reader);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("the watchdog cannot read the REST users file " + restUsersFile, e);
        }
        String password = users.getProperty(restUser);
        if (password == null) throw new IllegalStateException("the REST users file " + restUsersFile + " has no user " + restUser);
        String token = java.util.Base64.getEncoder().encodeToString((restUser + ":" + password.trim()).getBytes(StandardCharsets.UTF_8));
        return request.header("Authorization", "Basic " + token);
    }

    private HttpResponse<String> send(String method, String path, String body) throws InterruptedException {
        HttpRequest.Builder request = authorized(HttpRequest.newBuilder(self.resolve(path))).timeout(Duration.ofSeconds(30));
        if (body == null) request.method(method, HttpRequest.BodyPublishers.noBody());
        else request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A request retried (409 while the group rebalances, 5xx while tasks stop) until it succeeds or the deadline passes. */
    private boolean call(String method, String path, String body, long deadline) throws InterruptedException {
        long delay = 250;
        while (true) {
            String outcome;
            try {
                HttpResponse<String> response = send(method, path, body);
                if (response.statusCode() < 300) return true;
                outcome = "HTTP " + response.statusCode() + " " + response.body();
            } catch (java.io.UncheckedIOException e) {
                outcome = e.getCause().toString();
            }
            if (System.currentTimeMillis() + delay > deadline) {
                LOG.warn("watchdog: {} {} gave up: {}", method, path, outcome);
                return false;
            }
            Thread.sleep(delay);
            delay = Math.min(5000, delay * 2);
        }
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
            synchronized (seeded) {
                json.put("seeded", new ArrayList<>(seeded));
            }
            synchronized (resumedAfterSeeding) {
                json.put("resumedAfterSeeding", new ArrayList<>(resumedAfterSeeding));
            }
            return json;
        }
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.shutdownNow();
        if (health != null) health.close();
    }

    @Override
    public String version() {
        return "1";
    }
}
