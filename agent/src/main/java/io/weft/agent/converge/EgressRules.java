package io.weft.agent.converge;

import io.weft.core.egress.EgressPlan;
import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import io.weft.dataplane.PacketFilter;
import io.weft.dataplane.PacketFilter.BackendState;
import io.weft.dataplane.PacketFilter.FilterResult;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding and masquerade rules, converged on the loop thread like the routes: a reconcile compares
 * the packet filter with this node's {@link EgressPlan} and writes only what differs. A write after a pass
 * that had found everything in place is drift repaired (someone deleted or changed a rule).
 *
 * <p>Reading the filter starts a process per iptables backend and one {@code nft list ruleset}, tens of
 * milliseconds of CPU on every node for every mesh change. So a pass leaves the filter alone when nothing
 * can have changed it: the plan is the one the last read found in place, every backend in use announces its
 * changes (nf_tables; legacy iptables is read every pass) and the caller has seen no announcement, lost
 * event or resync since.
 */
final class EgressRules {
  private static final Logger log = LoggerFactory.getLogger(EgressRules.class);

  private final PacketFilter filter;
  private final Cidr clusterCidr;
  private final EgressSettings settings;
  /** Owned by the loop thread: the plan and the outcome of the last read of the filter (null before it). */
  private EgressPlan lastPlan;
  private Outcome lastRead;

  EgressRules(PacketFilter filter, Cidr clusterCidr, EgressSettings settings) {
    this.filter = Objects.requireNonNull(filter, "filter");
    this.clusterCidr = Objects.requireNonNull(clusterCidr, "clusterCidr");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * What one pass found and did.
   *
   * @param result  the filter's own account
   * @param repairs 1 when rules that had been in place were rewritten (drift), else 0
   */
  record Outcome(FilterResult result, int repairs) {
    /** Every backend in use holds the rules (the NAT rules where masquerade is on). */
    boolean inPlace(boolean masquerade) {
      return result.errors().isEmpty() && !result.backends().isEmpty()
          && result.backends().stream().allMatch(BackendState::forward)
          && (!masquerade || result.backends().stream().anyMatch(BackendState::nat));
    }
  }

  /**
   * @param mayHaveChanged the filter may differ from the last read: a change notice, lost events or a resync
   *                       came since (the first pass passes true)
   */
  Outcome reconcile(NodeRecord self, boolean mayHaveChanged) {
    EgressPlan plan = new EgressPlan(self.podSubnet(), clusterCidr, settings.noMasquerade(), settings.masquerade());
    boolean wasInPlace = lastRead != null && lastRead.inPlace(settings.masquerade());
    if (!mayHaveChanged && wasInPlace && plan.equals(lastPlan) && !lastRead.result().needsPolling()) {
      FilterResult held = lastRead.result();
      return new Outcome(new FilterResult(held.backends(), 0, held.errors(), held.nftDrops()), 0);
    }
    FilterResult r = filter.converge(plan);
    int repairs = r.changes() > 0 && wasInPlace ? 1 : 0;
    if (r.changes() > 0) {
      log.info("{} packet filter rules for pod traffic in {} ({}): forwarding of {} accepted{}",
          repairs > 0 ? "repaired" : "wrote", describe(r.backends()), r.changes() + " table transaction(s)",
          clusterCidr, settings.masquerade() ? ", " + self.podSubnet() + " masqueraded beyond it"
              + (settings.noMasquerade().isEmpty() ? "" : " except to " + settings.noMasquerade()) : ", no masquerade");
    }
    Outcome o = new Outcome(r, repairs);
    lastPlan = plan;
    lastRead = o;
    return o;
  }

  private static String describe(List<BackendState> backends) {
    return backends.isEmpty() ? "no backend"
        : String.join(" and ", backends.stream().map(b -> "iptables-" + b.name()).toList());
  }
}
