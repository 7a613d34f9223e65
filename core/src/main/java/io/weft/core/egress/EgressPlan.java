package io.weft.core.egress;

import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What this node's packet filter must do for pod traffic, as ordered rules (first match wins), whatever
 * mechanism writes them:
 * <ul>
 *   <li>forwarding: accept traffic from the cluster CIDR and traffic to it, so a host whose FORWARD
 *       policy drops (Docker sets it) still forwards pods' packets, and nothing else is opened;</li>
 *   <li>masquerade (when on): traffic from this node's pod subnet to the cluster CIDR, or to a
 *       {@code --no-masquerade-cidr}, returns untouched (pods keep their addresses on every path); any
 *       other traffic from the pod subnet leaves with the node's address.</li>
 * </ul>
 * Pure; {@link #masquerades} evaluates the NAT rules as the kernel would, for property tests.
 *
 * @param podSubnet     this node's pod subnet (the masquerade source)
 * @param clusterCidr   the pod network
 * @param noMasquerade  destinations that route the pod CIDR themselves
 * @param masquerade    {@code --masquerade}
 */
public record EgressPlan(Cidr podSubnet, Cidr clusterCidr, List<Cidr> noMasquerade, boolean masquerade) {

  /** What a NAT rule does with a packet it matches. */
  public enum NatAction {
    /** Leave the chain: the packet keeps its source address. */
    RETURN,
    /** Rewrite the source to the address of the outgoing interface. */
    MASQUERADE
  }

  /**
   * One rule of the NAT chain.
   *
   * @param source      matched source prefix
   * @param destination matched destination prefix, null for any
   */
  public record NatRule(Cidr source, Cidr destination, NatAction action) {
    public NatRule {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(action, "action");
    }

    boolean matches(InetAddress src, InetAddress dst) {
      return source.contains(src) && (destination == null || destination.contains(dst));
    }
  }

  /**
   * One rule of the forwarding chain: accept a packet from {@code source} or to {@code destination}
   * (exactly one is set).
   */
  public record ForwardRule(Cidr source, Cidr destination) {
    public ForwardRule {
      if ((source == null) == (destination == null)) {
        throw new IllegalArgumentException("a forward rule matches on exactly one of source and destination");
      }
    }
  }

  public EgressPlan {
    Objects.requireNonNull(podSubnet, "podSubnet");
    Objects.requireNonNull(clusterCidr, "clusterCidr");
    noMasquerade = List.copyOf(noMasquerade);
  }

  /** Accept pod traffic in both directions: from the cluster CIDR, then to it. */
  public List<ForwardRule> forwardRules() {
    return List.of(new ForwardRule(clusterCidr, null), new ForwardRule(null, clusterCidr));
  }

  /** The NAT chain in order; empty when masquerade is off (then no NAT rule may exist at all). */
  public List<NatRule> natRules() {
    if (!masquerade) {
      return List.of();
    }
    List<NatRule> rules = new ArrayList<>();
    rules.add(new NatRule(podSubnet, clusterCidr, NatAction.RETURN));
    noMasquerade.stream().filter(c -> !clusterCidr.contains(c)).distinct().sorted()
        .forEach(c -> rules.add(new NatRule(podSubnet, c, NatAction.RETURN)));
    rules.add(new NatRule(podSubnet, null, NatAction.MASQUERADE));
    return rules;
  }

  /** Whether a packet from {@code src} to {@code dst} leaves with the node's address: the NAT rules, first match. */
  public boolean masquerades(InetAddress src, InetAddress dst) {
    for (NatRule r : natRules()) {
      if (r.matches(src, dst)) {
        return r.action() == NatAction.MASQUERADE;
      }
    }
    return false;
  }

  /** Whether the forwarding rules accept a packet from {@code src} to {@code dst}. */
  public boolean forwardAccepts(InetAddress src, InetAddress dst) {
    return forwardRules().stream().anyMatch(r -> r.source() != null ? r.source().contains(src) : r.destination().contains(dst));
  }
}
