package io.weft.agent.status;

import io.weft.agent.converge.EgressSettings;
import io.weft.agent.converge.ReconcileReport;
import io.weft.agent.converge.TunnelSettings;
import io.weft.agent.status.StatusViews.AdoptionInfo;
import io.weft.agent.status.StatusViews.EgressInfo;
import io.weft.agent.status.StatusViews.FilterBackendView;
import io.weft.agent.status.StatusViews.MeshInfo;
import io.weft.agent.status.StatusViews.NodeView;
import io.weft.agent.status.StatusViews.PeerView;
import io.weft.agent.status.StatusViews.ReconcileInfo;
import io.weft.agent.status.StatusViews.RouteView;
import io.weft.agent.status.StatusViews.RoutesView;
import io.weft.agent.status.StatusViews.StatusView;
import io.weft.agent.status.StatusViews.TunnelInfo;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerPath;
import io.weft.core.model.PeerState;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.plan.RouteStatus;
import io.weft.core.plan.SkippedPeer;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Explains the node: joins the mesh's snapshot and the loop's latest report into the API's views.
 * Pure reads of immutable snapshots; safe on any thread.
 */
public final class StatusService {
  /** Rejected records older than this no longer make the node degraded. */
  private static final Duration REJECTED_RECENT = Duration.ofMinutes(5);

  private final Supplier<MeshSnapshot> mesh;
  private final Supplier<ReconcileReport> report;
  private final Supplier<List<String>> hostProblems;
  private final List<String> warnings;
  private final Cidr clusterCidr;
  private final Duration peerGrace;
  private final TunnelSettings tunnel;
  private final EgressSettings egress;
  private final LongSupplier nowMillis;

  /**
   * @param mesh         the mesh's current snapshot
   * @param report       the loop's latest reconcile
   * @param hostProblems node problems found at preflight (e.g. strict rp_filter), each with its fix
   * @param warnings     what is always said about this configuration (an open mesh); not problems
   * @param tunnel       the tunnel's settings
   * @param egress       masquerade settings
   */
  public StatusService(Supplier<MeshSnapshot> mesh, Supplier<ReconcileReport> report,
      Supplier<List<String>> hostProblems, List<String> warnings, Cidr clusterCidr, Duration peerGrace, TunnelSettings tunnel,
      EgressSettings egress, LongSupplier nowMillis) {
    this.tunnel = tunnel;
    this.egress = egress;
    this.mesh = mesh;
    this.report = report;
    this.hostProblems = hostProblems;
    this.warnings = List.copyOf(warnings);
    this.clusterCidr = clusterCidr;
    this.peerGrace = peerGrace;
    this.nowMillis = nowMillis;
  }

  public StatusView status() {
    MeshSnapshot m = mesh.get();
    ReconcileReport r = report.get();
    List<PeerView> peers = peers(m, r);
    List<String> problems = problems(m, r, peers);
    boolean converged = r.converged() && m.converged();
    NodeRecord self = m.self() != null ? m.self() : r.self();
    return new StatusView(node(self), clusterCidr.toString(), converged, problems.isEmpty(), meshInfo(m),
        reconcileInfo(r), adoptionInfo(r), tunnelInfo(r), egressInfo(r), problems, warnings, peers);
  }

  private EgressInfo egressInfo(ReconcileReport r) {
    String state = r.self() == null ? "pending" : r.egress().inPlace() ? "installed" : "missing";
    List<FilterBackendView> backends = r.egress().backends().stream()
        .map(b -> new FilterBackendView(b.name(), b.forwardPolicy(), b.forward(), b.nat(), b.dropsFirst())).toList();
    return new EgressInfo(egress.masquerade(), egress.noMasquerade().stream().map(Cidr::toString).toList(), state,
        backends, r.egress().nftDrops());
  }

  private TunnelInfo tunnelInfo(ReconcileReport r) {
    int vxlan = (int) r.paths().values().stream().filter(p -> p == PeerPath.VXLAN).count();
    return new TunnelInfo(tunnel.mode().flagValue(), tunnel.device(), tunnel.vni(), tunnel.port(),
        r.paths().size() - vxlan, vxlan, r.podMtu());
  }

  public StatusViews.PeersView peers() {
    return new StatusViews.PeersView(peers(mesh.get(), report.get()));
  }

