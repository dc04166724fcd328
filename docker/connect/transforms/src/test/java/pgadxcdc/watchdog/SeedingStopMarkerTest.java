package pgadxcdc.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** When a watchdog resumes a STOPPED sink: only one a seeding left stopped, never one an operator stopped. */
class SeedingStopMarkerTest {
    private static final TopicPartition TP = new TopicPartition("cdc.shop.orders", 2);
    private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");
    private static final long STALE_MS = 200_000;

    @Test
    void metadataRoundTrips() {
        SeedingStopMarker.State s = SeedingStopMarker.parse(SeedingStopMarker.metadata(true, "10.0.0.4:8083", T0), TP);
        assertTrue(s.stopped());
        assertEquals("10.0.0.4:8083", s.worker());
        assertEquals(T0, s.at());
        assertEquals(TP, s.partition());
        assertFalse(SeedingStopMarker.parse(SeedingStopMarker.metadata(false, "w:1", T0), TP).stopped());
    }

    @Test
    void otherMetadataIsNoMarker() {
        assertNull(SeedingStopMarker.parse(null, TP));
        assertNull(SeedingStopMarker.parse("", TP));
        assertNull(SeedingStopMarker.parse("stopped soon by someone", TP));
        assertNull(SeedingStopMarker.parse("paused 1 w:1", TP));
    }

    @Test
    void noMarkerOrAResumedOneLeavesAStoppedConnectorAlone() {
        // An operator's stop: no marker, or the last seeding's marker already cleared.
        assertFalse(SeedingStopMarker.leftStopped(null, "w:1", T0, T0.plusSeconds(3600), STALE_MS));
        SeedingStopMarker.State resumed = SeedingStopMarker.parse(SeedingStopMarker.metadata(false, "w:1", T0), TP);
        assertFalse(SeedingStopMarker.leftStopped(resumed, "w:1", T0.plusSeconds(1), T0.plusSeconds(3600), STALE_MS));
    }

    @Test
    void theSameWorkerRestartedResumesAtOnce() {
        SeedingStopMarker.State s = SeedingStopMarker.parse(SeedingStopMarker.metadata(true, "w:1", T0), TP);
        // Its watchdog started after the marker: the process that set it ended mid-seeding.
        assertTrue(SeedingStopMarker.leftStopped(s, "w:1", T0.plusSeconds(5), T0.plusSeconds(7), STALE_MS));
        // The same process still seeding (started before it set the marker): wait.
        assertFalse(SeedingStopMarker.leftStopped(s, "w:1", T0.minusSeconds(60), T0.plusSeconds(7), STALE_MS));
    }

    @Test
    void anotherWorkersMarkerOnlyOnceStale() {
        SeedingStopMarker.State s = SeedingStopMarker.parse(SeedingStopMarker.metadata(true, "w:1", T0), TP);
        assertFalse(SeedingStopMarker.leftStopped(s, "w:2", T0.minusSeconds(60), T0.plusMillis(STALE_MS), STALE_MS));
        assertTrue(SeedingStopMarker.leftStopped(s, "w:2", T0.minusSeconds(60), T0.plusMillis(STALE_MS + 1), STALE_MS));
    }

    @Test
    void partitionNamesSplitAtTheLastDash() {
        assertEquals(new TopicPartition("cdc.my-schema.my-table", 11), FailedTaskWatchdog.topicPartition("cdc.my-schema.my-table-11"));
    }
}
