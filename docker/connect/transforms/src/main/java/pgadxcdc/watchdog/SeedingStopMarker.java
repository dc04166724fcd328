package pgadxcdc.watchdog;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The durable record that a watchdog stopped a sink connector to give it first offsets.
 *
 * <p>Connect persists a connector's STOPPED target state in its config topic. A worker killed between
 * the watchdog's stop and its resume (a container restart, an OOM kill) would leave the sink stopped
 * for good: nothing is lost at once, but nothing reaches ADX, and retention later deletes what the
 * sink never read. So before stopping, the watchdog writes this marker, and any watchdog that finds the
 * connector still STOPPED with the marker set resumes it. A connector an operator stopped has no
 * marker and stays stopped.
 *
 * <p>The marker is a committed offset's metadata in a consumer group of its own
 * ({@code pg-adx-cdc.watchdog.stopped.<connector>}): Kafka keeps it in {@code __consumer_offsets},
 * shared by every worker and readable after any restart, with the same Admin calls Connect's offsets
 * API makes (also on Event Hubs). Clearing writes "resumed" rather than deleting the group.
 */
final class SeedingStopMarker {
    /** Stopped by worker {@code worker} at {@code at}; {@code stopped=false}: resumed since. */
    record State(boolean stopped, String worker, Instant at, TopicPartition partition) {}

    private static final String STOPPED = "stopped";
    private static final String RESUMED = "resumed";

    private SeedingStopMarker() {}

    static String group(String connector) {
        return "pg-adx-cdc.watchdog.stopped." + connector;
    }

    /** "stopped|resumed <epoch ms> <worker>": the worker id (host:port) has no spaces. */
    static String metadata(boolean stopped, String worker, Instant at) {
        return (stopped ? STOPPED : RESUMED) + " " + at.toEpochMilli() + " " + worker;
    }

    /** The marker's state from one committed offset's metadata, or null when it is not one. */
    static State parse(String metadata, TopicPartition partition) {
        if (metadata == null) return null;
        String[] parts = metadata.trim().split(" ", 3);
        if (parts.length != 3 || !(STOPPED.equals(parts[0]) || RESUMED.equals(parts[0])) || !parts[1].matches("\\d{1,19}")) return null;
        return new State(STOPPED.equals(parts[0]), parts[2], Instant.ofEpochMilli(Long.parseLong(parts[1])), partition);
    }

    /**
     * Whether a watchdog should resume a STOPPED connector with this marker: one this same worker set
     * before it started (its seeding ended with the process), or one older than {@code staleMs}, longer
     * than any seeding takes (another worker's, which ended without resuming).
     */
    static boolean leftStopped(State marker, String worker, Instant watchdogStarted, Instant now, long staleMs) {
        if (marker == null || !marker.stopped()) return false;
        if (marker.worker().equals(worker) && marker.at().isBefore(watchdogStarted)) return true;
        return now.isAfter(marker.at().plusMillis(staleMs));
    }

    static void write(Admin admin, String connector, TopicPartition partition, boolean stopped, String worker, Instant at) throws Exception {
        admin.alterConsumerGroupOffsets(group(connector), Map.of(partition, new OffsetAndMetadata(0, metadata(stopped, worker, at)))).all().get(30, TimeUnit.SECONDS);
    }

    /** The newest marker of the connector, or null when none was ever written (or retention dropped it). */
    static State read(Admin admin, String connector) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group(connector)).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        State newest = null;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            State s = e.getValue() == null ? null : parse(e.getValue().metadata(), e.getKey());
            if (s != null && (newest == null || s.at().isAfter(newest.at()))) newest = s;
        }
        return newest;
    }
}
