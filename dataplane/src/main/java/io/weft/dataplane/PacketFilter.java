package io.weft.dataplane;

import io.weft.core.egress.EgressPlan;
import java.util.List;

/**
 * The node's packet filter as Weft uses it: chains of Weft's own holding an {@link EgressPlan}'s rules,
 * entered from the built-in chains by a single jump each, in every iptables backend the host uses. Rules
 * Weft did not write are never changed, moved or deleted.
 */
public interface PacketFilter {

  /**
   * Makes every backend in use hold exactly the plan's rules (only what differs is written, one
   * transaction per table); a plan with masquerade off removes Weft's NAT chain.
   */
  FilterResult converge(EgressPlan plan);

  /** Removes Weft's chains and jumps from every backend ({@code weft-agent cleanup}). */
  FilterResult remove();

  /**
   * What one pass found and did.
   *
   * @param backends the backends in use, after this pass
   * @param changes  tables rewritten (0 when the kernel already held the plan)
   * @param errors   one line each: what could not be read or written, and why
   * @param nftDrops native nftables base chains of other tools that drop forwarded traffic by default and
   *                 accept nothing for the cluster CIDR ({@code "inet firewalld filter_FORWARD"}): Weft
   *                 cannot override them and does not write into them
   */
  record FilterResult(List<BackendState> backends, int changes, List<String> errors, List<String> nftDrops) {
    public FilterResult {
      backends = List.copyOf(backends);
      errors = List.copyOf(errors);
      nftDrops = List.copyOf(nftDrops);
    }

    /** True when a backend without change notifications (legacy iptables) is in use: it must be polled. */
    public boolean needsPolling() {
      return backends.stream().anyMatch(b -> !b.notifies());
    }
  }

  /**
   * One iptables backend as found.
   *
   * @param name          {@code nft} (iptables-nft, nf_tables) or {@code legacy} (x_tables)
   * @param notifies      changes to it are announced (nf_tables) rather than only visible by reading
   * @param forwardPolicy the built-in FORWARD chain's policy ({@code ACCEPT}, {@code DROP}), null when the
   *                      backend has no filter table
   * @param forward       Weft's forwarding chain and its jump are in place
   * @param nat           Weft's NAT chain and its jump are in place
   * @param dropsFirst    FORWARD rules of other programs that come before Weft's jump and drop or reject:
   *                      they may drop pod traffic before Weft's rules see it
   */
  record BackendState(String name, boolean notifies, String forwardPolicy, boolean forward, boolean nat,
      List<String> dropsFirst) {
    public BackendState {
      dropsFirst = List.copyOf(dropsFirst);
    }
  }
}
