package io.weft.gossip;

import java.io.DataInput;
import java.io.DataOutput;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.annotations.ManagedAttribute;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Bits;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.TimeScheduler;
import org.jgroups.util.Tuple;
import org.jgroups.util.Util;

/**
 * Finds split meshes, replacing JGroups' MERGE3. Over TCP, MERGE3 has every member ask discovery for
 * every member (a request and a response each) and then send INFO to each, every round: O(N) messages
 * per member per round even when nothing is split, which was ~84% of Weft's steady-state traffic.
 *
 * <p>Here only the coordinator probes, and only the discovery candidates (seeds, DNS answers, remembered
 * peers; in simulation every registered member) that are not in its view. In a healthy mesh every
 * candidate is a member, so a round sends nothing. A probe carries the prober's view and its members'
 * names and physical addresses; whoever receives one from outside its own view answers with the same
 * about its side, and passes the probe on to its own coordinator. Both coordinators then know the other
 * side's view and every member's address, and both hand GMS a MERGE event; GMS' merge leader (the
 * lowest coordinator address) runs the merge as it would after MERGE3.
 *
 * <p>Two cases do not merge but join again (through the mesh's {@code rejoin}): a member alone in its
 * view that finds a bigger part (a JOIN involves the coordinator only, while a merge fetches a digest
 * from every member of both sides), and a member whose view still holds the prober's coordinator while
 * the prober's newer view no longer holds it (it was excluded but never learned it; neither a merge
 * nor failure detection would ever fix that).
 *
 * <p>Members are named by their addresses ({@link NodeAddress}), never by JGroups' JVM-global NameCache,
 * which a probe from anyone could fill. What it does is counted ({@link #counters()}, and as JGroups
 * managed attributes): probes sent, merges and rejoins started, pauses detected.
 */
final class MergeProbe extends Protocol {
  static final short PROTOCOL_ID = 1784;
  static final short HEADER_MAGIC = 1784;
  private static final byte PROBE = 0;
  private static final byte REPLY = 1;
  private static final byte FORWARD = 2;

  private final long minInterval;
  private final long maxInterval;
  private final int maxProbesPerRound;
  private final long pauseNanos;
  private final int maxBackoffRounds;
  private final long collectMillis;
  private final AtomicLong probesSent = new AtomicLong();
  private final AtomicLong mergesStarted = new AtomicLong();
  private final AtomicLong rejoinsStarted = new AtomicLong();
  private final AtomicLong pausesDetected = new AtomicLong();
  private final Supplier<? extends Collection<? extends Address>> candidates;
  /** Leaves the current view and joins again through discovery (the mesh owns the channel). */
  private final java.util.function.Consumer<String> rejoin;
  private volatile View view;
  private Future<?> task;
  /** The stale view we already stepped out of (once per view). */
  private View leftView;
  // Guarded by this.
  private final Map<Address, View> collected = new java.util.HashMap<>();
  private Future<?> flush;
  /** Owned by the round task: candidate -> {rounds to skip, current backoff}. */
  private final Map<Address, int[]> backoff = new java.util.HashMap<>();
  private volatile boolean answered;
  /** When the round timer should fire next (nanoTime; 0 before the first round). Owned by the round task. */
  private long nextRoundDue;

  /**
   * @param candidates where other parts of the mesh may be found: physical addresses over TCP, logical
   *                   ones in simulation; called from a JGroups timer thread, so it must be cheap
   */
  MergeProbe(long minIntervalMillis, long maxIntervalMillis, MeshConfig.Thresholds thresholds,
      Supplier<? extends Collection<? extends Address>> candidates, java.util.function.Consumer<String> rejoin) {
    if (minIntervalMillis <= 0 || maxIntervalMillis < minIntervalMillis) {
      throw new IllegalArgumentException("merge probe interval " + minIntervalMillis + ".." + maxIntervalMillis
          + " ms is not a range");
    }
    this.minInterval = minIntervalMillis;
    this.maxInterval = maxIntervalMillis;
    this.maxProbesPerRound = thresholds.maxProbesPerRound();
    this.pauseNanos = thresholds.pauseThreshold().toNanos();
    this.maxBackoffRounds = thresholds.maxBackoffRounds();
    this.collectMillis = thresholds.mergeCollectWindow().toMillis();
    this.candidates = candidates;
    this.rejoin = rejoin;
  }

