package io.weft.agent.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.weft.agent.converge.ReconcileObserver;
import io.weft.agent.converge.ReconcileReport;
import io.weft.agent.ipam.IpamHealth;
import io.weft.core.model.PeerPath;
import io.weft.core.model.PeerState;
import io.weft.core.plan.RecordValidator;
import io.weft.core.plan.RouteStatus;
import io.weft.core.plan.SkippedPeer;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.RejectedRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The agent's Prometheus metrics. Gauges read the latest mesh snapshot and reconcile report when
 * scraped; counters and histograms are fed by {@link #reconciled} (loop thread) and
 * {@link #meshChanged} (mesh thread).
 */
public final class AgentMetrics implements ReconcileObserver {
  private static final String[] SKIP_REASONS = {"unreachable", "invalid", "conflict"};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter reconciles;
  private final Histogram reconcileDuration;
  private final Counter routeChanges;
  private final Counter driftRepairs;
  private final Counter egressRepairs;
  private final Histogram convergenceLag;
  private final Counter rejected;
  private long rejectedUpTo = Long.MIN_VALUE;
  private Set<RejectedRecord> rejectedAtLast = Set.of();

  public AgentMetrics(Supplier<MeshSnapshot> mesh, Supplier<ReconcileReport> report) {
    reconciles = Counter.builder().name("weft_reconcile_runs_total")
        .help("Reconciles of the kernel's routes against the mesh, by result (ok, error)")
        .labelNames("result").register(registry);
    reconcileDuration = Histogram.builder().name("weft_reconcile_duration_seconds").unit(Unit.SECONDS)
        .help("How long one reconcile took (read kernel, plan, diff, apply)")
        .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
        .register(registry);
    routeChanges = Counter.builder().name("weft_route_changes_total")
        .help("Routes changed in the kernel, by operation (add, replace, delete)")
        .labelNames("op").register(registry);
    driftRepairs = Counter.builder().name("weft_drift_repairs_total")
        .help("Routes of ours restored after something else deleted or changed them")
        .register(registry);
    convergenceLag = Histogram.builder().name("weft_convergence_lag_seconds").unit(Unit.SECONDS)
        .help("From the input that asked for a route (peer record seen, drift) to the route in the kernel")
        .classicOnly().classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
        .register(registry);
    rejected = Counter.builder().name("weft_rejected_records_total")
        .help("Peer records refused by the validator, by reason code").labelNames("reason").register(registry);
    // Series exist from the start at zero, so rate() and alerts see them before the first event.
    for (String code : new String[] {RecordValidator.BAD_NAME, RecordValidator.BAD_HOSTNAME,
        RecordValidator.BAD_AGENT_VERSION, RecordValidator.BAD_NODE_IP, RecordValidator.SUBNET_OUTSIDE_CLUSTER,
        RecordValidator.SUBNET_WRONG_SIZE, RecordValidator.SUBNET_OVERLAP}) {
      rejected.labelValues(code);
    }
    reconciles.labelValues("ok");
    reconciles.labelValues("error");
    for (String op : new String[] {"add", "replace", "delete"}) {
      routeChanges.labelValues(op);
    }
    GaugeWithCallback.builder().name("weft_peers").help("Known peers by membership state (up, down)")
        .labelNames("state").callback(cb -> {
          MeshSnapshot m = mesh.get();
          long up = m.peers().values().stream().filter(p -> p.state() == PeerState.UP).count();
          cb.call(up, "up");
          cb.call(m.peers().size() - up, "down");
        }).register(registry);
    GaugeWithCallback.builder().name("weft_routes")
        .help("Desired routes against the kernel by state (installed, missing, foreign, stale)")
        .labelNames("state").callback(cb -> {
          ReconcileReport r = report.get();
          for (RouteStatus.State s : RouteStatus.State.values()) {
            cb.call(r.count(s), s.name().toLowerCase(Locale.ROOT));
          }
        }).register(registry);
    egressRepairs = Counter.builder().name("weft_egress_rule_repairs_total")
        .help("Times Weft rewrote its forwarding/masquerade rules after someone changed or deleted them")
        .register(registry);
    GaugeWithCallback.builder().name("weft_egress_rules_in_place")
        .help("1 when every iptables backend in use holds Weft's forwarding (and masquerade) rules")
        .callback(cb -> cb.call(report.get().egress().inPlace() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name("weft_peers_by_path")
        .help("Routed peers by path (direct: on-link next hop; vxlan: through the weft.vxlan tunnel)")
        .labelNames("path").callback(cb -> {
          Map<PeerPath, Long> counts = report.get().paths().values().stream()
              .collect(Collectors.groupingBy(p -> p, Collectors.counting()));
          for (PeerPath p : PeerPath.values()) {
            cb.call(counts.getOrDefault(p, 0L), p.label());
          }
        }).register(registry);
    GaugeWithCallback.builder().name("weft_skipped_peers")
        .help("Peers left without a route, by reason (unreachable: no path, e.g. --tunnel never across a router; invalid; conflict)")
        .labelNames("reason").callback(cb -> {
          Map<String, Integer> counts = new TreeMap<>();
          for (String reason : SKIP_REASONS) {
            counts.put(reason, 0);
          }
          for (SkippedPeer s : report.get().skipped()) {
            counts.merge(reasonLabel(s.reason()), 1, Integer::sum);
          }
          counts.forEach((k, v) -> cb.call(v, k));
        }).register(registry);
    GaugeWithCallback.builder().name("weft_converged")
        .help("1 when the kernel holds exactly the desired routes and the mesh view is complete")
        .callback(cb -> cb.call(report.get().converged() && mesh.get().converged() ? 1 : 0)).register(registry);
    GaugeWithCallback.builder().name("weft_mesh_members").help("Members in the current mesh view, this node included")
        .callback(cb -> cb.call(mesh.get().viewSize())).register(registry);
    GaugeWithCallback.builder().name("weft_route_apply_failures")
        .help("Reconciles in a row whose changes the kernel refused (0 when healthy); retried with backoff")
        .callback(cb -> cb.call(report.get().consecutiveFailures())).register(registry);
    CounterWithCallback.builder().name("weft_gossip_bytes_total")
        .help("Mesh traffic in bytes, by direction (in, out)").labelNames("direction").callback(cb -> {
          MeshSnapshot m = mesh.get();
          cb.call(m.bytesIn(), "in");
          cb.call(m.bytesOut(), "out");
        }).register(registry);
    // A secret mismatch or a stranger on the mesh port shows up here, not as a peer: make it alertable.
    CounterWithCallback.builder().name("weft_mesh_refused_connections_total")
        .help("Mesh connections refused by the handshake (wrong or missing secret, not a Weft peer)")
        .callback(cb -> cb.call(mesh.get().counters().refusedConnections())).register(registry);
    CounterWithCallback.builder().name("weft_mesh_malformed_messages_total")
        .help("Mesh messages dropped because they could not be decoded or did not match their sender")
        .callback(cb -> cb.call(mesh.get().counters().malformedDropped())).register(registry);
    // A member that holds the secret and says what it may not (relays, grants, forged counters, floods).
    CounterWithCallback.builder().name("weft_mesh_refused_messages_total")
        .help("Mesh messages refused for what their sender may not say, by reason (not_coordinator: a Sync or"
            + " grant from a member that is not the coordinator; over_cap: more than this node keeps; implausible:"
            + " a counter, time or expiry no honest node sends; bad_grant: a subnet outside the cluster CIDR; too_large: a"
            + " message larger than any honest member sends, dropped before it is reassembled; bad_signature: a"
            + " signed record, subnet request or forget that does not verify; key_conflict: one signed by a key other"
            + " than its node's; not_sender: a join or leave request in another member's name)")
        .labelNames("reason").callback(cb -> {
          Map<String, Long> byReason = mesh.get().counters().refusals().byReason();
          for (String reason : MeshSnapshot.Refusals.REASONS) {
            cb.call(byReason.getOrDefault(reason, 0L), reason);
          }
        }).register(registry);
    registerProtocolCounters(mesh);
  }

  /** What the mesh's failure detector and merge probe did: an operator sees flapping and splits here. */
  private void registerProtocolCounters(Supplier<MeshSnapshot> mesh) {
    CounterWithCallback.builder().name("weft_mesh_suspicions_total")
        .help("Ring failure detector suspicions of watched members, by outcome (raised: silent past the"
            + " suspect timeout; confirmed: left the view afterwards; refuted: heard from again)")
        .labelNames("outcome").callback(cb -> {
          MeshSnapshot.FailureDetection f = mesh.get().counters().failureDetection();
          cb.call(f.suspicionsRaised(), "raised");
          cb.call(f.suspicionsConfirmed(), "confirmed");
          cb.call(f.suspicionsRefuted(), "refuted");
        }).register(registry);
    CounterWithCallback.builder().name("weft_mesh_merge_probes_total")
        .help("Merge probes sent to candidates outside the view (and to members after a pause)")
        .callback(cb -> cb.call(mesh.get().counters().mergeDetection().probesSent())).register(registry);
    CounterWithCallback.builder().name("weft_mesh_merges_started_total")
        .help("Merges of another part of the mesh started by this node's merge probe")
        .callback(cb -> cb.call(mesh.get().counters().mergeDetection().mergesStarted())).register(registry);
    CounterWithCallback.builder().name("weft_mesh_rejoins_started_total")
        .help("Times this node left its view to join the mesh again (alone, or excluded without knowing it)")
        .callback(cb -> cb.call(mesh.get().counters().mergeDetection().rejoinsStarted())).register(registry);
    CounterWithCallback.builder().name("weft_mesh_pauses_detected_total")
        .help("Times this process found it had been paused (SIGSTOP, frozen VM) longer than failure detection waits")
        .callback(cb -> cb.call(mesh.get().counters().mergeDetection().pausesDetected())).register(registry);
  }

  /** The IPAM's gauges and counters, read from its health when scraped (it exists once the CNI endpoint does). */
  public void watchIpam(IpamHealth ipam) {
    CounterWithCallback.builder().name("weft_ipam_released_by_reconcile_total")
        .help("Pod addresses released because the pod was gone without a DEL (no host veth, namespace gone)")
        .callback(cb -> cb.call(ipam.releasedTotal())).register(registry);
    GaugeWithCallback.builder().name("weft_ipam_unknown_owner_addresses")
        .help("Addresses kept reserved because their allocation record is unreadable (owner unknown)")
        .callback(cb -> cb.call(ipam.unknownOwners().size())).register(registry);
    GaugeWithCallback.builder().name("weft_state_dir_writable")
        .help("1 when the state dir accepted the last write (0: every CNI ADD fails with code 5)")
        .callback(cb -> cb.call(ipam.storageWritable() ? 1 : 0)).register(registry);
  }

  private static String reasonLabel(String reason) {
    int colon = reason.indexOf(':');
    return colon > 0 ? reason.substring(0, colon) : "other";
  }

  @Override
  public void reconciled(ReconcileReport r) {
    if (r.self() == null) {
      return;
    }
    reconciles.labelValues(r.errors().isEmpty() ? "ok" : "error").inc();
    reconcileDuration.observe(r.durationNanos() / 1e9);
    routeChanges.labelValues("add").inc(r.added());
    routeChanges.labelValues("replace").inc(r.replaced());
    routeChanges.labelValues("delete").inc(r.deleted());
    driftRepairs.inc(r.driftRepairs());
    egressRepairs.inc(r.egress().repairs());
    r.lagsMillis().forEach(ms -> convergenceLag.observe(ms / 1000.0));
  }

  /** Counts records rejected since the previous snapshot; call on every mesh change (one thread). */
  public synchronized void meshChanged(MeshSnapshot snapshot) {
    List<RejectedRecord> list = snapshot.rejected();
    long newest = rejectedUpTo;
    Set<RejectedRecord> atNewest = new HashSet<>(rejectedAtLast);
    for (RejectedRecord x : list) {
      boolean isNew = x.atMillis() > rejectedUpTo || (x.atMillis() == rejectedUpTo && !rejectedAtLast.contains(x));
      if (isNew) {
        rejected.labelValues(x.code()).inc();
      }
      if (x.atMillis() > newest) {
        newest = x.atMillis();
        atNewest.clear();
      }
      if (x.atMillis() == newest) {
        atNewest.add(x);
      }
    }
    rejectedUpTo = newest;
    rejectedAtLast = Set.copyOf(atNewest);
  }

  public String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** Writes every metric in the Prometheus text format. */
  public void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }
}
