package io.weft.agent.converge;

import io.weft.core.net.Cidr;
import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the convergence loop.
 *
 * @param clusterCidr    the pod network (the cluster-wide unreachable route, event filtering)
 * @param bridge         the node bridge (never an uplink for peer routes)
 * @param peerGrace      how long a down peer keeps its route
 * @param adoptGrace     bound on keeping unclaimed routes of ours found at start
 * @param resyncInterval period of the full reconcile without any event
 * @param coalesce       least time between reconciles caused by inputs: an input after a quiet spell
 *                       runs at once, inputs within this time after a reconcile wait for its end and
 *                       become one reconcile (event storms); small against the 1 s drift-repair goal
 * @param retryMin       first backoff after a failed apply
 * @param retryMax       backoff cap
 * @param tunnel         the VXLAN path to peers that are not on-link
 * @param egress         forwarding and masquerade of pod traffic
 */
public record ConvergeSettings(Cidr clusterCidr, String bridge, Duration peerGrace, Duration adoptGrace,
    Duration resyncInterval, Duration coalesce, Duration retryMin, Duration retryMax, TunnelSettings tunnel,
    EgressSettings egress) {

  public ConvergeSettings {
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    Objects.requireNonNull(bridge, "bridge");
    Objects.requireNonNull(peerGrace, "peerGrace");
    Objects.requireNonNull(adoptGrace, "adoptGrace");
    Objects.requireNonNull(resyncInterval, "resyncInterval");
    Objects.requireNonNull(coalesce, "coalesce");
    Objects.requireNonNull(retryMin, "retryMin");
    Objects.requireNonNull(retryMax, "retryMax");
    Objects.requireNonNull(tunnel, "tunnel");
    Objects.requireNonNull(egress, "egress");
  }

  /** Production timings around the configured graces. */
  public static ConvergeSettings of(Cidr clusterCidr, String bridge, Duration peerGrace, Duration adoptGrace,
      Duration resyncInterval, TunnelSettings tunnel, EgressSettings egress) {
    return new ConvergeSettings(clusterCidr, bridge, peerGrace, adoptGrace, resyncInterval,
        Duration.ofMillis(50), Duration.ofMillis(250), Duration.ofSeconds(30), tunnel, egress);
  }

  public ConvergeSettings withRetry(Duration min, Duration max) {
    return new ConvergeSettings(clusterCidr, bridge, peerGrace, adoptGrace, resyncInterval, coalesce, min, max, tunnel, egress);
  }
}
