package io.weft.gossip;

import static org.awaitility.Awaitility.await;

import io.weft.core.model.PeerState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * Two halves of several members each (a real merge, not a lone member joining again) find each other
 * through the coordinator-only merge probes and merge; records made in each half reach the other.
 */
class SplitMergeTest {
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  @Test
  void twoHalvesOfTwoMergeIntoOneMesh() throws Exception {
    List<JGroupsMesh> all = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      JGroupsMesh m = members.start(members.sim(i, i == 1));
      all.add(m);
      m.join(members.node(i)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
    await().atMost(Members.PATIENCE).until(() -> all.stream().allMatch(m -> m.snapshot().upPeers().size() == 3));

    members.faults(all.get(0)).isolateFrom(List.of("node-3", "node-4"));
    members.faults(all.get(1)).isolateFrom(List.of("node-3", "node-4"));
    members.faults(all.get(2)).isolateFrom(List.of("node-1", "node-2"));
    members.faults(all.get(3)).isolateFrom(List.of("node-1", "node-2"));
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> all.stream().allMatch(m -> m.snapshot().viewSize() == 2));
    // News in one half while split.
    all.get(3).publish(all.get(3).snapshot().self());

    all.forEach(m -> members.faults(m).heal());
    await().atMost(Members.PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> all.stream()
        .allMatch(m -> m.snapshot().viewSize() == 4 && m.snapshot().upPeers().size() == 3));
    long v = all.get(3).snapshot().self().version();
    await().atMost(Members.PATIENCE).until(() -> {
      var p = all.get(0).snapshot().peers().get("node-4");
      return p != null && p.state() == PeerState.UP && p.record().version() == v;
    });
  }
}
