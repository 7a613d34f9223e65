package io.weft.gossip;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.EmptyMessage;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.annotations.ManagedAttribute;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

/**
 * Failure detection on a ring, replacing JGroups' all-to-all FD_ALL3: every member heartbeats only its
 * {@code k} successors in view order and watches only its {@code k} predecessors, so each member sends
 * {@code k} heartbeats per interval whatever the mesh size (FD_ALL3 sends N-1 over TCP).
 *
 * <p>A predecessor silent for {@code timeout} (any message counts, not only heartbeats) is reported to
 * the member that would coordinate once the suspects are gone (normally the coordinator; the next in
 * line when the coordinator itself is silent). That member sends {@code SUSPECT} up to VERIFY_SUSPECT2,
 * which asks the suspect directly and lets GMS exclude it only if it does not answer. Reports are not
 * reliable (they sit below UNICAST3), so they are repeated once per timeout while the silence lasts;
 * if the silent members are still in the view after a few, the reporter is probably cut off from the
 * decider as well: it then counts the decider as silent too (VERIFY_SUSPECT2 asks it first) and
 * reports to the next member in line, one per report, so a minority cut off from the coordinator
 * still ends up coordinating a view of its own, and MergeProbe brings it back when the cut heals.
 * With {@code k >= 2} one more silent member next to a dead one cannot hide it. TCP's own
 * connection-closed suspicions still catch crashes faster; this catches hung nodes and silent links.
 *
 * <p>What it does is counted (read with {@link #counters()}, and as JGroups managed attributes): a
 * watched predecessor whose silence passed the timeout is a suspicion raised; one that leaves the view
 * afterwards is confirmed; one heard from again while still watched is refuted.
 */
final class RingFailureDetector extends Protocol {
  static final short PROTOCOL_ID = 1783;
  static final short HEADER_MAGIC = 1783;

  private final int k;
  private final long interval;
  private final long timeout;
  /**
   * Reports of the same silent members (one per timeout) after which this member stops relying on the
   * decider alone.
   */
  private final int escalateAfter;
  /** Predecessor -> when we last heard from it (nanoTime). */
  private final Map<Address, Long> lastHeard = new ConcurrentHashMap<>();
  /** Predecessors suspected and not yet confirmed or refuted: added by the tick, settled by tick and view. */
  private final Set<Address> suspected = ConcurrentHashMap.newKeySet();
  private final AtomicLong raised = new AtomicLong();
  private final AtomicLong confirmed = new AtomicLong();
  private final AtomicLong refuted = new AtomicLong();
  // Owned by the timer task (one tick at a time).
  private Set<Address> reported = Set.of();
  private long reportedAt;
  private int reports;
  private long lastTickAt;
  private final Set<Address> unreachableDeciders = new HashSet<>();
  private volatile View view;
  private volatile List<Address> successors = List.of();
  private Future<?> task;

  /**
   * @param k             successors heartbeated and predecessors watched ({@code MeshConfig.Thresholds.ringWatchers})
   * @param escalateAfter reports of the same silence before the next decider is asked too
   */
  RingFailureDetector(int k, long intervalMillis, long timeoutMillis, int escalateAfter) {
    if (k < 1 || intervalMillis <= 0 || timeoutMillis <= intervalMillis || escalateAfter < 1) {
      throw new IllegalArgumentException("ring failure detector needs k >= 1, timeout > interval > 0 and"
          + " escalation after >= 1 report, got k=" + k + ", interval=" + intervalMillis + " ms, timeout="
          + timeoutMillis + " ms, escalation after " + escalateAfter);
    }
    this.k = k;
    this.interval = intervalMillis;
    this.timeout = timeoutMillis;
    this.escalateAfter = escalateAfter;
  }

  /** What the detector did since it was made. Any thread. */
  MeshSnapshot.FailureDetection counters() {
    return new MeshSnapshot.FailureDetection(raised.get(), confirmed.get(), refuted.get());
  }

  @ManagedAttribute(description = "Watched predecessors whose silence passed the suspect timeout")
  public long getSuspicionsRaised() {
    return raised.get();
  }

