package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Plausibility;
import io.weft.core.plan.StartIncarnation;
import io.weft.core.plan.SubnetExhaustedException;
import io.weft.gossip.Wire.AllocGrant;
import io.weft.gossip.Wire.AllocRequest;
import io.weft.gossip.Wire.Announce;
import io.weft.gossip.Wire.Reservation;
import io.weft.gossip.trust.NodeIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's pod subnet and its own record. A configured subnet is used as it is; otherwise the
 * coordinator grants one ({@link MeshState#allocate}: core's allocation step, the remembered subnet when
 * it is still free or pinned) and multicasts the grant, so concurrent joiners are served one at a time
 * from the same knowledge and any next coordinator knows the grant. Once a node has published a subnet
 * it never moves on its own: a collision found later (after a partition heals) is resolved by core's
 * deterministic rule everywhere and reported by both sides. The subnet and incarnation are kept in the
 * lease file. Every record and subnet request this node sends is signed with its node key (signing takes
 * well under a millisecond once the handshake's start-up warmed Ed25519 up). Owned by the event loop.
 */
final class SubnetAgreement {
  private static final Logger log = LoggerFactory.getLogger(SubnetAgreement.class);
  /** How long a granted subnet stays reserved for a joiner that has not announced it yet. */
  static final Duration RESERVATION_TIME = Duration.ofSeconds(60);
  private static final Duration ALLOC_RETRY = Duration.ofSeconds(3);

  /** Told when this node's own record is first published. */
  interface Published {
    void selfPublished(NodeRecord record);
  }

  private final MeshConfig config;
  private final StateStore store;
  private final MeshEventLoop loop;
  private final MeshLink link;
  private final MeshState state;
  private final LocalNode local;
  private final NodeIdentity identity;
  private final Runnable changed;
  private final Published published;
  private final Optional<StateStore.Lease> lease;
  private long incarnation;
  private SubnetRequest pending;
  private ScheduledFuture<?> retry;

  /**
   * Reads the lease (or recovers from an unreadable one) and writes it back with the next incarnation
   * ({@link StartIncarnation}: one written while this node's clock ran far ahead is not reused).
   *
   * @throws IllegalStateException when the lease is unreadable and nothing else records the subnet
   */
  SubnetAgreement(MeshConfig config, StateStore store, MeshEventLoop loop, MeshLink link, MeshState state,
      LocalNode local, NodeIdentity identity, Runnable changed, Published published) {
    this.config = config;
    this.store = store;
    this.loop = loop;
    this.link = link;
    this.state = state;
    this.local = local;
    this.identity = identity;
    this.changed = changed;
    this.published = published;
    this.lease = readLeaseOrRecover().filter(l -> {
      if (!l.node().equals(local.name())) {
        log.warn("mesh lease in {} belongs to node {}, not {}: ignoring its subnet", config.stateDir(), l.node(),
            local.name());
        return false;
      }
      return true;
    });
    long now = System.currentTimeMillis();
    StartIncarnation start = StartIncarnation.choose(
        lease.map(l -> OptionalLong.of(l.incarnation())).orElse(OptionalLong.empty()), now, Plausibility.CLOCK_SKEW);
    if (start.discarded().isPresent()) {
      log.warn(start.warning(local.name(), now));
    }
    this.incarnation = start.incarnation();
    store.writeLease(new StateStore.Lease(local.name(), lease.flatMap(StateStore.Lease::subnet),
        lease.map(StateStore.Lease::source).orElse(SubnetSource.ALLOCATED),
        lease.map(StateStore.Lease::claimedAtMillis).orElse(0L), incarnation));
  }

  /** The first view: announce the record again, or agree a subnet (configured, kept, or granted). */
  void firstView() {
    if (state.self().isPresent()) {
      announceSelf();
      return;
    }
    long now = System.currentTimeMillis();
    Optional<Cidr> configured = local.configuredSubnet();
    if (configured.isPresent()) {
      long claimedAt = lease.filter(l -> l.subnet().equals(configured) && l.source() == SubnetSource.CONFIGURED)
          .map(StateStore.Lease::claimedAtMillis).filter(c -> c > 0).orElse(now);
      publishSelf(configured.get(), SubnetSource.CONFIGURED, claimedAt);
      return;
    }
    Optional<StateStore.Lease> kept = lease.filter(l -> l.subnet().isPresent() && l.source() == SubnetSource.ALLOCATED);
    Optional<Cidr> preferred = kept.flatMap(StateStore.Lease::subnet).or(local::rememberedSubnet);
    long claimedAt = kept.map(StateStore.Lease::claimedAtMillis).filter(c -> c > 0).orElse(now);
    request(SubnetRequest.sign(identity, local.name(), preferred, claimedAt, local.subnetInUse()));
  }

  /** A new coordinator has not seen the pending request: ask it. */
  void coordinatorChanged() {
    if (pending != null) {
      request(pending);
    }
  }

  /** Multicasts this node's record, once it has one. */
  void announceSelf() {
    state.self().ifPresent(a -> link.multicast(new Announce(a)));
  }

  /** A joiner's request: the coordinator grants. */
  void requested(SubnetRequest r) {
    if (link.isCoordinator()) {
      grant(r);
    }
  }

  /** A grant, to this node or another (then reserved here, so any next coordinator knows it). */
  MeshState.Reserved granted(Reservation r) {
    if (r.name().equals(local.name())) {
      if (pending != null && state.self().isEmpty()) {
        publishSelf(r.subnet(), SubnetSource.ALLOCATED, r.claimedAtMillis());
      }
      return MeshState.Reserved.IGNORED;
    }
    return state.reserve(r, System.currentTimeMillis());
  }

  /** A new version of this node's record: name, incarnation and subnet stay the mesh's. */
  void republish(NodeRecord self) {
    Optional<Announcement> current = state.self();
    if (current.isEmpty()) {
      log.warn("publish({}) before join() agreed a subnet: ignored", self.name());
      return;
    }
    NodeRecord c = current.get().record();
    NodeRecord next = new NodeRecord(c.name(), self.hostname(), self.nodeIp(), self.mac(), c.podSubnet(),
        c.subnetSource(), incarnation, Math.max(c.version(), self.version()) + 1, self.agentVersion(),
        System.currentTimeMillis());
    Announcement a = Announcement.sign(identity, next, current.get().claimedAtMillis(), current.get().pinned());
    state.setSelf(a);
    link.multicast(new Announce(a));
    changed.run();
  }

  /** A record of this node newer than its own (left over from before a restart): outbid it. */
  void reincarnate(Announcement stale) {
    Announcement current = state.self().orElseThrow();
    incarnation = Math.max(incarnation, stale.record().incarnation()) + 1;
    NodeRecord c = current.record();
    NodeRecord r = new NodeRecord(c.name(), c.hostname(), c.nodeIp(), c.mac(), c.podSubnet(), c.subnetSource(),
        incarnation, 1, c.agentVersion(), System.currentTimeMillis());
    Announcement a = Announcement.sign(identity, r, current.claimedAtMillis(), current.pinned());
    state.setSelf(a);
    store.writeLease(new StateStore.Lease(c.name(), Optional.of(c.podSubnet()), c.subnetSource(),
        current.claimedAtMillis(), incarnation));
    log.info("{}: the mesh held a newer record of this node (incarnation {}); re-announcing as incarnation {}",
        c.name(), stale.record().incarnation(), incarnation);
    link.multicast(new Announce(a));
    changed.run();
  }

  /**
   * The lease file, or, when it cannot be read, nothing: the subnet then comes from what else records it
   * (the pod bridge's address, the mesh's record of this node, a configured subnet) and the file is
   * rewritten. With none of those a new subnet would be taken under pods that may still hold addresses
   * of the old one: the start fails with the fix instead.
   */
  private Optional<StateStore.Lease> readLeaseOrRecover() {
    try {
      return store.readLease();
    } catch (StateStore.UnreadableLeaseException e) {
      boolean meshCanTell = !config.seeds().isEmpty() || config.dnsQuery() != null || !store.readPeers().isEmpty();
      if (local.configuredSubnet().isEmpty() && local.rememberedSubnet().isEmpty() && !meshCanTell) {
        throw new IllegalStateException(e.getMessage() + "; nothing else records this node's pod subnet (no address"
            + " on the pod bridge, no seed or remembered peer to ask): start it with --pod-subnet set to the subnet it"
            + " had (the directory name under " + config.stateDir().resolve("ipam") + "), or remove the file to take"
            + " a new subnet", e);
      }
      Path aside = store.setLeaseAside();
      log.warn("{}; moved to {} and recovered from {}", e.getMessage(), aside,
          local.configuredSubnet().map(c -> "--pod-subnet " + c)
              .or(() -> local.rememberedSubnet().map(r -> "the pod bridge's address (" + r + ")"))
              .orElse("the mesh's record of " + local.name()));
      return Optional.empty();
    }
  }

  private void request(SubnetRequest req) {
    pending = req;
    if (retry != null) {
      retry.cancel(false);
    }
    if (link.isCoordinator()) {
      grant(req);
    } else {
      link.send(link.coordinator(), new AllocRequest(req));
    }
    retry = loop.schedule(ALLOC_RETRY, () -> {
      if (pending != null && link.coordinator() != null) {
        log.info("{}: no subnet grant from coordinator {} yet; asking again", local.name(), link.coordinator());
        request(pending);
      }
    });
  }

  /** Coordinator: grants a subnet and tells everyone. */
  private void grant(SubnetRequest req) {
    Reservation r;
    try {
      r = state.allocate(req, System.currentTimeMillis(), RESERVATION_TIME);
    } catch (SubnetExhaustedException e) {
      log.error("cannot grant a subnet to {}: {}", req.name(), e.getMessage());
      return;
    }
    log.debug("{}: granting {} to {}", local.name(), r.subnet(), r.name());
    granted(r);
    link.multicast(new AllocGrant(r));
  }

  private void publishSelf(Cidr subnet, SubnetSource source, long claimedAt) {
    pending = null;
    if (retry != null) {
      retry.cancel(false);
    }
    NodeRecord r = new NodeRecord(local.name(), local.hostname(), local.nodeIp(), local.mac(), subnet, source,
        incarnation, 1, local.agentVersion(), System.currentTimeMillis());
    Announcement a = Announcement.sign(identity, r, claimedAt, true);
    state.setSelf(a);
    try {
      store.writeLease(new StateStore.Lease(local.name(), Optional.of(subnet), source, claimedAt, incarnation));
    } catch (RuntimeException e) {
      log.error("{} (the subnet is used but will not survive a restart)", e.getMessage());
    }
    link.multicast(new Announce(a));
    published.selfPublished(r);
  }
}
