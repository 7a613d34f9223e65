package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.PeerState;
import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The mesh as this node knows it at one moment. Immutable.
 *
 * @param self          this node's published record; null until {@link Mesh#join} has agreed a subnet
 * @param peers         every other known node by name, up and down (tombstoned nodes are gone)
 * @param rejected      records refused by the validator, newest first (bounded)
 * @param conflicts     pod subnets claimed by more than one node, with the deterministic winner
 * @param duplicates    hostnames or MACs held by more than one node (cloned VMs)
 * @param seeds         how joining through the seeds is going
 * @param expectedPeers where this node expects peers (node IPs): its seeds, DNS answers, the peers it
 *                      remembers from earlier runs and the members it has seen since; a starting agent
 *                      keeps the routes it found until each of them is known (core's AdoptionRule)
 * @param viewSize      members in the current JGroups view, this node included (0 when not connected)
 * @param coordinator   the view's coordinator name (null when not connected)
 * @param counters      traffic counters for metrics
 * @param takenAtMillis when this snapshot was taken, epoch millis
 */
public record MeshSnapshot(
    NodeRecord self,
    Map<String, Peer> peers,
    List<RejectedRecord> rejected,
    List<SubnetConflict> conflicts,
    List<DuplicateIdentity> duplicates,
    SeedStatus seeds,
    List<InetAddress> expectedPeers,
    int viewSize,
    String coordinator,
    Counters counters,
    long takenAtMillis) {

  public MeshSnapshot {
    peers = Map.copyOf(peers);
    rejected = List.copyOf(rejected);
    conflicts = List.copyOf(conflicts);
    duplicates = List.copyOf(duplicates);
    Objects.requireNonNull(seeds, "seeds");
    expectedPeers = List.copyOf(expectedPeers);
    Objects.requireNonNull(counters, "counters");
  }

  /** The same snapshot with other counters (they move with every byte, so they are read when asked for). */
  public MeshSnapshot withCounters(Counters fresh) {
    return new MeshSnapshot(self, peers, rejected, conflicts, duplicates, seeds, expectedPeers, viewSize,
        coordinator, fresh, takenAtMillis);
  }

  /** Peers that are up. */
  public List<Peer> upPeers() {
    return peers.values().stream().filter(p -> p.state() == PeerState.UP).toList();
  }

  /**
   * Converged: joined, every member of the view has a valid record here, and no subnet conflict
   * or seed trouble is open.
   */
  public boolean converged() {
    return self != null && seeds.state() == SeedStatus.State.JOINED
        && upPeers().size() + 1 == viewSize && conflicts.isEmpty();
  }

  /** Bytes of mesh traffic received (as the transport saw them). */
  public long bytesIn() {
    return counters.bytesIn();
  }

  /** Bytes of mesh traffic sent. */
  public long bytesOut() {
    return counters.bytesOut();
  }

  /** Conflicts this node lost: it holds a subnet another node wins. */
  public List<SubnetConflict> lostConflicts() {
    return self == null ? List.of()
        : conflicts.stream().filter(c -> c.losers().contains(self.name())).toList();
  }

  /**
   * A peer record the validator refused.
   *
   * @param nodeName   the name the record claims
   * @param from       the mesh member that sent it
   * @param code       stable machine code for metrics (from core's validator)
   * @param reason     human explanation
   * @param atMillis   when it was refused
   */
  public record RejectedRecord(String nodeName, String from, String code, String reason, long atMillis) {}

  /**
   * Two or more nodes claim overlapping pod subnets.
   *
   * @param subnet  the contested subnet (the winner's)
   * @param winner  the node that keeps it, by the deterministic rule every member applies
   * @param losers  the nodes that must not use it; their routes are not installed by peers
   * @param code    stable machine code for metrics
   * @param reason  human explanation
   */
  public record SubnetConflict(Cidr subnet, String winner, List<String> losers, String code, String reason) {
    public SubnetConflict {
      losers = List.copyOf(losers);
    }
  }

  /**
   * Two or more nodes share a hostname or MAC address (cloned VMs, copied config).
   *
   * @param kind   what is shared
   * @param value  the shared hostname or MAC
   * @param nodes  the node names holding it, sorted
   * @param reason human explanation
   */
  public record DuplicateIdentity(Kind kind, String value, List<String> nodes, String reason) {
    public DuplicateIdentity {
      nodes = List.copyOf(nodes);
    }

    public enum Kind {
      HOSTNAME,
      MAC
    }
  }

  /**
   * How joining the mesh is going.
   *
   * @param state              where joining stands
   * @param candidates         addresses tried (seeds, DNS answers, remembered peers)
   * @param attempts           join attempts so far
   * @param nextAttemptAtMillis when the next attempt is due (0 unless RETRYING)
   * @param message            human explanation
   */
  public record SeedStatus(State state, List<String> candidates, int attempts, long nextAttemptAtMillis,
      String message) {
    public SeedStatus {
      candidates = List.copyOf(candidates);
    }

    public enum State {
      /** join() not called yet. */
      NOT_STARTED,
      /** Connecting through the seeds. */
      JOINING,
      /** Every seed was unreachable; retrying with backoff. */
      RETRYING,
      /** In the mesh. */
      JOINED,
      /** Left or closed. */
      LEFT
    }

    public static SeedStatus notStarted() {
      return new SeedStatus(State.NOT_STARTED, List.of(), 0, 0, "not joined yet");
    }
  }

  /**
   * Traffic counters since start.
   *
   * @param bytesIn          bytes received by the transport (framing included)
   * @param bytesOut         bytes sent by the transport
   * @param messagesIn       mesh application messages received
   * @param messagesOut      mesh application messages sent
   * @param malformedDropped application messages dropped because they did not decode
   * @param refusedConnections connections refused by the secret handshake (wrong/no secret, garbage)
   * @param failureDetection what the ring failure detector did
   * @param mergeDetection   what the merge probe did
   * @param refusals         messages refused for what their sender may not say (not the coordinator, over
   *                         the cap, implausible counters or times, a bad grant)
   */
  public record Counters(long bytesIn, long bytesOut, long messagesIn, long messagesOut,
      long malformedDropped, long refusedConnections, FailureDetection failureDetection,
      MergeDetection mergeDetection, Refusals refusals) {
    public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0);

    public Counters {
      Objects.requireNonNull(failureDetection, "failureDetection");
      Objects.requireNonNull(mergeDetection, "mergeDetection");
      Objects.requireNonNull(refusals, "refusals");
    }

    /** Traffic only: the protocols have done nothing yet. */
    public Counters(long bytesIn, long bytesOut, long messagesIn, long messagesOut, long malformedDropped,
        long refusedConnections) {
      this(bytesIn, bytesOut, messagesIn, messagesOut, malformedDropped, refusedConnections,
          FailureDetection.ZERO, MergeDetection.ZERO, Refusals.NONE);
    }
  }

  /**
   * Mesh messages refused since start.
   *
   * @param byReason count per reason label ({@code not_coordinator}, {@code over_cap}, {@code implausible},
   *                 {@code bad_grant}); a reason never seen may be missing
   * @param latest   the latest refusal, or null
   */
  public record Refusals(Map<String, Long> byReason, Refusal latest) {
    /** Every reason label, in a fixed order. */
    public static final List<String> REASONS = Arrays.stream(MessageRefusals.Reason.values())
        .map(MessageRefusals.Reason::label).toList();
    public static final Refusals NONE = new Refusals(Map.of(), null);

    public Refusals {
      byReason = Map.copyOf(byReason);
    }

    public long total() {
      return byReason.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Both counts added up, the later latest. */
    public Refusals plus(Refusals other) {
      Map<String, Long> sum = new java.util.TreeMap<>(byReason);
      other.byReason.forEach((k, v) -> sum.merge(k, v, Long::sum));
      Refusal later = latest == null || (other.latest != null && other.latest.atMillis() > latest.atMillis())
          ? other.latest : latest;
      return new Refusals(sum, later);
    }
  }

  /** One refused message: why (the reason label and a sentence), from which member, when. */
  public record Refusal(String reason, String from, String why, long atMillis) {}

  /**
   * The ring failure detector's counts since start.
   *
   * @param suspicionsRaised    watched predecessors whose silence passed the suspect timeout
   * @param suspicionsConfirmed suspected members that left the view afterwards
   * @param suspicionsRefuted   suspected members heard from again while still watched
   */
  public record FailureDetection(long suspicionsRaised, long suspicionsConfirmed, long suspicionsRefuted) {
    public static final FailureDetection ZERO = new FailureDetection(0, 0, 0);
  }

  /**
   * The merge probe's counts since start.
   *
   * @param probesSent     probes sent to candidates outside the view (and to members after a pause)
   * @param mergesStarted  merges of other parts of the mesh handed to JGroups' GMS
   * @param rejoinsStarted times this member left its view to join again (alone, or excluded unawares)
   * @param pausesDetected probe rounds so late that this process must have been paused
   */
  public record MergeDetection(long probesSent, long mergesStarted, long rejoinsStarted, long pausesDetected) {
    public static final MergeDetection ZERO = new MergeDetection(0, 0, 0, 0);
  }
}
