package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jgroups.Address;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

/** Who heartbeats whom on the ring. */
class RingFailureDetectorTest {
  private static List<Address> members(int n) {
    List<Address> m = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      m.add(new UUID(0, i + 1));
    }
    return m;
  }

  @Test
  void eachMemberHeartbeatsItsKSuccessorsAndIsWatchedByItsKPredecessors() {
    List<Address> m = members(5);
    assertEquals(List.of(m.get(3), m.get(4)), RingFailureDetector.neighbours(m, m.get(2), 2, 1));
    assertEquals(List.of(m.get(1), m.get(0)), RingFailureDetector.neighbours(m, m.get(2), 2, -1));
    // wraps around the ring
    assertEquals(List.of(m.get(0), m.get(1)), RingFailureDetector.neighbours(m, m.get(4), 2, 1));
    assertEquals(List.of(m.get(4), m.get(3)), RingFailureDetector.neighbours(m, m.get(0), 2, -1));
  }

  @Test
  void everyMemberIsWatchedByExactlyKOthersWhateverTheMeshSize() {
    for (int n : new int[] {2, 3, 4, 10, 301}) {
      List<Address> m = members(n);
      Map<Address, Integer> watchers = new HashMap<>();
      for (Address a : m) {
        for (Address s : RingFailureDetector.neighbours(m, a, 2, 1)) {
          watchers.merge(s, 1, Integer::sum);
        }
        // what a member sends does not grow with the mesh
        assertEquals(Math.min(2, n - 1), RingFailureDetector.neighbours(m, a, 2, 1).size());
      }
      for (Address a : m) {
        assertEquals(Math.min(2, n - 1), watchers.get(a), "watchers of a member at N=" + n);
      }
    }
  }

  @Test
  void aMemberOutsideTheViewWatchesNobodyAndAViewOfOneHasNoNeighbours() {
    List<Address> m = members(3);
    assertEquals(List.of(), RingFailureDetector.neighbours(m, new UUID(9, 9), 2, 1));
    assertEquals(List.of(), RingFailureDetector.neighbours(m.subList(0, 1), m.get(0), 2, 1));
  }

  @Test
  void settingsThatCannotDetectAnythingAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new RingFailureDetector(0, 500, 1500, 3));
    assertThrows(IllegalArgumentException.class, () -> new RingFailureDetector(2, 500, 500, 3));
  }
}