  public RoutesView routes() {
    ReconcileReport r = report.get();
    MeshSnapshot m = mesh.get();
    List<RouteView> rows = new ArrayList<>();
    for (RouteStatus row : r.routes()) {
      Route shown = row.desired() != null ? row.desired() : row.actual();
      String peer = m.peers().values().stream()
          .filter(p -> p.record().podSubnet().equals(row.key().destination()))
          .map(Peer::name).findFirst().orElse(shown.type() == Route.Type.UNREACHABLE ? "(cluster)" : "");
      rows.add(new RouteView(row.key().destination().toString(), shown.type().name().toLowerCase(Locale.ROOT),
          shown.gateway() == null ? null : shown.gateway().getHostAddress(), shown.device(),
          row.state().name().toLowerCase(Locale.ROOT), peer, routeDetail(row, r)));
    }
    return new RoutesView(rows, adoptionInfo(r));
  }

  private static String routeDetail(RouteStatus row, ReconcileReport r) {
    return switch (row.state()) {
      case INSTALLED -> "";
      case MISSING -> row.actual() == null ? "not in the kernel" : "kernel has " + row.actual();
      case FOREIGN -> "held by " + row.actual() + "; left alone";
      case STALE -> r.adoption().kept().contains(row.actual())
          ? "adopted at start; removed when the mesh view settles unless a peer claims it"
          : "no peer claims it; being removed";
    };
  }

  private List<PeerView> peers(MeshSnapshot m, ReconcileReport r) {
    long now = nowMillis.getAsLong();
    List<PeerView> views = new ArrayList<>();
    List<Peer> sorted = m.peers().values().stream().sorted(Comparator.comparing(Peer::name)).toList();
    for (Peer p : sorted) {
      NodeRecord rec = p.record();
      Optional<SkippedPeer> skipped = r.skipped().stream().filter(s -> s.nodeName().equals(p.name())).findFirst();
      PeerPath path = r.paths().get(p.name());
      Optional<RouteStatus> row = path == null ? Optional.empty() : r.routes().stream()
          .filter(s -> s.desired() != null && s.key().destination().equals(rec.podSubnet()))
          .findFirst();
      boolean down = p.state() == PeerState.DOWN;
      long keptUntil = down ? p.downSinceMillis() + peerGrace.toMillis() : 0;
      String route;
      String reason = "";
      if (skipped.isPresent()) {
        route = "none";
        reason = skipped.get().reason();
      } else if (row.isPresent()) {
        route = row.get().state().name().toLowerCase(Locale.ROOT);
        if (row.get().state() == RouteStatus.State.FOREIGN) {
          reason = "a foreign route " + row.get().actual() + " holds the prefix";
        }
      } else if (down && keptUntil <= now) {
        route = "removed";
        reason = "down longer than the peer grace (" + peerGrace.toSeconds() + "s)";
      } else if (m.conflicts().stream().anyMatch(c -> c.losers().contains(p.name()))) {
        route = "none";
        reason = "conflict: lost subnet " + rec.podSubnet() + " to another node";
      } else {
        route = "pending";
      }
      if (down && keptUntil > now && reason.isEmpty()) {
        reason = "down; route kept until " + Instant.ofEpochMilli(keptUntil) + " (peer grace)";
      }
      views.add(new PeerView(p.name(), rec.hostname(), ip(rec.nodeIp()), rec.podSubnet().toString(),
          p.state().name().toLowerCase(Locale.ROOT), route, reason, p.lastSeenMillis(), p.downSinceMillis(),
          keptUntil, rec.mac().toString(), rec.agentVersion(), path == null ? null : path.label()));
    }
    return views;
  }

