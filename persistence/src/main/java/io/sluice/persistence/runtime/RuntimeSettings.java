package io.sluice.persistence.runtime;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * INTERNAL API: timings of the channel protocol, from {@code sluice.runtime} (see reference.conf).
 *
 * @param resendAfter resend a batch not acknowledged for this long
 * @param tick how often an instance checks for resends and processing-time work
 * @param reportEvery how often an instance reports its progress to the job coordinator
 * @param maxBatchesPerStep input batches consumed by one step (one persisted event)
 * @param idlePollMax the longest pause between polls of a source that has nothing to read
 * @param routeStaleAfter how long an instance resends to a peer that answers nothing before it
 *     asks the cluster to refresh the routes between them
 */
public record RuntimeSettings(Duration resendAfter, Duration tick, Duration reportEvery, int maxBatchesPerStep,
    Duration idlePollMax, Duration routeStaleAfter) {
  public static RuntimeSettings from(Config config) {
    Config c = config.getConfig("sluice.runtime");
    return new RuntimeSettings(c.getDuration("resend-after"), c.getDuration("tick"), c.getDuration("report-every"),
        c.getInt("max-batches-per-step"), c.getDuration("idle-poll-max"), c.getDuration("route-stale-after"));
  }

  public static RuntimeSettings defaults() {
    return new RuntimeSettings(Duration.ofSeconds(3), Duration.ofMillis(100), Duration.ofSeconds(1), 16,
        Duration.ofMillis(50), Duration.ofSeconds(30));
  }
}
