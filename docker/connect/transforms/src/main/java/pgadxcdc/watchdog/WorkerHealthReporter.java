package pgadxcdc.watchdog;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what the watchdog knows of this worker to the worker group's health topic, one record per
 * interval, keyed by the worker, also when nothing failed. The sink routes the topic to an ADX table, where
 * an alert rule reads it: a sink task failing for one table while the heartbeat's task runs leaves the
 * heartbeat fresh, so only this record tells ADX (and a person) that a table's changes stopped. A worker
 * whose records stop arriving (worker gone, or the sink task that carries this topic failed) is told by
 * their absence.
 *
 * <p>A record: {@code at}, {@code connect_group}, {@code worker}, {@code failing_tasks} (connectors and tasks
 * FAILED on this worker since their first failure without a stable run since), {@code gave_up_tasks}
 * (those the watchdog no longer restarts: out of restarts, or a data gap a restart cannot fix),
 * {@code failing_seconds} (the longest such run) and {@code tasks} (each one's connector, task, restarts,
 * reason and first trace line). On the stack's broker the watchdog creates the topic (one partition) if it
 * is missing; on Event Hubs the stack has created it (connectors/kafkaTopics.ts).
 */
final class WorkerHealthReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerHealthReporter.class);

    private final String topic;
    private final String group;
    private final String worker;
    private final Map<String, Object> adminSettings;
    private final Map<String, Object> producerSettings = new HashMap<>();
    private KafkaProducer<String, String> producer;
    private boolean topicReady;

    WorkerHealthReporter(String topic, String group, String worker, Map<String, ?> workerConfigs, Map<String, Object> adminSettings) {
        this.topic = topic;
        this.group = group;
        this.worker = worker;
        this.adminSettings = adminSettings;
        // The worker's own client settings (bootstrap, TLS, SASL), as its admin client uses them.
        for (String name : ProducerConfig.configNames()) if (workerConfigs.get(name) != null) producerSettings.put(name, workerConfigs.get(name));
        producerSettings.put(ProducerConfig.CLIENT_ID_CONFIG, "pg-adx-cdc-health");
        producerSettings.put(ProducerConfig.ACKS_CONFIG, "all");
        producerSettings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerSettings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        // A broker that is away must not hold the watchdog's thread (it also restarts tasks): give up a record instead.
        producerSettings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        producerSettings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        producerSettings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    }

    /** Sends one record with the watchdog's current entries (each a Restarts.toJson map). */
    void report(List<Map<String, Object>> entries, Instant now) {
        try {
            ensureTopic();
            if (producer == null) producer = new KafkaProducer<>(producerSettings);
            String value = Json.write(record(entries, now));
            producer.send(new ProducerRecord<>(topic, worker, value), (metadata, error) -> {
                if (error != null) LOG.warn("watchdog: the health record for {} did not reach {}: {}", worker, topic, error.toString());
            });
        } catch (Exception e) {
            LOG.warn("watchdog: no health record for {} this round ({}); the next round tries again", worker, e.toString());
        }
    }

    Map<String, Object> record(List<Map<String, Object>> entries, Instant now) {
        long failingSeconds = 0;
        int gaveUp = 0;
        List<Map<String, Object>> tasks = new ArrayList<>();
        for (Map<String, Object> e : entries) {
            Object since = e.get("failingSince");
            if (since != null) failingSeconds = Math.max(failingSeconds, Duration.between(Instant.parse(since.toString()), now).getSeconds());
            if (Boolean.TRUE.equals(e.get("gaveUp"))) gaveUp++;
            tasks.add(e);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        // Milliseconds: ADX's datetime takes at most 7 fractional digits (100 ns), Instant prints up to 9.
        json.put("at", now.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        json.put("connect_group", group);
        json.put("worker", worker);
        json.put("failing_tasks", entries.size());
        json.put("gave_up_tasks", gaveUp);
        json.put("failing_seconds", failingSeconds);
        json.put("tasks", tasks);
        json.put("initial_snapshots", initialSnapshots());
        return json;
    }

    /**
     * The topic prefixes of the Debezium PostgreSQL connectors on this worker that are taking their initial
     * snapshot: snapshot metrics running while streaming is not connected yet (an incremental snapshot runs
     * while streaming, heartbeats included, so it is not listed). Debezium commits no heartbeat until the
     * initial snapshot ends; the stalled alert reads this instead of firing during a long first load.
     */
    static List<String> initialSnapshots() {
        List<String> prefixes = new ArrayList<>();
        try {
            javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            for (javax.management.ObjectName snapshot : server.queryNames(new javax.management.ObjectName("debezium.postgres:type=connector-metrics,context=snapshot,*"), null)) {
                if (!Boolean.TRUE.equals(server.getAttribute(snapshot, "SnapshotRunning"))) continue;
                String prefix = snapshot.getKeyProperty("server");
                boolean streaming = false;
                for (javax.management.ObjectName stream : server.queryNames(new javax.management.ObjectName("debezium.postgres:type=connector-metrics,context=streaming,*"), null))
                    if (prefix != null && prefix.equals(stream.getKeyProperty("server"))) streaming |= Boolean.TRUE.equals(server.getAttribute(stream, "Connected"));
                if (!streaming) prefixes.add(prefix);
            }
        } catch (Exception e) {
            LOG.debug("watchdog: could not read Debezium's snapshot metrics: {}", e.toString());
        }
        return prefixes;
    }

    private void ensureTopic() throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        if (topicReady) return;
        Map<String, Object> settings = new HashMap<>(adminSettings);
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, "pg-adx-cdc-health");
        try (Admin admin = Admin.create(settings)) {
            try {
                admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
                try {
                    // One partition (a few records a minute); the broker's replication factor and retention.
                    admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
                    LOG.info("watchdog: created the worker health topic {}", topic);
                } catch (ExecutionException created) {
                    if (!(created.getCause() instanceof TopicExistsException)) throw created;
                }
            }
        }
        topicReady = true;
    }

    @Override
    public void close() {
        if (producer != null) producer.close(Duration.ofSeconds(5));
    }

    /** The few JSON shapes a record holds: maps, lists, strings, numbers, booleans, null. */
    static final class Json {
        static String write(Object value) {
            StringBuilder out = new StringBuilder();
            append(out, value);
            return out.toString();
        }

        private static void append(StringBuilder out, Object value) {
            if (value == null) out.append("null");
            else if (value instanceof Number || value instanceof Boolean) out.append(value);
            else if (value instanceof Map) {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    if (!first) out.append(',');
                    first = false;
                    append(out, String.valueOf(e.getKey()));
                    out.append(':');
                    append(out, e.getValue());
                }
                out.append('}');
            } else if (value instanceof List) {
                out.append('[');
                boolean first = true;
                for (Object item : (List<?>) value) {
                    if (!first) out.append(',');
                    first = false;
                    append(out, item);
                }
                out.append(']');
            } else {
                String s = value.toString();
                out.append('"');
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    switch (c) {
                        case '"': out.append("\\\""); break;
                        case '\\': out.append("\\\\"); break;
                        case '\n': out.append("\\n"); break;
                        case '\r': out.append("\\r"); break;
                        case '\t': out.append("\\t"); break;
                        default:
                            if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                            else out.append(c);
                    }
                }
                out.append('"');
            }
        }
    }
}
