package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.PeerState;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen node (SIGSTOP, a paused VM) is a listening socket nobody reads: its kernel completes every TCP
 * connect, then nothing answers Weft's handshake until it times out (2 s). The coordinator probes such a
 * node for merges every few seconds. Those connects must not hold up the heartbeats to the healthy
 * members, whose failure detectors give up after 1.5 s.
 */
class FrozenPeerTest {
  private static final Logger log = LoggerFactory.getLogger(FrozenPeerTest.class);
  private static final long WATCH_MS = 15_000;

  @AutoClose
  private final Members members = new Members();

  @Test
  void probingAFrozenPeerNeverSplitsTheHealthyMembers() throws Exception {
    // Bound, never accepted from: the kernel queues connections (backlog 50) as it does for a stopped process.
    try (ServerSocket frozen = new ServerSocket()) {
      frozen.bind(new InetSocketAddress(members.ip(9), members.port), 50);
      // The coordinator remembers the frozen node from an earlier run: a merge candidate outside its view.
      new StateStore(members.stateDir(1)).writePeers(List.of(members.seed(9)));
      JGroupsMesh a = members.tcpMember(1, List.of(), cfg -> cfg);
      JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), cfg -> cfg);
      JGroupsMesh c = members.tcpMember(3, List.of(members.seed(1)), cfg -> cfg);
      a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      c.join(members.node(3)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
      List<JGroupsMesh> healthy = List.of(a, b, c);
      await().atMost(Members.PATIENCE).until(() -> healthy.stream().allMatch(m -> m.snapshot().upPeers().size() == 2));

      // The coordinator publishes a new record version every 250 ms; a member sees each one a moment
      // later. A sender stalled behind a connect to the frozen node shows as a long gap between them.
      ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
      publisher.scheduleAtFixedRate(() -> a.publish(a.snapshot().self()), 0, 250, TimeUnit.MILLISECONDS);
      List<String> downs = new ArrayList<>();
      long maxGapMs = 0;
      try {
        long seen = -1;
        long seenAt = System.nanoTime();
        long end = seenAt + TimeUnit.MILLISECONDS.toNanos(WATCH_MS);
        while (System.nanoTime() < end) {
          long version = b.snapshot().peers().get("node-1").record().version();
          long now = System.nanoTime();
          if (version != seen) {
            maxGapMs = Math.max(maxGapMs, seen < 0 ? 0 : (now - seenAt) / 1_000_000);
            seen = version;
            seenAt = now;
          }
          for (JGroupsMesh m : healthy) {
            m.snapshot().peers().values().stream().filter(p -> p.state() == PeerState.DOWN)
                .forEach(p -> downs.add(m.snapshot().self().name() + " saw " + p.name() + " down"));
          }
          Thread.sleep(10);
        }
      } finally {
        publisher.shutdownNow();
      }
      log.info("MEASURED: {} ms of merge probes to a frozen candidate: longest wait for the coordinator's next"
          + " record {} ms (published every 250 ms), healthy members seen down: {}", WATCH_MS, maxGapMs, downs.size());
      assertEquals(List.of(), downs.stream().distinct().toList(), "a frozen candidate split the healthy members");
      // A stall behind the frozen node's handshake is 2 s; the failure detector suspects after 1.5 s.
      assertTrue(maxGapMs < 1500, "the coordinator's messages waited " + maxGapMs + " ms behind the frozen node");
    }
  }
}
