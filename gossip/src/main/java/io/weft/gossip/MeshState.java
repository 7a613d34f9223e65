package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerState;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Claim;
import io.weft.core.plan.Holding;
import io.weft.core.plan.Plausibility;
import io.weft.core.plan.RecordValidator;
import io.weft.core.plan.Resolution;
import io.weft.core.plan.SubnetAllocator;
import io.weft.core.plan.SubnetGrant;
import io.weft.core.plan.ValidationContext;
import io.weft.core.plan.Verdict;
import io.weft.gossip.MeshSnapshot.DuplicateIdentity;
import io.weft.gossip.MeshSnapshot.RejectedRecord;
import io.weft.gossip.MeshSnapshot.SubnetConflict;
import io.weft.gossip.Wire.Reservation;
import io.weft.gossip.Wire.SyncEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What this member knows about the mesh: every node's newest announcement, who is in the view,
 * tombstones and pending subnet grants. No I/O and no threads: the mesh's event thread owns it.
 *
 * <p>Rules: newer (incarnation, version) wins; a tombstone hides its incarnation and older until it
 * expires; membership (up/down) comes only from the local view; a down node's record is removed (and
 * tombstoned) only by {@code forget} or when its lease runs out. Records, tombstones, reservations and
 * subnet holdings are each capped ({@link Plausibility#cap}): news about a node not held yet is refused
 * while its table is full, so no sender can grow this member's memory past the caps.
 *
 * <p>Subnet holdings (who the incumbents are) have one author, the coordinator: it is the mesh's one
 * sequencer of claims, so a claim it has agreed is the incumbent on every member, whatever order the
 * others heard the claims in. Each derive on the coordinator agrees its winners; every member takes the
 * coordinator's holdings where they contest no holding it already has, all the holdings of a Sync from
 * a coordinator (a joiner, having dropped its own, learns the incumbents; after a merge both parts'
 * holdings meet, and core's tie rule settles the subnets both hold), and drops a holding whose claim is
 * gone.
 */
final class MeshState {
  /** The provisional own subnet before one is agreed: overlaps no pod subnet. */
  private static final Cidr NO_SUBNET = Cidr.parse("0.0.0.0/32");

  /** What happened to an offered announcement. */
  enum Offer {
    /** Newer news: stored. */
    CHANGED,
    /** Same or older than what is known: ignored. */
    STALE,
    /** Hidden by a tombstone. */
    TOMBSTONED,
    /** About this node, and not newer than its own record: ignored. */
    SELF_STALE,
    /** About this node and newer than its own record (a stale self from before a restart): re-announce. */
    SELF_NEWER,
    /** About a node not held yet, and the records are at their cap: refused. */
    FULL
  }

  /** What an offered tombstone did. */
  enum Tombstoned {
    /** It removed a record or a reservation. */
    REMOVED,
    /** Kept (or already known, expired, or about this node), nothing to remove. */
    NOTHING_REMOVED,
    /**
     * About a node with no tombstone, record or reservation here, and the tombstones are at their cap:
     * refused (one that removes something always has room, so there are at most three caps of them).
     */
    FULL
  }

  /** What an offered reservation did. */
  enum Reserved {
    STORED,
    /** About this node, expired, or the node already announces that subnet. */
    IGNORED,
    /** About a node with no reservation yet, and the reservations are at their cap: refused. */
    FULL
  }

  record Known(Announcement announcement, PeerState state, long lastSeenMillis, long downSinceMillis) {}

  /** The derived view: what a snapshot shows. */
  record Derived(Map<String, Peer> peers, List<RejectedRecord> rejected, List<SubnetConflict> conflicts,
      List<DuplicateIdentity> duplicates, Set<Holding> holdings) {}

  private final String selfName;
  private final Cidr clusterCidr;
  private final int subnetPrefix;
  private final boolean allowLoopback;
  private final Duration leaseTime;
  private final Duration tombstoneTime;
  private final SubnetAllocator allocator;
  /** The most records, and the most tombstones, reservations and subnet holdings each, this member keeps. */
  private final int cap;
  private final RecordValidator validator = new RecordValidator();

  private final Map<String, Known> known = new HashMap<>();
  private final Map<String, Tombstone> tombstones = new HashMap<>();
  private final Map<String, Reservation> reservations = new HashMap<>();
  private Set<Holding> holdings = Set.of();
  private Set<String> upNames = Set.of();
  private Announcement self;
  private NodeRecord provisionalSelf;

  MeshState(String selfName, Cidr clusterCidr, int subnetPrefix, boolean allowLoopback, Duration leaseTime,
      Duration tombstoneTime) {
    this.selfName = selfName;
    this.clusterCidr = clusterCidr;
    this.subnetPrefix = subnetPrefix;
    this.allowLoopback = allowLoopback;
    this.leaseTime = leaseTime;
    this.tombstoneTime = tombstoneTime;
    this.allocator = new SubnetAllocator(clusterCidr, subnetPrefix);
    this.cap = Plausibility.cap(clusterCidr, subnetPrefix);
  }

  /** The cap on records, tombstones, reservations and subnet holdings (each). */
  int cap() {
    return cap;
  }

  /** Before a subnet is agreed, validation still needs this node's name, IP and MAC. */
  void provisionalSelf(LocalNode local, String agentVersion) {
    provisionalSelf = new NodeRecord(local.name(), local.hostname(), local.nodeIp(), local.mac(), NO_SUBNET,
        io.weft.core.model.SubnetSource.ALLOCATED, 0, 0, agentVersion, 0);
  }

  Optional<Announcement> self() {
    return Optional.ofNullable(self);
  }

  void setSelf(Announcement announcement) {
    this.self = announcement;
    reservations.remove(selfName);
  }

  Optional<Known> known(String name) {
    return Optional.ofNullable(known.get(name));
  }

  /** Whether a record of {@code name} could be stored: this node, a node held, or room below the cap. */
  boolean hasRoomFor(String name) {
    return name.equals(selfName) || known.containsKey(name) || known.size() < cap;
  }

  /** Stores newer news about a node; membership comes from the view. */
  Offer offer(Announcement a, long now) {
    String name = a.name();
    if (name.equals(selfName)) {
      return self != null && a.record().incarnation() >= self.record().incarnation()
          && !a.record().equals(self.record()) && a.isNewerThan(self) ? Offer.SELF_NEWER : Offer.SELF_STALE;
    }
    Tombstone t = tombstones.get(name);
    if (t != null) {
      if (now < t.untilMillis() && a.record().incarnation() <= t.incarnation()) {
        return Offer.TOMBSTONED;
      }
      tombstones.remove(name);
    }
    Known old = known.get(name);
    if (old != null && !a.isNewerThan(old.announcement())) {
      return Offer.STALE;
    }
    if (old == null && known.size() >= cap) {
      return Offer.FULL;
    }
    boolean up = upNames.contains(name);
    Known k;
    if (old == null) {
      k = up ? new Known(a, PeerState.UP, now, 0) : new Known(a, PeerState.DOWN, now, now);
    } else if (up) {
      // In the current view: up, whatever an older incarnation's record said.
      k = new Known(a, PeerState.UP, now, 0);
    } else {
      k = new Known(a, old.state(), old.lastSeenMillis(), old.downSinceMillis());
    }
    known.put(name, k);
    Reservation r = reservations.get(name);
    if (r != null && r.subnet().equals(a.record().podSubnet())) {
      reservations.remove(name);
    }
    return Offer.CHANGED;
  }

  /**
   * A record learned second-hand (sync): its down-since is kept when this member has no better idea.
   * Down and down-since are the relay's observation, not the node's signed word, so they count only for a
   * node this member does not see in its own view (the view decides who is up), only for a record new
   * here, and never from before the node's own signed announcement of that record: a relay can make a
   * joiner count a node that is really down as down since its last announcement, no earlier.
   */
  Offer offerSynced(SyncEntry e, long now) {
    Offer o = offer(e.announcement(), now);
    Known k = known.get(e.announcement().name());
    long downSince = Math.max(e.downSinceMillis(), e.announcement().record().announcedAtMillis());
    if (o == Offer.CHANGED && k != null && k.state() == PeerState.DOWN && e.down() && downSince > 0
        && downSince < k.downSinceMillis()) {
      known.put(k.announcement().name(), new Known(k.announcement(), PeerState.DOWN, k.lastSeenMillis(),
          downSince));
    }
    return o;
  }

  /**
   * The members of the new view, by node name (this node excluded).
   *
   * @return the names whose state changed
   */
  List<String> view(Set<String> names, long now) {
    upNames = Set.copyOf(names);
    List<String> changed = new ArrayList<>();
    for (Map.Entry<String, Known> e : known.entrySet()) {
      Known k = e.getValue();
      boolean up = upNames.contains(e.getKey());
      if (up && k.state() == PeerState.DOWN) {
        e.setValue(new Known(k.announcement(), PeerState.UP, now, 0));
        changed.add(e.getKey());
      } else if (!up && k.state() == PeerState.UP) {
        e.setValue(new Known(k.announcement(), PeerState.DOWN, now, now));
        changed.add(e.getKey());
      }
    }
    return changed;
  }

  Set<String> upNames() {
    return upNames;
  }

  /** The incarnation a forget of {@code name} hides: its record's, or a tombstone's that is higher. */
  long forgetIncarnation(String name) {
    Known k = known.get(name);
    long incarnation = k != null ? k.announcement().record().incarnation() : 0;
    Tombstone old = tombstones.get(name);
    return old != null ? Math.max(old.incarnation(), incarnation) : incarnation;
  }

  /** This node's own forget (an operator's): never refused for the cap. */
  Tombstoned forgetHere(Forgetting f, long now) {
    return tombstone(tombstoneOf(f, now), now, false);
  }

  /** A forget heard from another node, directly or relayed: hides the node's records of its incarnation and older. */
  Tombstoned applyForget(Forgetting f, long now) {
    return tombstone(tombstoneOf(f, now), now, true);
  }

  /** The forget of {@code name} this member holds, if its tombstone came from one. */
  Optional<Forgetting> forgetting(String name) {
    return Optional.ofNullable(tombstones.get(name)).flatMap(Tombstone::forgetting);
  }

  /** A forget lasts the tombstone time from when its author forgot (or from now, if that is earlier). */
  private Tombstone tombstoneOf(Forgetting f, long now) {
    return new Tombstone(f.node(), f.incarnation(), Math.min(f.atMillis(), now) + tombstoneTime.toMillis(),
        Optional.of(f));
  }

  /**
   * @param capped false for this node's own decisions (an operator's forget, an expired lease of a record
   *               held, so at most one per record): they are never refused for the cap
   */
  private Tombstoned tombstone(Tombstone t, long now, boolean capped) {
    if (t.name().equals(selfName) || now >= t.untilMillis()) {
      return Tombstoned.NOTHING_REMOVED;
    }
    Tombstone old = tombstones.get(t.name());
    boolean removesSomething = known.containsKey(t.name()) || reservations.containsKey(t.name());
    if (capped && old == null && tombstones.size() >= cap && !removesSomething) {
      return Tombstoned.FULL;
    }
    if (old == null || old.incarnation() < t.incarnation()
        || (old.incarnation() == t.incarnation() && old.untilMillis() < t.untilMillis())) {
      tombstones.put(t.name(), t);
    }
    Tombstone effective = tombstones.get(t.name());
    Known k = known.get(t.name());
    boolean removed = false;
    if (k != null && k.announcement().record().incarnation() <= effective.incarnation()) {
      known.remove(t.name());
      removed = true;
    }
    removed |= reservations.remove(t.name()) != null;
    return removed ? Tombstoned.REMOVED : Tombstoned.NOTHING_REMOVED;
  }

  Reserved reserve(Reservation r, long now) {
    if (r.name().equals(selfName) || now >= r.untilMillis()) {
      return Reserved.IGNORED;
    }
    Known k = known.get(r.name());
    if (k != null && k.announcement().record().podSubnet().equals(r.subnet())) {
      return Reserved.IGNORED;
    }
    if (!reservations.containsKey(r.name()) && reservations.size() >= cap) {
      return Reserved.FULL;
    }
    reservations.put(r.name(), r);
    return Reserved.STORED;
  }

  /**
   * Expires leases of nodes down longer than the lease time (they get a tombstone), old tombstones
   * and grants never announced.
   *
   * @return the names whose records were removed
   */
  List<String> housekeeping(long now) {
    List<String> removed = new ArrayList<>();
    for (Known k : List.copyOf(known.values())) {
      if (k.state() == PeerState.DOWN && now - k.downSinceMillis() >= leaseTime.toMillis()) {
        String name = k.announcement().name();
        // Derived here, as every member derives it from the same record and down time: not signed, not relayed.
        tombstone(Tombstone.derived(name, k.announcement().record().incarnation(),
            now + tombstoneTime.toMillis()), now, false);
        removed.add(name);
      }
    }
    tombstones.values().removeIf(t -> now >= t.untilMillis());
    reservations.values().removeIf(r -> now >= r.untilMillis());
    return removed;
  }

  /** Every claim on a subnet except {@code name}'s own: what an allocation must avoid. */
  List<Claim> claimsExcept(String name) {
    List<Claim> claims = new ArrayList<>();
    if (self != null && !selfName.equals(name)) {
      claims.add(self.claim());
    }
    for (Known k : known.values()) {
      if (!k.announcement().name().equals(name)) {
        claims.add(k.announcement().claim());
      }
    }
    for (Reservation r : reservations.values()) {
      if (!r.name().equals(name)) {
        claims.add(new Claim(r.name(), r.subnet(), io.weft.core.model.SubnetSource.ALLOCATED,
            r.claimedAtMillis(), true));
      }
    }
    return claims;
  }

  /**
   * What a batch of holdings did here.
   *
   * @param added a holding was added
   * @param full  holdings refused because the holdings were at their cap
   */
  record HoldingsTaken(boolean added, int full) {}

  /**
   * The coordinator's holdings: each one is taken unless this member already has another node's holding
   * of an overlapping subnet (the coordinator agrees only subnets nobody holds, so such a holding is
   * either this member's news it has not seen yet, or a claim to an incumbent's subnet, which no
   * coordinator's word can give), or the holdings are at their cap.
   */
  HoldingsTaken agreedByCoordinator(List<Holding> agreed) {
    Set<Holding> next = new HashSet<>(holdings);
    int full = 0;
    for (Holding h : agreed) {
      if (next.stream().noneMatch(o -> !o.nodeName().equals(h.nodeName()) && o.subnet().overlaps(h.subnet()))) {
        full += hold(next, h) ? 0 : 1;
      }
    }
    return new HoldingsTaken(replaceHoldings(next), full);
  }

  /**
   * A Sync's holdings, all of them (up to the cap): what its sender's part of the mesh agreed. Two holdings
   * of one subnet (the halves of a partition) are settled by core's tie rule at the next derive.
   */
  HoldingsTaken learnHoldings(List<Holding> learned) {
    Set<Holding> next = new HashSet<>(holdings);
    int full = 0;
    for (Holding h : learned) {
      full += hold(next, h) ? 0 : 1;
    }
    return new HoldingsTaken(replaceHoldings(next), full);
  }

  /**
   * Adds {@code h} unless the holdings are at their cap: honest holdings are one per subnet (two while a
   * tie after a merge is settled), so the cap, twice the cluster's subnets, only stops a flood.
   *
   * @return false when refused for the cap
   */
  private boolean hold(Set<Holding> next, Holding h) {
    if (!next.contains(h) && next.size() >= cap) {
      return false;
    }
    next.add(h);
    return true;
  }

  Set<Holding> holdings() {
    return holdings;
  }

  /**
   * This member joins a mesh as a member, not its coordinator: the incumbents are that mesh's, which its
   * coordinator's Sync brings. What this member held before (agreed while it was alone, or in a part of
   * the mesh it has left) goes: a node that was alone is a newcomer to the mesh it joins.
   */
  void joiningAsMember() {
    holdings = Set.of();
  }

  private boolean replaceHoldings(Set<Holding> next) {
    boolean added = !holdings.containsAll(next);
    holdings = Set.copyOf(next);
    return added;
  }

  /** Grants a subnet to {@code request.name()}: core's {@link SubnetGrant} over every other claim. */
  Reservation allocate(SubnetRequest request, long now, Duration reservationTime) {
    SubnetGrant.Grant g = SubnetGrant.decide(allocator, new SubnetGrant.Request(request.name(), request.preferred(),
        request.preferredClaimedAt(), request.pinned()), claimsExcept(request.name()),
        known(request.name()).map(k -> k.announcement().claim()), holdings, now);
    return new Reservation(request.name(), g.subnet(), g.claimedAtMillis(), now + reservationTime.toMillis());
  }

  /**
   * Everything this member knows, for a joiner or the other side of a merge: each record as its node's
   * signed announcement, each operator's forget as its author signed it. Tombstones derived here (expired
   * leases) are not sent: every member derives its own.
   */
  Wire.Sync sync(long now) {
    List<SyncEntry> entries = new ArrayList<>();
    if (self != null) {
      entries.add(new SyncEntry(self, false, 0));
    }
    for (Known k : known.values()) {
      entries.add(new SyncEntry(k.announcement(), k.state() == PeerState.DOWN, k.downSinceMillis()));
    }
    List<Forgetting> forgets = tombstones.values().stream().flatMap(t -> t.forgetting().stream()).toList();
    return new Wire.Sync(entries, forgets, List.copyOf(reservations.values()), List.copyOf(holdings));
  }

  /**
   * Validates, resolves subnet claims (incumbents first, core's {@link SubnetAllocator#resolve}), and
   * finds duplicates: what a snapshot shows. Moves the holdings on: a holding whose node no longer
   * claims that subnet (forgotten, expired, moved) is dropped, one whose node is in the view but not yet
   * known here is kept, and the coordinator agrees the winners.
   * A holding that lost (a partition's other half held the subnet too) is kept: every member that has
   * both settles them by the same tie rule, so the outcome depends only on which holdings and claims a
   * member has, never on the order they came in.
   *
   * @param coordinator this member coordinates the view
   */
  Derived derive(long now, boolean coordinator) {
    NodeRecord selfRecord = self != null ? self.record() : provisionalSelf;
    // First pass: records broken in form or address never take part; overlaps still claim (the
    // allocator must see both sides of a collision to settle it).
    Map<String, Verdict> basic = new TreeMap<>();
    List<Claim> claims = new ArrayList<>();
    if (self != null) {
      claims.add(self.claim());
    }
    ValidationContext noOwners = new ValidationContext(clusterCidr, subnetPrefix, selfRecord, Map.of(),
        allowLoopback);
    for (Known k : known.values()) {
      Verdict v = validator.validate(k.announcement().record(), noOwners);
      basic.put(k.announcement().name(), v);
      if (v.accepted() || RecordValidator.SUBNET_OVERLAP.equals(v.code())) {
        claims.add(k.announcement().claim());
      }
    }
    Set<Holding> claimed = claims.stream().map(Holding::of).collect(Collectors.toSet());
    Set<Holding> standing = new HashSet<>(holdings);
    // A holding of a view member whose record has not come yet is news on its way, not a claim gone: the
    // coordinator's holdings can overtake the member's own Announce, which comes over another connection
    // (a new one, handshake first). Dropped, it never came back, and that member's subnet had no
    // incumbent here: a rogue configured with it won on this node by the tie rule (lab: RogueAgentIT).
    standing.removeIf(h -> !claimed.contains(h)
        && !(upNames.contains(h.nodeName()) && !known.containsKey(h.nodeName())));
    Resolution resolution = allocator.resolve(claims, standing);
    if (coordinator) {
      standing.addAll(resolution.agreed());
    }
    holdings = Set.copyOf(standing);
    ValidationContext withOwners = new ValidationContext(clusterCidr, subnetPrefix, selfRecord,
        resolution.owners(), allowLoopback);

    Map<String, Peer> peers = new TreeMap<>();
    List<RejectedRecord> rejected = new ArrayList<>();
    for (Known k : known.values()) {
      NodeRecord r = k.announcement().record();
      Verdict v = basic.get(r.name());
      if (v.accepted()) {
        v = validator.validate(r, withOwners);
      }
      if (v.accepted()) {
        boolean up = k.state() == PeerState.UP;
        peers.put(r.name(), new Peer(r, k.state(), up ? now : k.lastSeenMillis(), up ? 0 : k.downSinceMillis()));
      } else {
        rejected.add(new RejectedRecord(r.name(), r.nodeIp().getHostAddress(), v.code(), v.reason(),
            k.lastSeenMillis()));
      }
    }
    rejected.sort((a, b) -> a.nodeName().compareTo(b.nodeName()));

    List<SubnetConflict> conflicts = new ArrayList<>();
    for (Resolution.Overlap o : resolution.conflicts()) {
      conflicts.add(new SubnetConflict(o.keeper().subnet(), o.keeper().nodeName(), List.of(o.loser().nodeName()),
          o.basis() == Resolution.Basis.INCUMBENT ? "subnet_held" : "subnet_conflict", conflictReason(o)));
    }
    for (Resolution.Overlap o : resolution.mustMove()) {
      conflicts.add(new SubnetConflict(o.keeper().subnet(), o.keeper().nodeName(), List.of(o.loser().nodeName()),
          "subnet_must_move", o.describe() + "; " + o.loser().nodeName() + " must choose another subnet"));
    }

    List<NodeRecord> identities = new ArrayList<>();
    identities.add(selfRecord);
    known.values().forEach(k -> identities.add(k.announcement().record()));
    List<DuplicateIdentity> duplicates = new ArrayList<>();
    duplicates.addAll(duplicates(identities, DuplicateIdentity.Kind.HOSTNAME, NodeRecord::hostname));
    duplicates.addAll(duplicates(identities, DuplicateIdentity.Kind.MAC, r -> r.mac().toString()));
    return new Derived(peers, rejected, conflicts, duplicates, holdings);
  }

  /** What happened and what to do, naming both nodes and the subnet: every member shows the same text. */
  private static String conflictReason(Resolution.Overlap o) {
    String keeper = o.keeper().nodeName();
    String loser = o.loser().nodeName();
    String why = o.basis() == Resolution.Basis.INCUMBENT
        ? "the mesh already routes it to " + keeper + ", which keeps it; " + loser + " is refused"
        : "both claimed it before the mesh had agreed either (a partition, or claims at the same moment); "
            + keeper + " keeps it by the tie rule (the smaller SHA-256 of node name and subnet) and " + loser
            + " is refused";
    return o.describe() + "; " + why + ": restart " + loser + " with another --pod-subnet, or without one to be"
        + " allocated a free subnet (its pods then need new addresses), or `meshctl forget " + keeper + "` if "
        + keeper + " is gone for good";
  }

  private static List<DuplicateIdentity> duplicates(List<NodeRecord> records, DuplicateIdentity.Kind kind,
      Function<NodeRecord, String> key) {
    Map<String, Set<String>> byValue = new TreeMap<>();
    for (NodeRecord r : records) {
      byValue.computeIfAbsent(key.apply(r), x -> new TreeSet<>()).add(r.name());
    }
    List<DuplicateIdentity> out = new ArrayList<>();
    byValue.forEach((value, names) -> {
      if (names.size() > 1) {
        String what = kind == DuplicateIdentity.Kind.HOSTNAME ? "hostname" : "MAC address";
        out.add(new DuplicateIdentity(kind, value, List.copyOf(names), "nodes " + String.join(", ", names)
            + " share the " + what + " " + value + " (cloned VM or copied configuration?)"));
      }
    });
    return out;
  }
}
