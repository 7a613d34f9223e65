package io.weft.gossip;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh's actor: one thread that owns every piece of mesh state (records, view, subnet agreement, peer
 * memory, snapshots). Every other thread (JGroups' callbacks, the connector, callers of the public API)
 * only posts events to it. An event that throws is logged and the loop goes on.
 */
final class MeshEventLoop {
  private static final Logger log = LoggerFactory.getLogger(MeshEventLoop.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(10);

  private final ScheduledExecutorService events;
  private volatile Thread thread;

  MeshEventLoop(String id) {
    this.events = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weft-mesh-events-" + id);
      t.setDaemon(true);
      thread = t;
      return t;
    });
  }

  /** Runs {@code event} on the loop, after the events posted before it; dropped once the loop stopped. */
  void post(Runnable event) {
    try {
      events.execute(() -> guarded(event));
    } catch (RejectedExecutionException e) {
      // stopped: late JGroups callbacks have nowhere to go
    }
  }

  /** Runs {@code event} on the loop after {@code delay}; null once the loop stopped. */
  ScheduledFuture<?> schedule(Duration delay, Runnable event) {
    try {
      return events.schedule(() -> guarded(event), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /** Runs {@code event} on the loop every {@code period}. */
  void every(Duration period, Runnable event) {
    events.scheduleWithFixedDelay(() -> guarded(event), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isLoopThread() {
    return Thread.currentThread() == thread;
  }

  /**
   * Runs {@code last} on the loop and stops it; waits for that when called from another thread (the
   * mesh's leave is synchronous for its callers).
   */
  void stop(Runnable last) {
    if (isLoopThread()) {
      last.run();
      events.shutdown();
      return;
    }
    try {
      events.submit(() -> guarded(last)).get(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("mesh did not stop cleanly: {}", e.toString());
    }
    events.shutdown();
    try {
      events.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("mesh event failed: {}", e.toString(), e);
    }
  }
}
