package io.weft.gossip;

import io.weft.gossip.MeshSnapshot.SubnetConflict;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns mesh changes into immutable snapshots and pushes them: a change after a quiet spell is published
 * at once (a joiner's record reaches the converger without waiting), a change within the debounce interval
 * after a publication waits for the interval's end, so a burst is one snapshot. Taken on the event loop,
 * kept for {@link #latest()} (a volatile read, any thread) and handed to every listener in order. Each new
 * problem (conflict, duplicate, rejected record) is logged once, when it appears. Owned by the event loop,
 * except {@link #latest()} and {@link #add}.
 */
final class SnapshotPublisher {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);
  /** A burst of changes (a join, a merge) is two snapshots at most: its first change, then the rest. */
  private static final Duration DEBOUNCE = Duration.ofMillis(50);

  private final MeshEventLoop loop;
  private final Supplier<MeshSnapshot> take;
  private final Supplier<String> nodeName;
  private final List<MeshListener> listeners = new CopyOnWriteArrayList<>();
  private volatile MeshSnapshot latest;
  // Owned by the event loop.
  private boolean dirty;
  private boolean scheduled;
  /** System.nanoTime() of the last publication; the debounce interval counts from it. */
  private long publishedAtNanos = System.nanoTime() - DEBOUNCE.toNanos();
  private Set<String> reportedProblems = Set.of();

  /**
   * @param take     composes the snapshot of now from the mesh state (called on the loop)
   * @param nodeName this node's name for log lines, once known
   */
  SnapshotPublisher(MeshEventLoop loop, Supplier<MeshSnapshot> take, Supplier<String> nodeName) {
    this.loop = loop;
    this.take = take;
    this.nodeName = nodeName;
    this.latest = new MeshSnapshot(null, Map.of(), List.of(), List.of(), List.of(), MeshSnapshot.SeedStatus.notStarted(),
        List.of(), 0, null, MeshSnapshot.Counters.ZERO, System.currentTimeMillis());
  }

  /** The last snapshot published. Any thread; never waits. */
  MeshSnapshot latest() {
    return latest;
  }

  /** Adds a listener; it gets the current snapshot at once (on the loop), then every new one. Any thread. */
  void add(MeshListener listener) {
    listeners.add(listener);
    loop.post(() -> {
      if (dirty) {
        publishNow();
      } else {
        notifyOne(listener, latest);
      }
    });
  }

  /** Something a snapshot shows changed: one snapshot follows at once or at the debounce interval's end. */
  void changed() {
    dirty = true;
    if (scheduled) {
      return;
    }
    // Queued even when due at once: the change's own event finishes first (a Sync's records are one snapshot).
    Duration wait = DEBOUNCE.minusNanos(System.nanoTime() - publishedAtNanos);
    scheduled = loop.schedule(wait.isNegative() ? Duration.ZERO : wait, () -> {
      scheduled = false;
      if (dirty) {
        publishNow();
      }
    }) != null;
  }

  /** Takes and pushes a snapshot now (the join's completion must be visible to the caller it wakes). */
  void publishNow() {
    dirty = false;
    publishedAtNanos = System.nanoTime();
    MeshSnapshot s = take.get();
    reportProblems(s);
    latest = s;
    for (MeshListener l : listeners) {
      notifyOne(l, s);
    }
  }

  private void reportProblems(MeshSnapshot s) {
    Set<String> now = new HashSet<>();
    for (SubnetConflict c : s.conflicts()) {
      now.add("conflict:" + c.reason());
    }
    s.duplicates().forEach(d -> now.add("duplicate:" + d.reason()));
    s.rejected().forEach(r -> now.add("rejected:" + r.nodeName() + ":" + r.reason()));
    for (String p : now) {
      if (!reportedProblems.contains(p)) {
        log.warn("{}: {}", nodeName.get(), p.substring(p.indexOf(':') + 1));
      }
    }
    reportedProblems = now;
  }

  private static void notifyOne(MeshListener l, MeshSnapshot s) {
    try {
      l.onChange(s);
    } catch (RuntimeException e) {
      log.warn("mesh listener {} failed: {}", l, e.toString(), e);
    }
  }
}