  /** What the probe did since it was made. Any thread. */
  MeshSnapshot.MergeDetection counters() {
    return new MeshSnapshot.MergeDetection(probesSent.get(), mergesStarted.get(), rejoinsStarted.get(),
        pausesDetected.get());
  }

  @ManagedAttribute(description = "Merge probes sent to candidates outside the view and, after a pause, to members")
  public long getProbesSent() {
    return probesSent.get();
  }

  @ManagedAttribute(description = "Merges of other parts of the mesh handed to GMS")
  public long getMergesStarted() {
    return mergesStarted.get();
  }

  @ManagedAttribute(description = "Times this member left its view to join the mesh again")
  public long getRejoinsStarted() {
    return rejoinsStarted.get();
  }

  @ManagedAttribute(description = "Probe rounds that ran so late that this process must have been paused")
  public long getPausesDetected() {
    return pausesDetected.get();
  }

  @Override
  public synchronized void start() throws Exception {
    super.start();
    task = getTransport().getTimer().scheduleWithDynamicInterval(new TimeScheduler.Task() {
      @Override
      public void run() {
        round();
      }

      @Override
      public long nextInterval() {
        long interval = ThreadLocalRandom.current().nextLong(minInterval, maxInterval + 1);
        nextRoundDue = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(interval);
        return interval;
      }
    }, true); // may block: a connect to a dead candidate waits for its timeout on a pool thread
  }

  @Override
  public synchronized void stop() {
    super.stop();
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  @Override
  public Object down(Event evt) {
    if (evt.getType() == Event.VIEW_CHANGE) {
      Object ret = down_prot.down(evt);
      view = evt.getArg();
      return ret;
    }
    if (evt.getType() == Event.DISCONNECT) {
      view = null;
    }
    return down_prot.down(evt);
  }

  private PhysicalAddress physical(Address a) {
    Object p = down_prot.down(new Event(Event.GET_PHYSICAL_ADDRESS, a));
    return p instanceof PhysicalAddress pa ? pa : null;
  }

  /** Coordinator only: probe every candidate that is not one of our members. */
  private void round() {
    View v = view;
    boolean paused = nextRoundDue != 0 && System.nanoTime() - nextRoundDue > pauseNanos;
    if (v != null && local_addr != null && paused) {
      pausesDetected.incrementAndGet();
      askMembersAfterPause(v);
    }
    if (v == null || local_addr == null || !local_addr.equals(v.getCoord())) {
      return;
    }
    try {
      Collection<? extends Address> all = candidates.get();
      if (all == null || all.isEmpty()) {
        return;
      }
      Set<Address> ours = new HashSet<>(v.getMembers());
      for (Address m : v.getMembers()) {
        PhysicalAddress p = physical(m);
        if (p != null) {
          ours.add(p);
        }
      }
      if (answered) {
        answered = false;
        backoff.clear(); // another part answered: probe every candidate eagerly again
      }
      List<Address> targets = new ArrayList<>();
      for (Address target : all) {
        if (ours.contains(target)) {
          continue;
        }
        int[] b = backoff.computeIfAbsent(target, t -> new int[] {0, 1});
        if (b[0] > 0) {
          b[0]--;
          continue;
        }
        targets.add(target);
      }
      backoff.keySet().retainAll(all);
      java.util.Collections.shuffle(targets);
      if (targets.isEmpty()) {
        return;
      }
      byte[] payload = describe(v);
      for (Address target : targets.subList(0, Math.min(maxProbesPerRound, targets.size()))) {
        int[] b = backoff.get(target);
        b[0] = b[1];
        b[1] = Math.min(maxBackoffRounds, b[1] * 2);
        probesSent.incrementAndGet();
        // The connect to a dead or frozen candidate (its timeout, then the handshake's) happens on the
        // candidate's own sender thread (MeshStack's per-destination bundler), never on the one that
        // carries the members' heartbeats. (JGroups 5 ignores DONT_BUNDLE: every message is bundled.)
        down_prot.down(new BytesMessage(target, payload).putHeader(id, new ProbeHeader(PROBE))
            .setFlag(Message.Flag.OOB));
      }
    } catch (RuntimeException e) {
      log.warn("%s: merge probe round failed: %s", local_addr, e);
    }
  }

  /**
   * This process was paused (SIGSTOP, a frozen VM): the others have probably excluded it, and nothing
   * would tell it so (they closed their connections gracefully, which raises no suspicion, and
   * VERIFY_SUSPECT2 finds them alive), only the coordinator's merge probe, which may be a minute away
   * by its backoff. So it asks the members of its own view (oldest first: the coordinator, or the one
   * that took over) with a probe; one that no longer holds it answers with its view, and
   * {@link #handle} then rejoins. Members that still hold it ignore the probe.
   */
  private void askMembersAfterPause(View v) {
    log.info("%s: this process was paused for longer than failure detection waits; asking the members of %s"
        + " whether they still hold it", local_addr, v.getViewId());
    byte[] payload = describe(v);
    int asked = 0;
    for (Address member : v.getMembers()) {
      if (member.equals(local_addr) || asked == maxProbesPerRound) {
        continue;
      }
      asked++;
      probesSent.incrementAndGet();
      down_prot.down(new BytesMessage(member, payload).putHeader(id, new ProbeHeader(PROBE)).setFlag(Message.Flag.OOB));
    }
  }

  /**
   * Our view plus each member's physical address. (Its node name travels in the address itself; a
   * name field is still written, as older members read one, and ignored when read.)
   */
  private byte[] describe(View v) {
    try {
      ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64 + v.size() * 48);
      // As a plain View: a MergeView would add its subgroups, which the reader does not expect.
      new View(v.getViewId(), v.getMembers()).writeTo(out);
      out.writeInt(v.size());
      for (Address m : v.getMembers()) {
        Util.writeAddress(m, out);
        Bits.writeString(NodeAddress.nodeName(m).orElse(null), out); // null-safe, unlike Util.writeString
        Util.writeAddress(physical(m), out);
      }
      return java.util.Arrays.copyOf(out.buffer(), out.position());
    } catch (Exception e) {
      throw new IllegalStateException("could not describe view " + v.getViewId(), e);
    }
  }