  private List<String> problems(MeshSnapshot m, ReconcileReport r, List<PeerView> peers) {
    long now = nowMillis.getAsLong();
    List<String> problems = new ArrayList<>();
    SeedStatus seeds = m.seeds();
    if (seeds.state() != SeedStatus.State.JOINED) {
      problems.add("mesh: " + seeds.state().name().toLowerCase(Locale.ROOT) + ": " + seeds.message());
    }
    // Every member shows each conflict; the refused node's line says so first, as it is the one to act.
    m.conflicts().forEach(c -> problems.add((m.lostConflicts().contains(c)
        ? "this node is refused its pod subnet " + c.subnet() + ": " : "subnet conflict: ") + c.reason()));
    m.duplicates().forEach(d -> problems.add("duplicate " + d.kind().name().toLowerCase(Locale.ROOT) + ": " + d.reason()));
    List<MeshSnapshot.RejectedRecord> recent = m.rejected().stream()
        .filter(x -> now - x.atMillis() < REJECTED_RECENT.toMillis()).toList();
    if (!recent.isEmpty()) {
      MeshSnapshot.RejectedRecord x = recent.get(0);
      problems.add(recent.size() + " peer record(s) rejected in the last " + REJECTED_RECENT.toMinutes()
          + " min (latest: " + x.nodeName() + " from " + x.from() + ": " + x.reason() + ")");
    }
    MeshSnapshot.Refusals refused = m.counters().refusals();
    if (refused.latest() != null && now - refused.latest().atMillis() < REJECTED_RECENT.toMillis()) {
      MeshSnapshot.Refusal x = refused.latest();
      problems.add(refused.total() + " mesh message(s) refused since start (latest, " + x.reason() + ", from "
          + x.from() + ": " + x.why() + ")");
    }
    r.errors().forEach(e -> problems.add(e.startsWith(ReconcileReport.TUNNEL_ERROR)
        || e.startsWith(ReconcileReport.EGRESS_ERROR) ? e : "route: " + e));
    r.egress().nftDrops().forEach(chain -> problems.add("egress: nftables chain " + chain + " drops forwarded"
        + " traffic by default and Weft's rules cannot override it: accept the pod network there (e.g. nft insert"
        + " rule " + chain + " ip saddr " + clusterCidr + " accept; and the same with ip daddr), or trust it in"
        + " that tool's own settings"));
    if (r.self() != null && !r.egress().inPlace() && r.errors().isEmpty()) {
      problems.add("egress: Weft's packet filter rules are not in place (pod traffic may be dropped by a FORWARD"
          + " policy, and pods cannot reach the world); see the agent's log");
    }
    for (var b : r.egress().backends()) {
      for (String drop : b.dropsFirst()) {
        problems.add("egress: in iptables-" + b.name() + ", '" + drop + "' comes before Weft's rules and may drop pod"
            + " traffic; move it after '-j WEFT-FORWARD' or narrow it");
      }
    }
    r.conflicts().forEach(c -> problems.add("route conflict: " + c.desired().destination() + " is held by the foreign route "
        + c.foreign() + "; Weft leaves it alone (remove it or move the peer)"));
    for (PeerView p : peers) {
      if (p.route().equals("none")) {
        problems.add("peer " + p.name() + ": " + p.reason());
      } else if (p.state().equals("down") && !p.route().equals("removed")) {
        problems.add("peer " + p.name() + " is down; its route is kept until " + Instant.ofEpochMilli(p.routeKeptUntilMillis()));
      }
    }
    problems.addAll(hostProblems.get());
    return problems;
  }

  private static NodeView node(NodeRecord self) {
    if (self == null) {
      return new NodeView(null, null, null, null, null, null, null);
    }
    return new NodeView(self.name(), self.hostname(), ip(self.nodeIp()), self.podSubnet().toString(),
        self.subnetSource().name().toLowerCase(Locale.ROOT), self.mac().toString(), self.agentVersion());
  }

  private static MeshInfo meshInfo(MeshSnapshot m) {
    int up = m.upPeers().size();
    return new MeshInfo(m.seeds().state().name().toLowerCase(Locale.ROOT), m.viewSize(), up,
        m.peers().size() - up, m.coordinator(), m.seeds().candidates(), m.seeds().message(), m.bytesIn(), m.bytesOut());
  }

  private static ReconcileInfo reconcileInfo(ReconcileReport r) {
    return new ReconcileInfo(r.number(), r.startedAtMillis(), r.durationNanos() / 1e6, r.trigger(), r.added(),
        r.replaced(), r.deleted(), r.errors(), r.consecutiveFailures(), r.nextRetryAtMillis(),
        r.count(RouteStatus.State.INSTALLED), r.count(RouteStatus.State.MISSING), r.count(RouteStatus.State.FOREIGN),
        r.count(RouteStatus.State.STALE));
  }

  private static AdoptionInfo adoptionInfo(ReconcileReport r) {
    ReconcileReport.Adoption a = r.adoption();
    return new AdoptionInfo(a.active(), a.untilMillis(), a.endedAtMillis(), a.endReason(), a.kept().size());
  }

  private static String ip(InetAddress a) {
    return a == null ? null : a.getHostAddress();
  }
}
