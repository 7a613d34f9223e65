package io.weft.gossip;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mesh messages (or the parts of them) refused because their sender may not say them or said too much:
 * counted by reason, the latest kept for {@code meshctl status}, logged at WARN at powers of two (a
 * flood costs the log a few lines). Written on the event loop, read from any thread.
 */
final class MessageRefusals {
  private static final Logger log = LoggerFactory.getLogger(MessageRefusals.class);

  /** Why a message was refused; the label is the metric's. */
  enum Reason {
    /** A relay (Sync), agreed subnet holdings or a grant from a member that is not the coordinator. */
    NOT_COORDINATOR("not_coordinator"),
    /** More than the cap in one message, or state at its cap. */
    OVER_CAP("over_cap"),
    /** A counter, time or expiry no honest node sends (Plausibility). */
    IMPLAUSIBLE("implausible"),
    /** A subnet grant outside the cluster CIDR or of the wrong size. */
    BAD_GRANT("bad_grant"),
    /** A message larger than any honest member sends, dropped before it is reassembled ({@link MessageSizeGuard}). */
    TOO_LARGE("too_large"),
    /** A signed statement (record, subnet request, forget) whose signature does not verify. */
    BAD_SIGNATURE("bad_signature"),
    /** A statement signed with a key other than the one its node's name is bound to (also a key conflict). */
    KEY_CONFLICT("key_conflict"),
    /** A join or leave request naming a member other than its sender ({@link MembershipRequestGuard}). */
    NOT_SENDER("not_sender");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  private final String localName;
  private final Map<Reason, AtomicLong> counts = new EnumMap<>(Reason.class);
  private final AtomicLong total = new AtomicLong();
  private volatile MeshSnapshot.Refusal latest;

  MessageRefusals(String localName) {
    this.localName = localName;
    for (Reason r : Reason.values()) {
      counts.put(r, new AtomicLong());
    }
  }

  /** Counts one refused message; {@code why} names what it said and why it may not. */
  void refused(Reason reason, Address src, String why, long nowMillis) {
    counts.get(reason).incrementAndGet();
    long n = total.incrementAndGet();
    String from = src == null ? "?" : NodeAddress.nodeName(src).orElse(String.valueOf(src));
    latest = new MeshSnapshot.Refusal(reason.label(), from, why, nowMillis);
    if (Long.bitCount(n) == 1) {
      log.warn("{}: refused a mesh message from {} ({} refused so far): {}", localName, from, n, why);
    } else {
      log.debug("{}: refused a mesh message from {}: {}", localName, from, why);
    }
  }

  MeshSnapshot.Refusals counts() {
    Map<String, Long> byReason = new TreeMap<>();
    counts.forEach((r, c) -> byReason.put(r.label(), c.get()));
    return new MeshSnapshot.Refusals(byReason, latest);
  }
}
