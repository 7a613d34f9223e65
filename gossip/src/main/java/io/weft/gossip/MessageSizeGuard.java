package io.weft.gossip;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.annotations.ManagedAttribute;
import org.jgroups.protocols.FragHeader;

/**
 * Bounds what one member's message can cost this one before Weft reads it. Sits directly below FRAG4, which
 * reassembles a fragmented message in memory and hands it up whole (JGroups sets no bound on that): a member
 * that holds the secret could otherwise make this node hold a message of any size, or many half-sent ones.
 * What passes here is at most {@link #maxMessageBytes} reassembled; what does not is dropped (never reaches
 * FRAG4, so it holds nothing of it) and counted ({@code too_large}). Unfragmented messages are bounded below,
 * by TCP's {@code max_length} on each frame ({@link TcpTransport}), which is the same bound.
 *
 * <ul>
 *   <li>A fragment may carry at most {@code fragSize} bytes (what FRAG4 on an honest sender cuts), of a message
 *       of at most {@code maxMessageBytes / fragSize} (rounded up) fragments.</li>
 *   <li>A sender's messages being reassembled may together claim at most {@code 2 x maxMessageBytes} (an honest
 *       member has at most one multicast and one unicast in flight to this node: FRAG4 sends a message's
 *       fragments in a row): a fragment of a further message is dropped. A message counts from its first
 *       fragment seen to its last; a sender that never finishes one only blocks its own further ones.</li>
 *   <li>A member leaving the view takes its count with it (FRAG4 drops its fragments too).</li>
 * </ul>
 *
 * <p>Thread-safe: JGroups delivers different senders' messages on different threads.
 */
final class MessageSizeGuard extends UpFilter {
  static final short PROTOCOL_ID = 1787;

  private final short fragId;
  private final int fragSize;
  private final int maxMessageBytes;
  private final int maxFragments;
  private final long maxPendingBytes;
  private final MessageRefusals refusals;
  /** Per sender: the messages being reassembled, by FRAG4's message id. */
  private final Map<Address, Pending> pending = new ConcurrentHashMap<>();

  /**
   * @param fragId          FRAG4's protocol id (its header's)
   * @param fragSize        FRAG4's fragment size on every member
   * @param maxMessageBytes the largest message, reassembled, a member may send
   */
  MessageSizeGuard(short fragId, int fragSize, int maxMessageBytes, MessageRefusals refusals) {
    if (fragSize <= 0 || maxMessageBytes < fragSize) {
      throw new IllegalArgumentException("need 0 < fragSize <= maxMessageBytes, got " + fragSize + ", "
          + maxMessageBytes);
    }
    this.fragId = fragId;
    this.fragSize = fragSize;
    this.maxMessageBytes = maxMessageBytes;
    this.maxFragments = (maxMessageBytes + fragSize - 1) / fragSize;
    this.maxPendingBytes = 2L * maxFragments * fragSize;
    this.refusals = refusals;
  }

  /** The refusals, {@code too_large} only (the rest are the record exchange's). */
  MeshSnapshot.Refusals refusals() {
    return refusals.counts();
  }

  @ManagedAttribute(description = "Fragments dropped because their message is, or would make pending, too large")
  long droppedFragments() {
    return refusals.counts().total();
  }

  @Override
  public Object up(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      retainMembers(evt.getArg());
    }
    return up_prot.up(evt);
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      retainMembers(evt.getArg());
    }
    return down_prot.down(evt);
  }

  private void retainMembers(View view) {
    pending.keySet().removeIf(a -> !view.containsMember(a));
  }

  @Override
  boolean admit(Message msg) {
    FragHeader h = msg.getHeader(fragId);
    if (h == null) {
      return true;
    }
    Address src = msg.getSrc();
    Pending from = src == null ? new Pending() : pending.computeIfAbsent(src, a -> new Pending());
    String refused = null;
    if (h.num_frags <= 0 || h.num_frags > maxFragments || h.frag_id < 0 || h.frag_id >= h.num_frags) {
      refused = "fragment " + h.frag_id + " of a message of " + h.num_frags + " fragments (at most "
          + maxFragments + " of " + fragSize + " bytes)";
    } else if (msg.getLength() > fragSize) {
      refused = "a fragment of " + msg.getLength() + " bytes (at most " + fragSize + ")";
    } else if (!from.admit(h, maxPendingBytes, fragSize)) {
      refused = "a fragment of another message while this member's half-received ones claim "
          + (maxPendingBytes / 1024) + " KiB already";
    }
    if (refused == null) {
      return true;
    }
    // Counted once per message, not once per fragment.
    if (from.refusedFirst(h.id)) {
      refusals.refused(MessageRefusals.Reason.TOO_LARGE, src, refused + ": the message is dropped before"
          + " reassembly (at most " + maxMessageBytes + " bytes)", System.currentTimeMillis());
    }
    return false;
  }

  /** One sender's messages being reassembled: each id's fragment count, fragments seen and claimed bytes. */
  private static final class Pending {
    /** How many refused message ids a sender's later fragments are recognised by. */
    private static final int REFUSED_IDS = 64;
    private final Map<Long, int[]> messages = new HashMap<>();
    private final Set<Long> refused = new LinkedHashSet<>();
    private long claimed;

    /** True the first time a fragment of message {@code id} is refused. */
    synchronized boolean refusedFirst(long id) {
      if (!refused.add(id)) {
        return false;
      }
      if (refused.size() > REFUSED_IDS) {
        Iterator<Long> oldest = refused.iterator();
        oldest.next();
        oldest.remove();
      }
      return true;
    }

    synchronized boolean admit(FragHeader h, long maxPending, int fragSize) {
      int[] m = messages.get(h.id);
      if (m == null && refused.contains(h.id)) {
        return false; // the rest of a message refused already
      }
      if (m == null) {
        long claim = (long) h.num_frags * fragSize;
        if (claimed + claim > maxPending) {
          return false;
        }
        m = new int[] {h.num_frags, 0};
        messages.put(h.id, m);
        claimed += claim;
      } else if (m[0] != h.num_frags) {
        return false; // a fragment that contradicts its message's first one
      }
      m[1]++;
      if (m[1] >= m[0]) {
        messages.remove(h.id);
        claimed -= (long) m[0] * fragSize;
      }
      return true;
    }
  }
}
