package io.weft.gossip;

import io.weft.core.plan.Holding;
import io.weft.gossip.Wire.Agreed;
import io.weft.gossip.Wire.AllocGrant;
import io.weft.gossip.Wire.AllocRequest;
import io.weft.gossip.Wire.Announce;
import io.weft.gossip.Wire.Forget;
import io.weft.gossip.Wire.Msg;
import io.weft.gossip.Wire.Sync;
import io.weft.gossip.Wire.SyncEntry;
import io.weft.gossip.Wire.SyncRequest;
import io.weft.gossip.Wire.Tombstone;
import io.weft.gossip.trust.KeyBindingStore;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's application messages in and the records they carry: decodes each message, checks that an
 * Announce comes from the node it names (the sender's name is in its address, {@link NodeAddress}),
 * stores what is newer in {@link MeshState}, answers SYNC requests, applies tombstones, and hands
 * subnet requests and grants to the {@link SubnetAgreement}, takes the coordinator's agreed subnet holdings
 * (and only the coordinator's). Also the sending side of {@code forget} and, on the coordinator, of the
 * holdings. Owned by the event loop; the counters are read from any thread.
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
  private final AtomicLong messagesIn = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  /** The holdings this node last multicast as coordinator. */
  private Set<Holding> sharedHoldings = Set.of();

  RecordExchange(Wire wire, MeshState state, SubnetAgreement agreement, PeerMemory peers, KeyBindingStore bindings,
      MeshLink link, Runnable changed, String localName, Duration tombstoneTime) {
    this.wire = wire;
    this.state = state;
    this.agreement = agreement;
    this.peers = peers;
    this.bindings = bindings;
    this.link = link;
    this.changed = changed;
    this.localName = localName;
    this.tombstoneTime = tombstoneTime;
  }

  long messagesIn() {
    return messagesIn.get();
  }

  long malformedDropped() {
    return malformed.get();
  }

  /** One message as JGroups delivered it ({@code data} null when it had no byte payload). */
  void received(Address src, byte[] data, int off, int len) {
    messagesIn.incrementAndGet();
    if (data == null) {
      dropMalformed(src, "message without a byte payload");
      return;
    }
    Msg msg;
    try {
      msg = wire.decode(data, off, len);
    } catch (Wire.MalformedMessageException e) {
      dropMalformed(src, e.getMessage());
      return;
    }
    long now = System.currentTimeMillis();
    if (msg instanceof Announce a) {
      Optional<String> sender = src == null ? Optional.empty() : NodeAddress.nodeName(src);
      if (sender.isPresent() && !sender.get().equals(a.announcement().name())) {
        dropMalformed(src, "member " + sender.get() + " announced a record for " + a.announcement().name());
        return;
      }
      offer(a.announcement(), now);
    } else if (msg instanceof SyncRequest) {
      link.send(src, state.sync(now));
    } else if (msg instanceof Sync s) {
      synced(src, s, now);
    } else if (msg instanceof AllocRequest r) {
      agreement.requested(r);
    } else if (msg instanceof AllocGrant g) {
      agreement.granted(g.reservation());
    } else if (msg instanceof Forget f) {
      forgotten(src, f.tombstone(), now);
    } else if (msg instanceof Agreed a) {
      agreed(src, a.holdings());
    }
  }

  /** On the coordinator, after each derive: the holdings it agreed go to every member when they changed. */
  void shareHoldings(Set<Holding> holdings) {
    if (link.isCoordinator() && !holdings.equals(sharedHoldings)) {
      sharedHoldings = holdings;
      link.multicast(new Agreed(List.copyOf(holdings)));
    }
  }

  private void agreed(Address src, List<Holding> holdings) {
    if (src == null || !src.equals(link.coordinator())) {
      // A coordinator's last word can cross a view change; from anyone else it is not theirs to say.
      log.debug("{}: ignored subnet holdings from {}, which does not coordinate the view", localName, src);
      return;
    }
    if (state.agreedByCoordinator(holdings)) {
      changed.run();
    }
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

  private void forgotten(Address src, Tombstone t, long now) {
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
    if (state.applyTombstone(t, now)) {
      changed.run();
    }
  }

  private void synced(Address src, Sync s, long now) {
    boolean any = false;
    for (Tombstone t : s.tombstones()) {
      stopExpecting(t.name());
      any |= state.applyTombstone(t, now);
    }
    for (SyncEntry e : s.entries()) {
      MeshState.Offer o = state.offerSynced(e, now);
      if (o == MeshState.Offer.CHANGED) {
        any = true;
      } else if (o == MeshState.Offer.SELF_NEWER) {
        agreement.reincarnate(e.announcement());
      }
    }
    s.reservations().forEach(r -> state.reserve(r, now));
    // Holdings say who the incumbents are: only the coordinator of a part of the mesh may say what its
    // part agreed (a joiner's coordinator, the parts of a merge); from anyone else they would let a
    // member make a tie of a subnet an incumbent holds.
    if (link.speaksForAPart(src)) {
      any |= state.learnHoldings(s.holdings());
    } else if (!s.holdings().isEmpty()) {
      log.debug("{}: ignored the subnet holdings in a sync from {}, which speaks for no part of the mesh", localName,
          src);
    }
    if (any) {
      changed.run();
    }
  }

  private void offer(Announcement a, long now) {
    MeshState.Offer o = state.offer(a, now);
    if (o == MeshState.Offer.CHANGED) {
      changed.run();
    } else if (o == MeshState.Offer.SELF_NEWER) {
      agreement.reincarnate(a);
    }
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
