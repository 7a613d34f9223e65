package io.weft.gossip;

import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.plan.Plausibility;
import io.weft.gossip.Wire.Agreed;
import io.weft.gossip.Wire.AllocGrant;
import io.weft.gossip.Wire.AllocRequest;
import io.weft.gossip.Wire.Announce;
import io.weft.gossip.Wire.Forget;
import io.weft.gossip.Wire.Msg;
import io.weft.gossip.Wire.Reservation;
import io.weft.gossip.Wire.Sync;
import io.weft.gossip.Wire.SyncEntry;
import io.weft.gossip.Wire.SyncRequest;
import io.weft.gossip.Wire.Tombstone;
import io.weft.gossip.trust.KeyBindingStore;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's application messages in and the records they carry: decodes each message, checks that an
 * Announce or a subnet request comes from the node it names (the sender's name is in its address,
 * {@link NodeAddress}), that a Sync or the agreed subnet holdings come from a member that may relay
 * ({@link MeshLink#mayRelay}) and a grant from the coordinator, holds every counter, time, expiry and
 * subnet to core's {@link Plausibility} (refused or clamped), stores what is newer in {@link MeshState}
 * (which caps what it keeps), answers SYNC requests, applies tombstones, and hands subnet requests and
 * grants to the {@link SubnetAgreement}. Also the sending side of {@code forget} and, on the coordinator,
 * of the holdings. What it refuses is counted in {@link MessageRefusals}. Owned by the event loop; the
 * counters are read from any thread.
 */
final class RecordExchange {
  private static final Logger log = LoggerFactory.getLogger(RecordExchange.class);

  private final Wire wire;
  private final MeshState state;
  private final SubnetAgreement agreement;
  private final PeerMemory peers;
  /** The name → key bindings: a forgotten node's goes, so a reinstalled node with a new key is bound anew. */
  private final KeyBindingStore bindings;
  private final MeshLink link;
  private final Runnable changed;
  private final String localName;
  private final Duration tombstoneTime;
  private final Cidr clusterCidr;
  private final int subnetPrefix;
  private final Plausibility plausibility;
  private final MessageRefusals refusals;
  private final AtomicLong messagesIn = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  /** The holdings this node last multicast as coordinator. */
  private Set<Holding> sharedHoldings = Set.of();

  RecordExchange(Wire wire, MeshState state, SubnetAgreement agreement, PeerMemory peers, KeyBindingStore bindings,
      MeshLink link, Runnable changed, String localName, MeshConfig config) {
    this.wire = wire;
    this.state = state;
    this.agreement = agreement;
    this.peers = peers;
    this.bindings = bindings;
    this.link = link;
    this.changed = changed;
    this.localName = localName;
    this.tombstoneTime = config.timing().tombstoneTime();
    this.clusterCidr = config.clusterCidr();
    this.subnetPrefix = config.subnetPrefix();
    this.plausibility = new Plausibility(Plausibility.CLOCK_SKEW, tombstoneTime, SubnetAgreement.RESERVATION_TIME);
    this.refusals = new MessageRefusals(localName);
  }

  long messagesIn() {
    return messagesIn.get();
  }

  long malformedDropped() {
    return malformed.get();
  }

  MeshSnapshot.Refusals refusals() {
    return refusals.counts();
  }

  /** One message as JGroups delivered it ({@code data} null when it had no byte payload). */
  void received(Address src, byte[] data, int off, int len) {
    messagesIn.incrementAndGet();
    if (data == null) {
      dropMalformed(src, "message without a byte payload");
      return;
    }
    long now = System.currentTimeMillis();
    Msg msg;
    try {
      msg = wire.decode(data, off, len);
    } catch (Wire.OverCapException e) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, e.getMessage(), now);
      return;
    } catch (Wire.MalformedMessageException e) {
      dropMalformed(src, e.getMessage());
      return;
    }
    if (msg instanceof Announce a) {
      if (!fromNode(src, a.announcement().name(), "announced a record")) {
        return;
      }
      offer(src, a.announcement(), now);
    } else if (msg instanceof SyncRequest) {
      link.send(src, state.sync(now));
    } else if (msg instanceof Sync s) {
      if (!link.mayRelay(src)) {
        notCoordinator(src, "a Sync of " + s.entries().size() + " records", now);
        return;
      }
      synced(src, s, now);
    } else if (msg instanceof AllocRequest r) {
      if (fromNode(src, r.name(), "asked for a subnet") && plausible(src, plausibility.timestamp(r.preferredClaimedAt(),
          now).map(p -> "subnet request of " + r.name() + ": claimed-at time " + p), now)) {
        agreement.requested(r);
      }
    } else if (msg instanceof AllocGrant g) {
      granted(src, g.reservation(), now);
    } else if (msg instanceof Forget f) {
      forgotten(src, f.tombstone(), now);
    } else if (msg instanceof Agreed a) {
      agreed(src, a.holdings(), now);
    }
  }

  /** On the coordinator, after each derive: the holdings it agreed go to every member when they changed. */
  void shareHoldings(Set<Holding> holdings) {
    if (link.isCoordinator() && !holdings.equals(sharedHoldings)) {
      sharedHoldings = holdings;
      link.multicast(new Agreed(List.copyOf(holdings)));
    }
  }

  /**
   * The coordinator's agreed holdings. Who may say them is who may relay a Sync, which carries holdings
   * too: the coordinator, or just after a merge a merged part's (whose last word can cross the view
   * change); the subnets must be the cluster's pod subnets.
   */
  private void agreed(Address src, List<Holding> holdings, long now) {
    if (!link.mayRelay(src)) {
      notCoordinator(src, "subnet holdings of " + holdings.size() + " nodes", now);
      return;
    }
    PlausibleHoldings checked = plausibleHoldings(holdings);
    checked.implausible().ifPresent(why -> refuse(MessageRefusals.Reason.IMPLAUSIBLE, src,
        "part of the subnet holdings: " + why, now));
    MeshState.HoldingsTaken taken = state.agreedByCoordinator(checked.plausible());
    if (taken.full() > 0) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, "part of the subnet holdings: " + taken.full() + " holdings this"
          + " member has no room for (it keeps at most " + state.cap() + ")", now);
    }
    if (taken.added()) {
      changed.run();
    }
  }

  /**
   * A message's holdings split into those of the cluster's pod subnets and, if any was not, why the first
   * of the others is implausible.
   */
  private record PlausibleHoldings(List<Holding> plausible, Optional<String> implausible) {}

  private PlausibleHoldings plausibleHoldings(List<Holding> holdings) {
    List<Holding> plausible = new ArrayList<>(holdings.size());
    Optional<String> implausible = Optional.empty();
    for (Holding h : holdings) {
      Optional<String> why = Plausibility.grant(h.subnet(), clusterCidr, subnetPrefix);
      if (why.isPresent()) {
        implausible = implausible.or(() -> why.map(p -> "holding of " + h.subnet() + " by " + h.nodeName() + ": " + p));
      } else {
        plausible.add(h);
      }
    }
    return new PlausibleHoldings(plausible, implausible);
  }

  /** Removes a node for good, here and mesh-wide. */
  void forget(String nodeName) {
    if (nodeName.equals(localName)) {
      log.warn("refusing to forget this node itself ({}); stop its agent and forget it from another node", nodeName);
      return;
    }
    stopExpecting(nodeName);
    bindings.forget(nodeName);
    Tombstone t = state.forget(nodeName, System.currentTimeMillis());
    log.info("forgetting node {} mesh-wide (incarnation {} and older tombstoned for {})", nodeName,
        t.incarnation(), tombstoneTime);
    link.multicast(new Forget(t));
    changed.run();
  }

  private void forgotten(Address src, Tombstone forged, long now) {
    Optional<Tombstone> plausible = plausibleTombstone(src, forged, now);
    if (plausible.isEmpty()) {
      return;
    }
    Tombstone t = plausible.get();
    if (t.name().equals(localName)) {
      log.error("{}: this node was forgotten mesh-wide (meshctl forget) by {}; peers ignore it until its agent"
          + " restarts", localName, src);
      return;
    }
    stopExpecting(t.name());
    // Any member may forget a node (it holds the secret); every node says who did, and the node's
    // key binding goes with it, so a reinstalled node with a new key can be bound on first sight.
    log.warn("{}: node {} forgotten mesh-wide by {} (meshctl forget)", localName, t.name(),
        src == null ? "?" : NodeAddress.nodeName(src).orElse(String.valueOf(src)));
    bindings.forget(t.name());
    MeshState.Tombstoned done = state.applyTombstone(t, now);
    if (done == MeshState.Tombstoned.FULL) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, "a forget of " + t.name() + ": this member holds "
          + state.cap() + " tombstones already", now);
    } else if (done == MeshState.Tombstoned.REMOVED) {
      changed.run();
    }
  }

  /**
   * A relay's records, tombstones, reservations and subnet holdings (what its part of the mesh agreed: a
   * joiner learns who the incumbents are, each half of a partition the other's); what is implausible or
   * over a cap is left out, counted once.
   */
  private void synced(Address src, Sync s, long now) {
    boolean any = false;
    int full = 0;
    Optional<String> implausible = Optional.empty();
    for (Tombstone forged : s.tombstones()) {
      Optional<String> why = plausibility.incarnation(forged.incarnation(), now);
      if (why.isPresent()) {
        implausible = implausible.or(() -> why.map(p -> "tombstone of " + forged.name() + ": incarnation " + p));
        continue;
      }
      Tombstone t = clamped(forged, now);
      stopExpecting(t.name());
      MeshState.Tombstoned done = state.applyTombstone(t, now);
      any |= done == MeshState.Tombstoned.REMOVED;
      full += done == MeshState.Tombstoned.FULL ? 1 : 0;
    }
    for (SyncEntry e : s.entries()) {
      Optional<String> why = plausibility.record(e.announcement().record(), e.announcement().claimedAtMillis(), now)
          .or(() -> e.down() ? plausibility.timestamp(e.downSinceMillis(), now).map(p -> "down-since time " + p)
              : Optional.empty());
      if (why.isPresent()) {
        implausible = implausible.or(() -> why);
        continue;
      }
      MeshState.Offer o = state.offerSynced(e, now);
      if (o == MeshState.Offer.CHANGED) {
        any = true;
      } else if (o == MeshState.Offer.SELF_NEWER) {
        agreement.reincarnate(e.announcement());
      } else if (o == MeshState.Offer.FULL) {
        full++;
      }
    }
    for (Reservation r : s.reservations()) {
      Optional<String> why = plausibility.timestamp(r.claimedAtMillis(), now)
          .map(p -> "reservation of " + r.subnet() + " for " + r.name() + ": claimed-at time " + p)
          .or(() -> Plausibility.grant(r.subnet(), clusterCidr, subnetPrefix).map(p -> "reservation for " + r.name() + ": " + p));
      if (why.isPresent()) {
        implausible = implausible.or(() -> why);
        continue;
      }
      full += state.reserve(clamped(r, now), now) == MeshState.Reserved.FULL ? 1 : 0;
    }
    // The sender may relay (checked before), so it speaks for its part of the mesh: its holdings are what
    // that part agreed, and a tie with this part's is settled by core's tie rule at the next derive.
    PlausibleHoldings holdings = plausibleHoldings(s.holdings());
    implausible = implausible.or(holdings::implausible);
    MeshState.HoldingsTaken taken = state.learnHoldings(holdings.plausible());
    any |= taken.added();
    full += taken.full();
    implausible.ifPresent(why -> refuse(MessageRefusals.Reason.IMPLAUSIBLE, src, "part of a Sync: " + why, now));
    if (full > 0) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, "part of a Sync: " + full + " entries about nodes this member"
          + " has no room for (it keeps at most " + state.cap() + " records, tombstones, reservations and holdings"
          + " each)", now);
    }
    if (any) {
      changed.run();
    }
  }

  /** A grant: only the coordinator's, and only a pod subnet of the cluster. */
  private void granted(Address src, Reservation r, long now) {
    if (src == null || !src.equals(link.coordinator())) {
      notCoordinator(src, "a grant of " + r.subnet() + " to " + r.name(), now);
      return;
    }
    Optional<String> bad = Plausibility.grant(r.subnet(), clusterCidr, subnetPrefix);
    if (bad.isPresent()) {
      refuse(MessageRefusals.Reason.BAD_GRANT, src, "a grant to " + r.name() + ": " + bad.get(), now);
      return;
    }
    if (plausible(src, plausibility.timestamp(r.claimedAtMillis(), now)
        .map(p -> "a grant to " + r.name() + ": claimed-at time " + p), now)
        && agreement.granted(clamped(r, now)) == MeshState.Reserved.FULL) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, "a grant to " + r.name() + ": this member holds "
          + state.cap() + " reservations already", now);
    }
  }

  private void offer(Address src, Announcement a, long now) {
    if (!plausible(src, plausibility.record(a.record(), a.claimedAtMillis(), now), now)) {
      return;
    }
    MeshState.Offer o = state.offer(a, now);
    if (o == MeshState.Offer.CHANGED) {
      changed.run();
    } else if (o == MeshState.Offer.SELF_NEWER) {
      agreement.reincarnate(a);
    } else if (o == MeshState.Offer.FULL) {
      refuse(MessageRefusals.Reason.OVER_CAP, src, "the record of " + a.name() + ": this member holds "
          + state.cap() + " records already", now);
    }
  }

  /** A tombstone whose incarnation is plausible, its expiry clamped; empty (refused, counted) otherwise. */
  private Optional<Tombstone> plausibleTombstone(Address src, Tombstone t, long now) {
    return plausible(src, plausibility.incarnation(t.incarnation(), now)
        .map(p -> "a forget of " + t.name() + ": incarnation " + p), now) ? Optional.of(clamped(t, now)) : Optional.empty();
  }

  private Tombstone clamped(Tombstone t, long now) {
    return new Tombstone(t.name(), t.incarnation(), plausibility.tombstoneUntil(t.untilMillis(), now));
  }

  private Reservation clamped(Reservation r, long now) {
    return new Reservation(r.name(), r.subnet(), r.claimedAtMillis(), plausibility.reservationUntil(r.untilMillis(), now));
  }

  /** True when there is no {@code problem}; else it is counted and reported as an implausible message. */
  private boolean plausible(Address src, Optional<String> problem, long now) {
    problem.ifPresent(p -> refuse(MessageRefusals.Reason.IMPLAUSIBLE, src, p, now));
    return problem.isEmpty();
  }

  /** Whether a message about {@code node} came from that node itself; dropped as malformed if not. */
  private boolean fromNode(Address src, String node, String what) {
    Optional<String> sender = src == null ? Optional.empty() : NodeAddress.nodeName(src);
    if (sender.isPresent() && !sender.get().equals(node)) {
      dropMalformed(src, "member " + sender.get() + " " + what + " for " + node);
      return false;
    }
    return true;
  }

  /**
   * A relay or grant from a sender that may not send it: refused and counted when the sender is a member of
   * this view; from outside the view (another part of the mesh, whose coordinator shares what it knows as a
   * merge begins, before this member installed the merge view) only dropped: the merge's second round or
   * this member's rejoin brings the same news from a sender that may send it.
   */
  private void notCoordinator(Address src, String what, long now) {
    if (link.isMember(src)) {
      refuse(MessageRefusals.Reason.NOT_COORDINATOR, src, what + " from a member that is not the coordinator (only"
          + " the coordinator, or just after a merge a merged part's, relays and says the subnet holdings; only the"
          + " coordinator grants)", now);
    } else {
      log.debug("{}: dropped {} from {}, which is not in this member's view", localName, what, src);
    }
  }

  private void refuse(MessageRefusals.Reason reason, Address src, String why, long now) {
    refusals.refused(reason, src, why, now);
    changed.run();
  }

  /** A forgotten node is no longer expected: its address leaves the peers file and the merge candidates. */
  private void stopExpecting(String nodeName) {
    Optional<InetAddress> ip = state.known(nodeName).map(k -> k.announcement().record().nodeIp());
    ip.ifPresent(a -> peers.forget(localName, nodeName, a));
  }

  private void dropMalformed(Address src, String why) {
    long n = malformed.incrementAndGet();
    if (Long.bitCount(n) == 1) {
      log.warn("{}: dropped malformed mesh message from {} ({} so far): {}", localName, src, n, why);
    } else {
      log.debug("{}: dropped malformed mesh message from {}: {}", localName, src, why);
    }
    changed.run();
  }
}
