package io.weft.core.plan;

import io.weft.core.net.Cidr;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a node's own name and address must be for its peers to accept its record. One place for both
 * sides: {@link RecordValidator} applies it to every peer's record, and the agent's configuration to the
 * node's own flags, so a value the agent accepts is never one its peers refuse. Pure.
 */
public final class NodeRules {
  /** Longest DNS name (RFC 1123). */
  public static final int MAX_NAME_LENGTH = 253;
  private static final Pattern DNS_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final Cidr THIS_NETWORK = Cidr.parse("0.0.0.0/8");
  private static final Cidr RESERVED_RANGE = Cidr.parse("240.0.0.0/4");

  /** Why an address cannot be a node IP: no peer can route pod traffic to it. */
  public enum Unroutable {
    NOT_IPV4("is not IPv4"),
    THIS_NETWORK("is in 0.0.0.0/8, not a host address"),
    MULTICAST("is multicast"),
    RESERVED("is reserved or broadcast (240.0.0.0/4)"),
    LINK_LOCAL("is link-local"),
    LOOPBACK("is loopback");

    private final String problem;

    Unroutable(String problem) {
      this.problem = problem;
    }

    /** The reason as a predicate of the address ("is multicast"). */
    public String problem() {
      return problem;
    }
  }

  private NodeRules() {}

  /** A node name or hostname: 1..253 characters, a lowercase RFC 1123 subdomain. */
  public static boolean isDnsName(String name) {
    return !name.isEmpty() && name.length() <= MAX_NAME_LENGTH && DNS_NAME.matcher(name).matches();
  }

  /** Why {@code ip} cannot be a node IP, or empty when it can (loopback is for the caller to allow). */
  public static Optional<Unroutable> unroutable(InetAddress ip) {
    if (!(ip instanceof Inet4Address)) {
      return Optional.of(Unroutable.NOT_IPV4);
    }
    if (THIS_NETWORK.contains(ip)) {
      return Optional.of(Unroutable.THIS_NETWORK);
    }
    if (ip.isMulticastAddress()) {
      return Optional.of(Unroutable.MULTICAST);
    }
    if (RESERVED_RANGE.contains(ip)) {
      return Optional.of(Unroutable.RESERVED);
    }
    if (ip.isLinkLocalAddress()) {
      return Optional.of(Unroutable.LINK_LOCAL);
    }
    if (ip.isLoopbackAddress()) {
      return Optional.of(Unroutable.LOOPBACK);
    }
    return Optional.empty();
  }
}
