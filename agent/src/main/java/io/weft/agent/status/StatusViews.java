package io.weft.agent.status;

import java.util.List;

/**
 * The JSON shapes of the local API ({@code /v1/status}, {@code /v1/peers}, {@code /v1/routes}). Field names
 * are the contract with {@code meshctl -o json} and scripts; times are epoch milliseconds (0 = never).
 */
public final class StatusViews {
  private StatusViews() {}

  /** This node. */
  public record NodeView(String name, String hostname, String nodeIp, String podSubnet, String subnetSource,
      String mac, String agentVersion) {}

  /** {@code GET /v1/status}. */
  public record StatusView(NodeView node, String clusterCidr, boolean converged, boolean healthy, MeshInfo mesh,
      ReconcileInfo reconcile, AdoptionInfo adoption, TunnelInfo tunnel, EgressInfo egress, List<String> problems,
      List<String> warnings, List<PeerView> peers) {}

  /**
   * Pod traffic leaving the node: masquerade and the forwarding rules.
   *
   * @param state    {@code installed} (every backend in use holds Weft's rules), {@code missing}, or
   *                 {@code pending} before the first reconcile
   * @param backends the iptables backends in use
   * @param nftDrops other tools' nftables chains that drop forwarded pod traffic by default
   */
  public record EgressInfo(boolean masquerade, List<String> noMasqueradeCidrs, String state,
      List<FilterBackendView> backends, List<String> nftDrops) {}

  /**
   * One iptables backend as the agent found it.
   *
   * @param forwarding Weft's WEFT-FORWARD chain and its jump are in place
   * @param masquerade Weft's WEFT-POSTROUTING chain and its jump are in place
   * @param dropsFirst FORWARD rules of others before Weft's jump that drop or reject
   */
  public record FilterBackendView(String name, String forwardPolicy, boolean forwarding, boolean masquerade,
      List<String> dropsFirst) {}

  /**
   * The VXLAN tunnel: its settings and how many peers take each path.
   *
   * @param mode   {@code auto}, {@code always} or {@code never}
   * @param podMtu this node's pod MTU (0 before the first reconcile)
   */
  public record TunnelInfo(String mode, String device, int vni, int port, int directPeers, int vxlanPeers,
      int podMtu) {}

  /** Membership as this node sees it. */
  public record MeshInfo(String state, int size, int peersUp, int peersDown, String coordinator,
      List<String> seeds, String message, long bytesIn, long bytesOut) {}

  /** The latest reconcile. */
  public record ReconcileInfo(long number, long atMillis, double durationMillis, String trigger, int added,
      int replaced, int deleted, List<String> errors, int consecutiveFailures, long nextRetryAtMillis,
      long installed, long missing, long foreign, long stale) {}

  /** The start-up adoption of existing routes. */
  public record AdoptionInfo(boolean active, long untilMillis, long endedAtMillis, String endReason, int kept) {}

  /**
   * One peer. {@code route}: {@code installed}, {@code missing}, {@code foreign}, {@code none} (see
   * {@code reason}) or {@code removed} (down longer than the peer grace).
   */
  public record PeerView(String name, String hostname, String nodeIp, String podSubnet, String state, String route,
      String reason, long lastSeenMillis, long downSinceMillis, long routeKeptUntilMillis, String mac,
      String agentVersion, String path) {}

  /** {@code GET /v1/peers}. */
  public record PeersView(List<PeerView> peers) {}

  /** One route row: {@code installed}, {@code missing}, {@code foreign} or {@code stale}. */
  public record RouteView(String destination, String type, String gateway, String device, String state,
      String peer, String detail) {}

  /** {@code GET /v1/routes}. */
  public record RoutesView(List<RouteView> routes, AdoptionInfo adoption) {}
}
