package io.weft.core.plan;

import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Anti-hijack checks for a record received from a peer, before it may steer any route. A record that
 * passes cannot point a route outside the pod network, take this node's or another live node's
 * subnet, or send traffic to a non-unicast next hop. Pure; rules are checked in the order below and the
 * first broken one is reported.
 *
 * <table>
 *   <caption>Rules and their codes</caption>
 *   <tr><td>{@value #BAD_NAME}</td><td>name: 1..253 chars, lowercase RFC 1123 subdomain; not this node's name</td></tr>
 *   <tr><td>{@value #BAD_HOSTNAME}</td><td>hostname: same form</td></tr>
 *   <tr><td>{@value #BAD_AGENT_VERSION}</td><td>agent version: 1..64 printable ASCII chars</td></tr>
 *   <tr><td>{@value #BAD_NODE_IP}</td><td>node IP: unicast IPv4; not 0.0.0.0/8, multicast, 240.0.0.0/4
 *       (reserved, holds 255.255.255.255), link-local, loopback (unless allowed), inside the cluster
 *       CIDR, or this node's IP</td></tr>
 *   <tr><td>{@value #SUBNET_OUTSIDE_CLUSTER}</td><td>pod subnet inside the cluster CIDR</td></tr>
 *   <tr><td>{@value #SUBNET_WRONG_SIZE}</td><td>pod subnet exactly of the configured size</td></tr>
 *   <tr><td>{@value #SUBNET_OVERLAP}</td><td>pod subnet overlaps neither this node's nor another live
 *       owner's (the sender's own entry excepted)</td></tr>
 * </table>
 *
 * <p>A {@value #SUBNET_OVERLAP} rejection means "do not route", not "ignore": two nodes that joined at
 * once legitimately overlap until {@link SubnetAllocator#resolve} moves one, so the caller must still
 * feed that record's claim to the allocator.
 */
public final class RecordValidator {
  public static final String BAD_NAME = "bad_name";
  public static final String BAD_HOSTNAME = "bad_hostname";
  public static final String BAD_AGENT_VERSION = "bad_agent_version";
  public static final String BAD_NODE_IP = "bad_node_ip";
  public static final String SUBNET_OUTSIDE_CLUSTER = "subnet_outside_cluster";
  public static final String SUBNET_WRONG_SIZE = "subnet_wrong_size";
  public static final String SUBNET_OVERLAP = "subnet_overlap";

  static final int MAX_NAME_LENGTH = NodeRules.MAX_NAME_LENGTH;
  static final int MAX_AGENT_VERSION_LENGTH = 64;
  private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x21-\\x7e]+");

  /** Checks {@code candidate} against {@code context}; never throws for any well-formed record. */
  public Verdict validate(NodeRecord candidate, ValidationContext context) {
    return checkName(candidate.name(), "node name", BAD_NAME)
        .or(() -> candidate.name().equals(context.self().name())
            ? Optional.of(Verdict.reject(BAD_NAME, "node name " + candidate.name() + " is this node's own name"))
            : Optional.empty())
        .or(() -> checkName(candidate.hostname(), "hostname of " + candidate.name(), BAD_HOSTNAME))
        .or(() -> checkAgentVersion(candidate))
        .or(() -> checkNodeIp(candidate, context))
        .or(() -> checkSubnet(candidate, context))
        .orElse(Verdict.accept());
  }

  private static Optional<Verdict> checkName(String name, String what, String code) {
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      return Optional.of(Verdict.reject(code, what + " has " + name.length() + " characters, want 1.."
          + MAX_NAME_LENGTH));
    }
    if (!NodeRules.isDnsName(name)) {
      return Optional.of(Verdict.reject(code, what + " '" + printable(name)
          + "' is not a lowercase DNS name (a-z, 0-9, '-', '.'; labels start and end alphanumeric)"));
    }
    return Optional.empty();
  }

  private static Optional<Verdict> checkAgentVersion(NodeRecord r) {
    String v = r.agentVersion();
    if (v.length() > MAX_AGENT_VERSION_LENGTH || !PRINTABLE_ASCII.matcher(v).matches()) {
      return Optional.of(Verdict.reject(BAD_AGENT_VERSION, "agent version of " + r.name() + " '"
          + printable(v) + "' is not 1.." + MAX_AGENT_VERSION_LENGTH + " printable ASCII characters"));
    }
    return Optional.empty();
  }

  private static Optional<Verdict> checkNodeIp(NodeRecord r, ValidationContext context) {
    InetAddress ip = r.nodeIp();
    Optional<String> problem = NodeRules.unroutable(ip)
        .filter(why -> why != NodeRules.Unroutable.LOOPBACK || !context.allowLoopback())
        .map(NodeRules.Unroutable::problem);
    if (problem.isEmpty() && context.clusterCidr().contains(ip)) {
      problem = Optional.of("is inside the cluster CIDR " + context.clusterCidr());
    } else if (problem.isEmpty() && ip.equals(context.self().nodeIp())) {
      problem = Optional.of("is this node's own IP");
    }
    return problem.map(p -> Verdict.reject(BAD_NODE_IP, "node IP " + ip.getHostAddress() + " of " + r.name() + " " + p));
  }

  private static Optional<Verdict> checkSubnet(NodeRecord r, ValidationContext context) {
    Cidr subnet = r.podSubnet();
    if (!context.clusterCidr().contains(subnet)) {
      return Optional.of(Verdict.reject(SUBNET_OUTSIDE_CLUSTER, "pod subnet " + subnet + " of " + r.name()
          + " is outside the cluster CIDR " + context.clusterCidr()));
    }
    if (subnet.prefixLength() != context.subnetPrefixLength()) {
      return Optional.of(Verdict.reject(SUBNET_WRONG_SIZE, "pod subnet " + subnet + " of " + r.name()
          + " is not a /" + context.subnetPrefixLength()));
    }
    return SubnetOverlap.first(r.name(), subnet, context.self().name(), context.self().podSubnet(),
        context.liveOwners()).map(o -> Verdict.reject(SUBNET_OVERLAP, "pod subnet " + subnet + " of " + r.name()
            + " overlaps " + o.describe()));
  }

  /** Peer-supplied text is quoted in logs: escape anything that could forge a log line. */
  private static String printable(String text) {
    StringBuilder b = new StringBuilder();
    text.codePoints().limit(80).forEach(c -> {
      if (c >= 0x20 && c < 0x7f) {
        b.append((char) c);
      } else {
        b.append(String.format("\\u%04x", c));
      }
    });
    return text.codePointCount(0, text.length()) > 80 ? b + "..." : b.toString();
  }
}