  @ManagedAttribute(description = "Suspected members that left the view afterwards")
  public long getSuspicionsConfirmed() {
    return confirmed.get();
  }

  @ManagedAttribute(description = "Suspected members heard from again while still watched")
  public long getSuspicionsRefuted() {
    return refuted.get();
  }

  /** The members at distance 1..k after (direction 1) or before (-1) {@code me} in the view, without me. */
  static List<Address> neighbours(List<Address> members, Address me, int k, int direction) {
    int n = members.size();
    int i = members.indexOf(me);
    List<Address> out = new ArrayList<>();
    if (i < 0) {
      return out;
    }
    for (int d = 1; d <= Math.min(k, n - 1); d++) {
      out.add(members.get(Math.floorMod(i + direction * d, n)));
    }
    return out;
  }

  @Override
  public Object down(Event evt) {
    switch (evt.getType()) {
      case Event.VIEW_CHANGE -> {
        Object ret = down_prot.down(evt);
        onView(evt.getArg());
        return ret;
      }
      case Event.UNSUSPECT -> {
        heard(evt.getArg());
      }
      case Event.DISCONNECT -> stopTask();
      default -> { }
    }
    return down_prot.down(evt);
  }

  @Override
  public void stop() {
    super.stop();
    stopTask();
  }

  private synchronized void stopTask() {
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  private synchronized void onView(View v) {
    view = v;
    List<Address> members = v.getMembers();
    successors = neighbours(members, local_addr, k, 1);
    Set<Address> preds = new HashSet<>(neighbours(members, local_addr, k, -1));
    long now = System.nanoTime();
    lastHeard.keySet().retainAll(preds);
    for (Address s : suspected) {
      if (!members.contains(s)) {
        confirmed.incrementAndGet();
        suspected.remove(s);
      } else if (!preds.contains(s)) {
        suspected.remove(s); // still a member, no longer ours to watch: neither outcome is ours to count
      }
    }
    // A new predecessor gets two timeouts from now: it may not have installed this view yet, so not know
    // that it must heartbeat us (a joiner under load takes a while to start). One that was heard and then
    // falls silent gets the normal timeout.
    long grace = now + TimeUnit.MILLISECONDS.toNanos(timeout);
    preds.forEach(p -> lastHeard.putIfAbsent(p, grace));
    if (members.size() > 1 && task == null) {
      task = getTransport().getTimer().scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS,
          false);
    } else if (members.size() <= 1) {
      stopTask();
    }
  }

  private void heard(Address from) {
    if (from != null) {
      lastHeard.computeIfPresent(from, (a, t) -> System.nanoTime());
    }
  }

