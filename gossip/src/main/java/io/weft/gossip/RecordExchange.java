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
import io.weft.gossip.trust.KeyBindingStore;
import io.weft.gossip.trust.MeshTrust;
import io.weft.gossip.trust.NodeIdentity;
import io.weft.gossip.trust.NodeKey;
import io.weft.gossip.trust.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's application messages in and the records they carry: decodes each message, checks every
 * signed statement first ({@link StatementCheck}: a record, a subnet request or a forget is taken only
 * with a good signature by the key its node's name is bound to, the name bound on first sight), checks
 * that an Announce or a subnet request comes from the node it names (the sender's name is in its address,
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
  /** This node's key: its forgets are signed with it. */
  private final NodeIdentity identity;
  private final StatementCheck statements;
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

  RecordExchange(Wire wire, MeshState state, SubnetAgreement agreement, PeerMemory peers, MeshTrust trust,
      MeshLink link, Runnable changed, String localName, MeshConfig config) {
    this.wire = wire;
    this.state = state;
    this.agreement = agreement;
    this.peers = peers;
    this.bindings = trust.bindings();
    this.identity = trust.identity();
    this.statements = new StatementCheck(localName, trust.identity().publicKey(), trust.bindings());
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
      announced(src, a.announcement(), now);
    } else if (msg instanceof SyncRequest) {
      link.send(src, state.sync(now));
    } else if (msg instanceof Sync s) {
      if (!link.mayRelay(src)) {
        notCoordinator(src, "a Sync of " + s.entries().size() + " records", now);
        return;
      }
      synced(src, s, now);
    } else if (msg instanceof AllocRequest r) {
      requested(src, r.request(), now);
    } else if (msg instanceof AllocGrant g) {
      granted(src, g.reservation(), now);
    } else if (msg instanceof Forget f) {
      forgotten(src, f.forgetting(), now);
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

  /**
   * Removes a node for good, here and mesh-wide: the forget is signed with this node's key, so every node
   * verifies and logs that this node did it.
   */
  void forget(String nodeName) {
    if (nodeName.equals(localName)) {
      log.warn("refusing to forget this node itself ({}); stop its agent and forget it from another node", nodeName);
      return;
    }
    long now = System.currentTimeMillis();
    // The key this node knows the node by: its record's signer, else its binding.
    Optional<NodeKey> key = state.known(nodeName).map(k -> k.announcement().statement().author())
        .or(() -> bindings.bindings().keyOf(nodeName));
    stopExpecting(nodeName);
    bindings.forget(nodeName);
    Forgetting f = Forgetting.sign(identity, localName, nodeName, key, state.forgetIncarnation(nodeName), now);
    state.forgetHere(f, now);
    log.info("forgetting node {} mesh-wide (incarnation {} and older tombstoned for {})", nodeName,
        f.incarnation(), tombstoneTime);
    link.multicast(new Forget(f));
    changed.run();
  }

  /**
   * A forget multicast by its author's node. Any member may forget any node (it holds the secret, and an
   * operator there ran {@code meshctl forget}); every node logs who did, by the verified author, and the
   * node's key binding goes with it, so a reinstalled node with a new key can be bound on first sight.
   */
  private void forgotten(Address src, Forgetting f, long now) {
    Findings found = new Findings();
    Map<String, NodeKey> firstSeen = new HashMap<>();
    Optional<MeshState.Tombstoned> done = takeForget(src, f, now, found, firstSeen);
    found.report(src, "", now);
    if (done.isEmpty()) {
      return;
    }
    statements.bind(firstSeen, "a forget sent by " + sender(src));
    if (f.node().equals(localName)) {
      log.error("{}: this node was forgotten mesh-wide (meshctl forget) by {}; peers ignore it until its agent"
          + " restarts", localName, f.author());
      return;
    }
    log.warn("{}: node {} forgotten mesh-wide by {} (meshctl forget; sent by {})", localName, f.node(), f.author(),
        sender(src));
    bindings.forget(f.node(), f.nodeKey());
    if (done.get() == MeshState.Tombstoned.REMOVED) {
      changed.run();
    }
  }

  /**
   * A signed forget checked and applied: its author's signature and binding, its incarnation and time;
   * empty when it was refused (in {@code found}) or is the one held already.
   */
  private Optional<MeshState.Tombstoned> takeForget(Address src, Forgetting f, long now, Findings found,
      Map<String, NodeKey> firstSeen) {
    String what = "a forget of " + f.node() + " by " + f.author();
    StatementCheck.Verdict v = statements.check(f.statement(), f.author(), state.forgetting(f.node())
        .map(Forgetting::statement), "a forget sent by " + sender(src), now);
    if (v == StatementCheck.Verdict.HELD) {
      return Optional.empty();
    }
    Optional<StatementCheck.Refusal> refused = statements.refusal(v, f.statement(), what, f.author());
    if (refused.isPresent()) {
      found.add(refused.get());
      return Optional.empty();
    }
    Optional<String> why = plausibility.incarnation(f.incarnation(), now).map(p -> what + ": incarnation " + p)
        .or(() -> plausibility.timestamp(f.atMillis(), now).map(p -> what + ": time " + p));
    if (why.isPresent()) {
      found.add(MessageRefusals.Reason.IMPLAUSIBLE, why.get());
      return Optional.empty();
    }
    // Looked up while the record is still held: its address leaves the peers file and the merge candidates.
    if (!f.node().equals(localName)) {
      stopExpecting(f.node());
    }
    MeshState.Tombstoned done = state.applyForget(f, now);
    if (done == MeshState.Tombstoned.FULL) {
      found.add(MessageRefusals.Reason.OVER_CAP, what + ": this member holds " + state.cap() + " tombstones already");
      return Optional.empty();
    }
    if (v == StatementCheck.Verdict.FIRST_SIGHT) {
      firstSeen.put(f.author(), f.statement().author());
    }
    return Optional.of(done);
  }

  /**
   * A relay's records, tombstones, reservations and subnet holdings (what its part of the mesh agreed: a
   * joiner learns who the incumbents are, each half of a partition the other's); what is implausible or
   * over a cap is left out, counted once.
   */
  private void synced(Address src, Sync s, long now) {
    boolean any = false;
    Findings found = new Findings();
    Map<String, NodeKey> firstSeen = new HashMap<>();
    for (Forgetting f : s.forgets()) {
      Optional<MeshState.Tombstoned> done = takeForget(src, f, now, found, firstSeen);
      if (done.isEmpty() || f.node().equals(localName)) {
        continue;
      }
      log.info("{}: node {} was forgotten mesh-wide by {} (meshctl forget; relayed by {})", localName, f.node(),
          f.author(), sender(src));
      bindings.forget(f.node(), f.nodeKey());
      any |= done.get() == MeshState.Tombstoned.REMOVED;
    }
    for (SyncEntry e : s.entries()) {
      MeshState.Offer o = take(src, e.announcement(), Optional.of(e), now, found, firstSeen);
      any |= o == MeshState.Offer.CHANGED;
    }
    for (Reservation r : s.reservations()) {
      Optional<String> why = plausibility.timestamp(r.claimedAtMillis(), now)
          .map(p -> "reservation of " + r.subnet() + " for " + r.name() + ": claimed-at time " + p)
          .or(() -> Plausibility.grant(r.subnet(), clusterCidr, subnetPrefix).map(p -> "reservation for " + r.name() + ": " + p));
      if (why.isPresent()) {
        found.add(MessageRefusals.Reason.IMPLAUSIBLE, why.get());
        continue;
      }
      if (state.reserve(clamped(r, now), now) == MeshState.Reserved.FULL) {
        found.full("the reservation for " + r.name());
      }
    }
    // The sender may relay (checked before), so it speaks for its part of the mesh: its holdings are what
    // that part agreed, and a tie with this part's is settled by core's tie rule at the next derive.
    PlausibleHoldings holdings = plausibleHoldings(s.holdings());
    holdings.implausible().ifPresent(why -> found.add(MessageRefusals.Reason.IMPLAUSIBLE, why));
    MeshState.HoldingsTaken taken = state.learnHoldings(holdings.plausible());
    any |= taken.added();
    for (int i = 0; i < taken.full(); i++) {
      found.full("a subnet holding");
    }
    statements.bind(firstSeen, "a Sync relayed by " + sender(src));
    found.report(src, "part of a Sync: ", now);
    if (any) {
      changed.run();
    }
  }

  /**
   * One signed announcement, as multicast by its node ({@code relayed} empty) or in a Sync entry: its
   * signature and key binding first, then its counters and times, then stored if newer. A name seen for
   * the first time goes into {@code firstSeen} when its record is kept.
   */
  private MeshState.Offer take(Address src, Announcement a, Optional<SyncEntry> relayed, long now, Findings found,
      Map<String, NodeKey> firstSeen) {
    String what = "the record of " + a.name();
    if (!state.hasRoomFor(a.name())) {
      // Refused for the cap before its signature costs anything: a flood past the cap is not verified.
      found.full(what);
      return MeshState.Offer.FULL;
    }
    Optional<Statement> held = (a.name().equals(localName) ? state.self() : state.known(a.name())
        .map(MeshState.Known::announcement)).map(Announcement::statement);
    StatementCheck.Verdict v = statements.check(a.statement(), a.name(), held,
        (relayed.isPresent() ? "a record relayed by " : "a record sent by ") + sender(src), now);
    if (v == StatementCheck.Verdict.HELD) {
      return MeshState.Offer.STALE;
    }
    Optional<StatementCheck.Refusal> refused = statements.refusal(v, a.statement(), what, a.name());
    if (refused.isPresent()) {
      found.add(refused.get());
      return MeshState.Offer.STALE;
    }
    Optional<String> why = plausibility.record(a.record(), a.claimedAtMillis(), now)
        .or(() -> relayed.filter(SyncEntry::down).flatMap(e -> plausibility.timestamp(e.downSinceMillis(), now))
            .map(p -> "down-since time " + p));
    if (why.isPresent()) {
      found.add(MessageRefusals.Reason.IMPLAUSIBLE, why.get());
      return MeshState.Offer.STALE;
    }
    MeshState.Offer o = relayed.isPresent() ? state.offerSynced(relayed.get(), now) : state.offer(a, now);
    if (o == MeshState.Offer.CHANGED && v == StatementCheck.Verdict.FIRST_SIGHT) {
      firstSeen.put(a.name(), a.statement().author());
    } else if (o == MeshState.Offer.SELF_NEWER) {
      agreement.reincarnate(a);
    } else if (o == MeshState.Offer.FULL) {
      found.full(what);
    }
    return o;
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

  private void announced(Address src, Announcement a, long now) {
    Findings found = new Findings();
    Map<String, NodeKey> firstSeen = new HashMap<>();
    MeshState.Offer o = take(src, a, Optional.empty(), now, found, firstSeen);
    statements.bind(firstSeen, "its own record, sent by " + sender(src));
    found.report(src, "", now);
    if (o == MeshState.Offer.CHANGED) {
      changed.run();
    }
  }

  /** A subnet request: from the node it names, signed by it, with a plausible claim time; the coordinator grants. */
  private void requested(Address src, SubnetRequest r, long now) {
    if (!fromNode(src, r.name(), "asked for a subnet")) {
      return;
    }
    String what = "a subnet request of " + r.name();
    StatementCheck.Verdict v = statements.check(r.statement(), r.name(), Optional.empty(),
        "a subnet request sent by " + sender(src), now);
    Optional<StatementCheck.Refusal> refused = statements.refusal(v, r.statement(), what, r.name());
    if (refused.isPresent()) {
      refuse(refused.get().reason(), src, refused.get().why(), now);
      return;
    }
    if (plausible(src, plausibility.timestamp(r.preferredClaimedAt(), now).map(p -> what + ": claimed-at time " + p),
        now)) {
      if (v == StatementCheck.Verdict.FIRST_SIGHT) {
        statements.bind(Map.of(r.name(), r.statement().author()), "a subnet request sent by " + sender(src));
      }
      agreement.requested(r);
    }
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

  /** The sender as its address names it: for the log and reports only, never for a decision on content. */
  private static String sender(Address src) {
    return src == null ? "?" : NodeAddress.nodeName(src).orElse(String.valueOf(src));
  }

  /**
   * What one message had refused: the first reason of each kind, and how many entries found no room;
   * each reason counted once per message.
   */
  private final class Findings {
    private final Map<MessageRefusals.Reason, String> first = new EnumMap<>(MessageRefusals.Reason.class);
    private int full;
    private String firstFull;

    void add(MessageRefusals.Reason reason, String why) {
      first.putIfAbsent(reason, why);
    }

    void add(StatementCheck.Refusal r) {
      add(r.reason(), r.why());
    }

    /** An entry about a node this member has no room for (its table at the cap). */
    void full(String what) {
      full++;
      if (firstFull == null) {
        firstFull = what;
      }
    }

    void report(Address src, String prefix, long now) {
      first.forEach((reason, why) -> {
        if (reason != MessageRefusals.Reason.OVER_CAP) {
          refuse(reason, src, prefix + why, now);
        }
      });
      if (full > 0 || first.containsKey(MessageRefusals.Reason.OVER_CAP)) {
        String why = full == 0 ? first.get(MessageRefusals.Reason.OVER_CAP) : full == 1 && prefix.isEmpty()
            ? firstFull + ": this member holds " + state.cap() + " already"
            : full + " entries about nodes this member has no room for (" + firstFull + " the first; it keeps at most "
                + state.cap() + " records, tombstones, reservations and holdings each)";
        refuse(MessageRefusals.Reason.OVER_CAP, src, prefix + why, now);
      }
    }
  }

  /** A forgotten node is no longer expected: its address leaves the peers file and the merge candidates. */
  private void stopExpecting(String nodeName) {
    peers.forget(localName, nodeName, state.known(nodeName).map(k -> k.announcement().record().nodeIp()));
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
