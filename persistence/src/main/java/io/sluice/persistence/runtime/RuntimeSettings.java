package io.sluice.persistence.runtime;

import com.typesafe.config.Config;
import io.sluice.core.internal.engine.EngineSettings;
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
 * @param engine what the protocol engine takes of these, and of {@code sluice.state}
 * @param groupsInFlight key groups a recovering instance reads at once
 */
public record RuntimeSettings(Duration resendAfter, Duration tick, Duration reportEvery, int maxBatchesPerStep,
    Duration idlePollMax, Duration routeStaleAfter, EngineSettings engine, int groupsInFlight) {
  public static RuntimeSettings from(Config config) {
    Config c = config.getConfig("sluice.runtime");
    Config st = config.getConfig("sluice.state");
    EngineSettings e = new EngineSettings(c.getInt("max-batches-per-step"), c.getDuration("resend-after"),
        c.getDuration("route-stale-after"), (int) st.getBytes("chunk-bytes").longValue(), st.getBytes("capture-bytes"),
        st.getInt("max-deltas"), st.getBytes("inline-bytes"), c.getBytes("step-bytes"),
        st.getBytes("max-tail-bytes"));
    return new RuntimeSettings(c.getDuration("resend-after"), c.getDuration("tick"), c.getDuration("report-every"),
        c.getInt("max-batches-per-step"), c.getDuration("idle-poll-max"), c.getDuration("route-stale-after"), e,
        st.getInt("groups-in-flight"));
  }

  public static RuntimeSettings defaults() {
    EngineSettings e = EngineSettings.defaults();
    return new RuntimeSettings(e.resendAfter(), Duration.ofMillis(100), Duration.ofSeconds(1), e.maxBatchesPerStep(),
        Duration.ofMillis(50), e.routeStaleAfter(), e, 4);
  }
}
