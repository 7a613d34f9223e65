package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerPath;
import io.weft.core.model.Route;
import io.weft.core.plan.RouteConflict;
import io.weft.core.plan.RouteStatus;
import io.weft.core.plan.SkippedPeer;
import io.weft.dataplane.PacketFilter.BackendState;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one reconcile found and did; the loop publishes the latest for status and metrics. Immutable.
 *
 * @param number              1 for the first reconcile, 0 for {@link #initial()}
 * @param startedAtMillis     wall clock at start, epoch millis
 * @param durationNanos       how long it took
 * @param trigger             the inputs that caused it, e.g. {@code mesh changed, route deleted: ...}
 * @param self                this node's record; null while the mesh has not agreed one (nothing done)
 * @param desired             the routes wanted
 * @param skipped             peers deliberately left without a route, with the reason
 * @param routes              the kernel against the desired routes after this reconcile's changes
 * @param conflicts           desired routes blocked by a foreign route (left alone)
 * @param added               routes added
 * @param replaced            routes replaced
 * @param deleted             routes deleted
 * @param errors              kernel refusals, one line each naming the route and the reason
 * @param driftRepairs        routes restored that the previous reconcile had found installed
 * @param lagsMillis          per route installed now: time from the input that asked for it to the kernel ack
 * @param adoption            the start-up adoption grace
 * @param consecutiveFailures reconciles in a row with errors (0 after a clean one)
 * @param nextRetryAtMillis   when the failed changes are retried, 0 when nothing failed
 * @param paths               node name to path ({@code direct} or {@code vxlan}) of every routed peer
 * @param podMtu              this node's pod MTU (0 before the first reconcile with a record)
 * @param egress              the forwarding and masquerade rules after this reconcile
 */
public record ReconcileReport(
    long number,
    long startedAtMillis,
    long durationNanos,
    String trigger,
    NodeRecord self,
    List<Route> desired,
    List<SkippedPeer> skipped,
    List<RouteStatus> routes,
    List<RouteConflict> conflicts,
    int added,
    int replaced,
    int deleted,
    List<String> errors,
    int driftRepairs,
    List<Long> lagsMillis,
    Adoption adoption,
    int consecutiveFailures,
    long nextRetryAtMillis,
    Map<String, PeerPath> paths,
    int podMtu,
    Egress egress) {

  /** Prefix of the errors of the tunnel step; errors without a prefix are the routes'. */
  public static final String TUNNEL_ERROR = "tunnel: ";
  /** Prefix of the errors of the packet filter step. */
  public static final String EGRESS_ERROR = "egress: ";

  public ReconcileReport {
    desired = List.copyOf(desired);
    skipped = List.copyOf(skipped);
    routes = List.copyOf(routes);
    conflicts = List.copyOf(conflicts);
    errors = List.copyOf(errors);
    lagsMillis = List.copyOf(lagsMillis);
    paths = Map.copyOf(paths);
    Objects.requireNonNull(egress, "egress");
  }

  /** Before the first reconcile. */
  public static ReconcileReport initial() {
    return new ReconcileReport(0, 0, 0, "not started", null, List.of(), List.of(), List.of(), List.of(), 0, 0, 0,
        List.of(), 0, List.of(), Adoption.pending(), 0, 0, Map.of(), 0, Egress.NOT_YET);
  }

  /**
   * The kernel holds exactly what is wanted and every live peer is reachable: joined, no errors, no peer
   * left without a route (a peer behind a router with {@code --tunnel never}, a subnet conflict), nothing
   * missing and nothing stale (foreign conflicts are reported as problems but do not stop convergence:
   * Weft never resolves them).
   */
  public boolean converged() {
    return self != null && errors.isEmpty() && skipped.isEmpty()
        && routes.stream().noneMatch(r -> r.state() == RouteStatus.State.MISSING || r.state() == RouteStatus.State.STALE);
  }

  public long count(RouteStatus.State state) {
    return routes.stream().filter(r -> r.state() == state).count();
  }

  /**
   * The packet filter rules for pod traffic.
   *
   * @param masquerade whether masquerade is on
   * @param inPlace    every backend in use holds Weft's rules
   * @param backends   the iptables backends in use and what each holds
   * @param repairs    rules rewritten by this reconcile after they had been in place (deleted by hand)
   * @param nftDrops   other tools' nftables chains that drop forwarded pod traffic by default
   */
  public record Egress(boolean masquerade, boolean inPlace, List<BackendState> backends, int repairs,
      List<String> nftDrops) {
    static final Egress NOT_YET = new Egress(false, false, List.of(), 0, List.of());

    public Egress {
      backends = List.copyOf(backends);
      nftDrops = List.copyOf(nftDrops);
    }
  }

  /**
   * The start-up adoption of routes found in the kernel.
   *
   * @param active         still keeping unclaimed routes of ours
   * @param untilMillis    when it ends at the latest (the bound), epoch millis; 0 before start
   * @param endedAtMillis  when it ended, 0 while active
   * @param endReason      why it ended ({@code mesh view settled}, {@code grace elapsed})
   * @param kept           unclaimed routes of ours kept for now (they are STALE in the routes view)
   */
  public record Adoption(boolean active, long untilMillis, long endedAtMillis, String endReason, List<Route> kept) {
    public Adoption {
      kept = List.copyOf(kept);
    }

    static Adoption pending() {
      return new Adoption(true, 0, 0, "", List.of());
    }
  }
}