  @Override
  public Object up(Message msg) {
    ProbeHeader h = msg.getHeader(id);
    if (h == null) {
      return up_prot.up(msg);
    }
    handle(h.type, msg);
    return null;
  }

  @Override
  public void up(MessageBatch batch) {
    for (Iterator<Message> it = batch.iterator(); it.hasNext(); ) {
      Message m = it.next();
      ProbeHeader h = m.getHeader(id);
      if (h != null) {
        it.remove();
        handle(h.type, m);
      }
    }
    if (!batch.isEmpty()) {
      up_prot.up(batch);
    }
  }

  private void handle(byte type, Message msg) {
    View mine = view;
    if (mine == null || local_addr == null) {
      return; // still joining: nothing to merge yet
    }
    View other;
    try {
      ByteArrayDataInputStream in = new ByteArrayDataInputStream(msg.getArray(), msg.getOffset(), msg.getLength());
      other = new View();
      other.readFrom(in);
      int n = in.readInt();
      if (n < 0 || n > 100_000) {
        throw new IllegalArgumentException("member count " + n);
      }
      List<Tuple<Address, PhysicalAddress>> addrs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Address a = Util.readAddress(in);
        Bits.readString(in); // the name a member's address carries, written for older members
        Address p = Util.readAddress(in);
        if (a != null && p instanceof PhysicalAddress pa) {
          addrs.add(new Tuple<>(a, pa));
        }
      }
      if (other.getCoord() == null || other.getViewId().equals(mine.getViewId())) {
        return;
      }
      if (!other.containsMember(local_addr) && mine.containsMember(other.getCoord())) {
        // The mesh went on without us (a false suspicion under load, a view we never got, a partition
        // of the coordinator healed) while our view still holds its coordinator, so neither side would
        // ever see a partition: GMS drops views that do not hold us, and VERIFY_SUSPECT2 finds everyone
        // alive. A member leads a view without us, so ours is the stale one, whichever view number is
        // higher: both sides of a split count on from the same number, and the cut coordinator may have
        // installed more views than the rest. Only one side can find this (the other's view holds the
        // coordinator that leads it), so the two never rejoin each other in turn.
        rejoinOnce(mine, "the mesh's view " + other.getViewId() + " no longer holds us while ours is "
            + mine.getViewId() + "; joining again");
        return;
      }
      if (type == PROBE && !mine.containsMember(msg.getSrc()) && other.containsMember(local_addr)) {
        // The prober was excluded without knowing it (it was paused): our view tells it so.
        down_prot.down(new BytesMessage(msg.getSrc(), describe(mine)).putHeader(id, new ProbeHeader(REPLY))
            .setFlag(Message.Flag.OOB));
        return;
      }
      if (mine.containsMember(other.getCoord()) || other.containsMember(local_addr)) {
        return; // the same mesh, one side's view only lagging behind
      }
      addrs.forEach(t -> down_prot.down(new Event(Event.ADD_PHYSICAL_ADDRESS, t)));
      if (mine.size() == 1 && other.size() > 1) {
        // Alone against a mesh: a JOIN (one coordinator, one view) is far cheaper than a merge, which
        // fetches a digest from every member of the other side and, under load, can lose most of them.
        rejoinOnce(mine, "found the mesh " + other.getViewId() + " (" + other.size() + " members) while alone;"
            + " joining it");
        return;
      }
    } catch (Exception e) {
      log.warn("%s: dropped a malformed merge probe from %s: %s", local_addr, msg.getSrc(), e);
      return;
    }
    log.debug("%s: %s from %s shows another part of the mesh: %s", local_addr,
        type == PROBE ? "probe" : type == REPLY ? "reply" : "forwarded probe", msg.getSrc(), other);
    if (type == PROBE) {
      down_prot.down(new BytesMessage(msg.getSrc(), describe(mine)).putHeader(id, new ProbeHeader(REPLY))
          .setFlag(Message.Flag.OOB));
    }
    answered = true;
    if (local_addr.equals(mine.getCoord())) {
      collect(other);
    } else if (type == PROBE) {
      down_prot.down(new BytesMessage(mine.getCoord(), msg.getArray(), msg.getOffset(), msg.getLength())
          .putHeader(id, new ProbeHeader(FORWARD)).setFlag(Message.Flag.OOB));
    }
  }

  /** Gathers the other parts found within a short window, so GMS merges them in one go. */
  private void collect(View other) {
    synchronized (this) {
      collected.put(other.getCoord(), other);
      if (flush == null) {
        flush = getTransport().getTimer().schedule(this::flushMerge, collectMillis, java.util.concurrent.TimeUnit.MILLISECONDS,
            false);
      }
    }
  }

  private void flushMerge() {
    Map<Address, View> views;
    synchronized (this) {
      views = new java.util.HashMap<>(collected);
      collected.clear();
      flush = null;
    }
    View mine = view;
    if (mine == null || local_addr == null || !local_addr.equals(mine.getCoord())) {
      return;
    }
    views.keySet().removeIf(mine::containsMember); // merged meanwhile
    if (mine.size() > 1) {
      views.values().removeIf(o -> o.size() == 1); // a lone member joins us by itself (see handle)
    }
    if (views.isEmpty()) {
      return;
    }
    views.put(local_addr, mine);
    log.debug("%s: asking GMS to merge %s", local_addr, views.values());
    mergesStarted.incrementAndGet();
    up_prot.up(new Event(Event.MERGE, views));
  }

  /** Asks the mesh to join again, once per view of ours. */
  private void rejoinOnce(View mine, String why) {
    synchronized (this) {
      if (mine == leftView) {
        return;
      }
      leftView = mine;
    }
    log.info("%s: %s", local_addr, why);
    rejoinsStarted.incrementAndGet();
    rejoin.accept(why);
  }

  /** PROBE (coordinator to a candidate), REPLY (back to the prober), FORWARD (to the receiver's coordinator). */
  public static final class ProbeHeader extends Header {
    private byte type;

    public ProbeHeader() {}

    ProbeHeader(byte type) {
      this.type = type;
    }

    @Override
    public short getMagicId() {
      return HEADER_MAGIC;
    }

    @Override
    public Supplier<? extends Header> create() {
      return ProbeHeader::new;
    }

    @Override
    public int serializedSize() {
      return 1;
    }

    @Override
    public void writeTo(DataOutput out) throws java.io.IOException {
      out.writeByte(type);
    }

    @Override
    public void readFrom(DataInput in) throws java.io.IOException {
      type = in.readByte();
    }

    @Override
    public String toString() {
      return type == PROBE ? "probe" : type == REPLY ? "reply" : "forward";
    }
  }
}