  private void tick() {
    try {
      for (Address s : successors) {
        down_prot.down(new EmptyMessage(s).setFlag(Message.Flag.OOB).putHeader(id, new RingHeader(null)));
      }
      long now = System.nanoTime();
      long intervalNanos = TimeUnit.MILLISECONDS.toNanos(interval);
      long late = lastTickAt == 0 ? 0 : now - lastTickAt - intervalNanos;
      lastTickAt = now;
      if (late > intervalNanos) {
        // This member itself was stalled (GC pause, starved CPU): the silence it would see is its own,
        // not its predecessors'. Do not count the stall against them.
        lastHeard.replaceAll((p, t) -> t + late);
      }
      long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeout);
      Set<Address> silent = new HashSet<>();
      lastHeard.forEach((p, t) -> {
        if (now - t > timeoutNanos) {
          silent.add(p);
        }
      });
      settleSuspicions(silent);
      View v = view;
      if (silent.isEmpty() || v == null) {
        reported = Set.of();
        reports = 0;
        unreachableDeciders.clear();
        return;
      }
      if (silent.equals(reported) && now - reportedAt < timeoutNanos) {
        return;
      }
      reports = silent.equals(reported) ? reports + 1 : 1;
      reported = silent;
      reportedAt = now;
      Set<Address> passed = new HashSet<>(silent);
      if (reports > escalateAfter) {
        // Reported again and again and the view still holds them: the decider may be cut off from us
        // too. Count it as silent for choosing the next decider, and have VERIFY_SUSPECT2 ask it (it
        // is only passed on to GMS if it does not answer). One decider per report, like FD_SOCK walks
        // its ring: asking every member at once would, under load, split the mesh on slow answers.
        unreachableDeciders.retainAll(v.getMembers());
        Address next = deciderWithout(v, union(silent, unreachableDeciders));
        if (next != null && !next.equals(local_addr)) {
          unreachableDeciders.add(next);
        }
        passed.addAll(unreachableDeciders);
      }
      List<Address> suspects = new ArrayList<>(passed);
      Address decider = deciderWithout(v, passed);
      log.debug("%s: no message from %s for %d ms; reporting %s to %s", local_addr, silent, timeout, suspects, decider);
      if (local_addr.equals(decider)) {
        up_prot.up(new Event(Event.SUSPECT, suspects));
      } else if (decider != null) {
        down_prot.down(new EmptyMessage(decider).setFlag(Message.Flag.OOB).putHeader(id, new RingHeader(suspects)));
      }
    } catch (RuntimeException e) {
      log.warn("%s: ring failure detector tick failed: %s", local_addr, e);
    }
  }

  /** Counts the predecessors newly silent, and the suspected ones heard from again. Timer task only. */
  private void settleSuspicions(Set<Address> silent) {
    for (Address s : silent) {
      if (suspected.add(s)) {
        raised.incrementAndGet();
      }
    }
    for (Address s : suspected) {
      if (!silent.contains(s) && lastHeard.containsKey(s) && suspected.remove(s)) {
        refuted.incrementAndGet();
      }
    }
  }

  private static Set<Address> union(Set<Address> a, Set<Address> b) {
    Set<Address> u = new HashSet<>(a);
    u.addAll(b);
    return u;
  }

  /** The member that would coordinate without the suspects. */
  private static Address deciderWithout(View v, Collection<Address> suspects) {
    for (Address m : v.getMembers()) {
      if (!suspects.contains(m)) {
        return m;
      }
    }
    return null;
  }

  private void onReport(List<Address> suspects) {
    View v = view;
    if (v == null) {
      return;
    }
    List<Address> inView = suspects.stream().filter(v::containsMember).filter(a -> !a.equals(local_addr)).toList();
    if (!inView.isEmpty() && local_addr.equals(deciderWithout(v, inView))) {
      up_prot.up(new Event(Event.SUSPECT, inView));
    }
  }

  @Override
  public Object up(Message msg) {
    heard(msg.getSrc());
    RingHeader h = msg.getHeader(id);
    if (h == null) {
      return up_prot.up(msg);
    }
    if (h.suspects != null) {
      onReport(h.suspects);
    }
    return null;
  }

  @Override
  public void up(MessageBatch batch) {
    heard(batch.sender());
    for (Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
      Message m = it.next();
      RingHeader h = m.getHeader(id);
      if (h != null) {
        it.remove();
        if (h.suspects != null) {
          onReport(h.suspects);
        }
      }
    }
    if (!batch.isEmpty()) {
      up_prot.up(batch);
    }
  }

  /** A heartbeat (no suspects) or a report of silent members to the deciding member. */
  public static final class RingHeader extends Header {
    private List<Address> suspects;

    public RingHeader() {}

    RingHeader(List<Address> suspects) {
      this.suspects = suspects;
    }

    @Override
    public short getMagicId() {
      return HEADER_MAGIC;
    }

    @Override
    public Supplier<? extends Header> create() {
      return RingHeader::new;
    }

    @Override
    public int serializedSize() {
      return 1 + (suspects == null ? 0 : Util.size(suspects));
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
      out.writeBoolean(suspects != null);
      if (suspects != null) {
        Util.writeAddresses(suspects, out);
      }
    }

    @Override
    public void readFrom(DataInput in) throws IOException, ClassNotFoundException {
      suspects = in.readBoolean() ? new ArrayList<>(Util.readAddresses(in, ArrayList::new)) : null;
    }

    @Override
    public String toString() {
      return suspects == null ? "heartbeat" : "suspect " + suspects;
    }
  }
}
