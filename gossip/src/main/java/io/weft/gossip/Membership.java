package io.weft.gossip;

import io.weft.gossip.Wire.SyncRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel's views: who is up (by the node name each member's address carries, {@link NodeAddress}),
 * what a first view sets off (the joiner's check, SYNC from the coordinator, the subnet agreement), what
 * a merge sets off (everyone re-announces, each old coordinator shares all it knows), and remembering
 * the members in the peers file. Owned by the event loop.
 */
final class Membership {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  private static final Duration RESYNC_AFTER = Duration.ofSeconds(2);
  private static final Duration MERGE_SECOND_ROUND = Duration.ofMillis(1500);
  /**
   * JGroups learns a member's physical address a moment after the view that brings it (the
   * coordinator disseminates its address cache asynchronously), so a member missing from the first
   * look is looked up again at this pace, a bounded number of times; housekeeping keeps trying after.
   */
  private static final Duration PEER_ADDRESS_RECHECK = Duration.ofMillis(500);
  private static final int PEER_ADDRESS_RECHECKS = 20;
  /**
   * How long after a merge the coordinators of the merged parts may still relay (each shares all it knows,
   * twice, {@link #MERGE_SECOND_ROUND} apart; a view change right after the merge must not make the second
   * round a refusal).
   */
  private static final Duration MERGE_RELAY_WINDOW = Duration.ofSeconds(10);

  private final MeshEventLoop loop;
  private final JChannel channel;
  private final MeshState state;
  private final SeedJoiner joiner;
  private final SubnetAgreement agreement;
  private final PeerMemory peers;
  private final MeshLink link;
  private final Runnable changed;
  private final BooleanSupplier closed;
  private final String localName;
  private View view;
  /** The coordinators of the parts the latest merge joined, and when it was installed. */
  private Set<Address> mergedCoordinators = Set.of();
  private long mergedAtMillis;

  Membership(MeshEventLoop loop, JChannel channel, MeshState state, SeedJoiner joiner, SubnetAgreement agreement,
      PeerMemory peers, MeshLink link, Runnable changed, BooleanSupplier closed, String localName) {
    this.loop = loop;
    this.channel = channel;
    this.state = state;
    this.joiner = joiner;
    this.agreement = agreement;
    this.peers = peers;
    this.link = link;
    this.changed = changed;
    this.closed = closed;
    this.localName = localName;
  }

  /** The current view; null before the first and after leaving one. */
  View current() {
    return view;
  }

  /** Out of the view (a rejoin or leave): the next view is a first view again (SYNC, record re-announced). */
  void left() {
    view = null;
  }

  boolean isCoordinator() {
    return view != null && view.getCoord().equals(channel.getAddress());
  }

  /** Whether {@code member} is in the current view. */
  boolean isMember(Address member) {
    return view != null && member != null && view.containsMember(member);
  }

  /**
   * See {@link MeshLink#mayRelay}: the current coordinator, or for {@link #MERGE_RELAY_WINDOW} after a merge
   * the coordinator of one of the parts it joined, while it is still a member. The parts of a merge are
   * JGroups' (GMS's), not a member's word.
   */
  boolean mayRelay(Address member) {
    if (view == null || member == null) {
      return false;
    }
    if (member.equals(view.getCoord())) {
      return true;
    }
    return view.containsMember(member) && mergedCoordinators.contains(member)
        && System.currentTimeMillis() - mergedAtMillis < MERGE_RELAY_WINDOW.toMillis();
  }

  /** Remembers the current view's members (housekeeping, a clean stop). */
  void rememberMembers() {
    if (view != null) {
      peers.remember(channel, rememberable(view));
    }
  }

  void accepted(View v) {
    boolean first = view == null;
    Address oldCoord = first ? null : view.getCoord();
    view = v;
    applyMembership();
    log.debug("{}: view {}", localName, v);
    if (first) {
      Optional<String> failed = joiner.checkFirstView(v);
      if (failed.isPresent()) {
        view = null;
        joiner.leaveAndRetry(failed.get());
        return;
      }
      if (!isCoordinator()) {
        state.joiningAsMember();
        link.send(v.getCoord(), new SyncRequest());
        loop.schedule(RESYNC_AFTER, () -> {
          if (view != null && !isCoordinator()) {
            link.send(view.getCoord(), new SyncRequest());
          }
          // The other way round: members that installed our view late dropped our first Announce
          // (NAKACK2 drops multicasts from non-members), and in a quiet mesh no later multicast from us
          // would show them the gap. One more Announce does (and, as a higher seqno, repairs the gap).
          agreement.announceSelf();
        });
      }
      agreement.firstView();
    } else {
      if (v instanceof MergeView mv) {
        log.info("{}: mesh partitions merged: {}", localName, mv.getSubgroups());
        mergedCoordinators = mv.getSubgroups().stream().map(View::getCoord).collect(Collectors.toSet());
        mergedAtMillis = System.currentTimeMillis();
        reconcileAfterMerge(mv);
        // Members install the merge view at slightly different moments and drop multicasts from
        // senders not yet in their view; a second round a moment later closes that window.
        loop.schedule(MERGE_SECOND_ROUND, () -> {
          if (view == mv) {
            reconcileAfterMerge(mv);
          }
        });
      }
      if (!Objects.equals(oldCoord, v.getCoord())) {
        agreement.coordinatorChanged();
      }
    }
    rememberOnceResolved(v, PEER_ADDRESS_RECHECKS);
    changed.run();
  }

  /** Marks up exactly the view's other members, by the node name each one's address carries. */
  private void applyMembership() {
    Address me = channel.getAddress();
    Set<String> upNames = view.getMembers().stream().filter(a -> !a.equals(me))
        .map(NodeAddress::nodeName).flatMap(Optional::stream).collect(Collectors.toSet());
    state.view(upNames, System.currentTimeMillis());
  }

  /** Every member re-announces itself; each old subgroup's coordinator shares all it knows. */
  private void reconcileAfterMerge(MergeView mv) {
    agreement.announceSelf();
    for (View sub : mv.getSubgroups()) {
      if (sub.getCoord().equals(channel.getAddress())) {
        link.multicast(state.sync(System.currentTimeMillis()));
      }
    }
  }

  /** Remembers the view's members, looking again while some of their addresses are not yet known. */
  private void rememberOnceResolved(View v, int rechecksLeft) {
    if (closed.getAsBoolean() || view != v || peers.remember(channel, rememberable(v)) || rechecksLeft == 0) {
      return;
    }
    loop.schedule(PEER_ADDRESS_RECHECK, () -> rememberOnceResolved(v, rechecksLeft - 1));
  }

  /**
   * The view's members but the forgotten ones. A node forgotten (meshctl forget) while it was dead stays in
   * the view until failure detection removes it, a second or two; a node that joined or restarted
   * meanwhile saw it there, wrote it to its peers file and then, at its next start, held the adoption of
   * its routes for the whole adoption grace waiting for a peer that never comes (seen in the lab:
   * TunnelIT's restart right after a forget). A forgotten node that comes back, with a newer incarnation,
   * has a record again and is remembered at the next view.
   */
  private List<Address> rememberable(View v) {
    return v.getMembers().stream().filter(a -> NodeAddress.nodeName(a)
        .map(name -> state.forgetting(name).isEmpty() || state.known(name).isPresent()).orElse(true)).toList();
  }
}
