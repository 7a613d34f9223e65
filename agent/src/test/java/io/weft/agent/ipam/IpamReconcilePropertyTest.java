package io.weft.agent.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The reconcile decision over random nodes: allocations whose veth and namespace are each there or not,
 * plus veths of pods whose record is unreadable or of ADDs that died before their allocation.
 */
class IpamReconcilePropertyTest {
  private static final Cidr SUBNET = Cidr.parse("10.244.7.0/24");

  /** One allocation and what the kernel shows of its pod. */
  record Pod(Allocation allocation, boolean vethPresent, boolean netnsPresent) {}

  /** A node: its allocations, and host veths that belong to none of them. */
  record Node(List<Pod> pods, Set<String> strangerVeths) {
    List<Allocation> allocations() {
      return pods.stream().map(Pod::allocation).toList();
    }

    IpamReconcile.Evidence evidence() {
      Set<String> veths = new HashSet<>(strangerVeths);
      Set<String> netns = new HashSet<>();
      for (Pod p : pods) {
        if (p.vethPresent()) {
          veths.add(p.allocation().key().hostInterfaceName());
        }
        if (p.netnsPresent() && !p.allocation().netns().isEmpty()) {
          netns.add(p.allocation().netns());
        }
      }
      return new IpamReconcile.Evidence(veths, netns);
    }
  }

  @Provide
  Arbitrary<Node> nodes() {
    Arbitrary<List<Pod>> pods = Arbitraries.integers().between(0, 40).flatMap(n -> {
      List<Arbitrary<Pod>> each = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int offset = i + 2;
        each.add(Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false))
            .as((veth, netns, recorded) -> new Pod(new Allocation("c" + offset, "eth0", SUBNET.host(offset), "",
                recorded ? "/var/run/netns/p" + offset : "", Instant.EPOCH), veth, netns)));
      }
      return Combinators.combine(each).as(List::copyOf);
    });
    Arbitrary<Set<String>> strangers = Arbitraries.integers().between(0, 3)
        .map(n -> {
          Set<String> s = new HashSet<>();
          for (int i = 0; i < n; i++) {
            s.add(new AttachmentKey("stranger" + i, "eth0").hostInterfaceName());
          }
          return s;
        });
    return Combinators.combine(pods, strangers).as(Node::new);
  }

  @Property(tries = 1000)
  void releasesExactlyThePodsWithNeitherVethNorNamespace(@ForAll("nodes") Node node) {
    IpamReconcile.Decision d = IpamReconcile.decide(node.allocations(), node.evidence());
    for (Pod p : node.pods()) {
      boolean gone = !p.vethPresent() && (p.allocation().netns().isEmpty() || !p.netnsPresent());
      assertEquals(gone, d.release().contains(p.allocation()), () -> "decision for " + p);
      assertEquals(!gone, d.keep().contains(p.allocation()), () -> "decision for " + p);
    }
    assertEquals(node.pods().size(), d.release().size() + d.keep().size(), "every allocation decided once");
  }

  @Property(tries = 1000)
  void neverReleasesAnAllocationWhoseVethOrNamespaceExists(@ForAll("nodes") Node node) {
    IpamReconcile.Decision d = IpamReconcile.decide(node.allocations(), node.evidence());
    for (Allocation a : d.release()) {
      assertFalse(node.evidence().hostVeths().contains(a.key().hostInterfaceName()), () -> "released with its veth: " + a);
      assertFalse(node.evidence().presentNetns().contains(a.netns()), () -> "released with its namespace: " + a);
    }
  }

  @Property(tries = 1000)
  void unreadableRecordsAreFreedOnlyWhenEveryVethIsAccountedFor(@ForAll("nodes") Node node) {
    IpamReconcile.Decision d = IpamReconcile.decide(node.allocations(), node.evidence());
    assertEquals(node.strangerVeths(), d.unaccounted());
    assertEquals(node.strangerVeths().isEmpty(), d.releaseUnknown());
  }

  @Property(tries = 300)
  void aSecondPassOverTheKeptAllocationsReleasesNothing(@ForAll("nodes") Node node) {
    IpamReconcile.Decision first = IpamReconcile.decide(node.allocations(), node.evidence());
    IpamReconcile.Decision second = IpamReconcile.decide(first.keep(), node.evidence());
    assertTrue(second.release().isEmpty(), "the decision is stable");
    assertEquals(first.keep(), second.keep());
  }
}
