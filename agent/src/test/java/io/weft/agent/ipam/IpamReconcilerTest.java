package io.weft.agent.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.net.Cidr;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpamReconcilerTest {
  static final Cidr SUBNET = Cidr.parse("10.244.8.0/24");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  @TempDir Path state;

  /** A kernel whose links and namespaces the test sets, and that can fail to answer. */
  static final class FakeKernel implements IpamReconciler.Kernel {
    final Set<String> veths = new HashSet<>();
    final Set<String> netns = new HashSet<>();
    RuntimeException failure;

    @Override
    public Set<String> hostVeths() {
      if (failure != null) {
        throw failure;
      }
      return Set.copyOf(veths);
    }

    @Override
    public boolean netnsExists(String path) {
      return netns.contains(path);
    }
  }

  @Test
  void aKernelThatCannotBeReadChangesNothingAndMakesTheNodeNotReadyUntilItAnswers() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    ipam.allocate(new AttachmentKey("c1", "eth0"), "", "", Optional.empty());
    FakeKernel kernel = new FakeKernel();
    IpamHealth health = new IpamHealth(state);
    IpamReconciler reconciler = new IpamReconciler(kernel, health, CLOCK);

    kernel.failure = new IllegalStateException("netlink socket closed");
    reconciler.reconcile(ipam, "test");
    assertEquals(1, ipam.list().size(), "nothing released on a blind pass");
    assertEquals(Optional.of("IPAM reconcile failed: could not read the node's links: netlink socket closed; allocations"
        + " are not checked against the kernel until it succeeds"), health.notReady());

    kernel.failure = null;
    reconciler.reconcile(ipam, "test");
    assertEquals(List.of(), ipam.list(), "c1's veth and namespace are gone");
    assertEquals(Optional.empty(), health.notReady());
    assertEquals(1, health.releasedTotal());
    assertEquals(Optional.of(CLOCK.instant()), health.lastReconcile());
  }

  @Test
  void aDelNamesAnUnknownOwnersAddressInItsPrevResult() throws Exception {
    Ipam ipam = Ipam.open(state, SUBNET, CLOCK);
    Allocation a = ipam.allocate(new AttachmentKey("c1", "eth0"), "", "", Optional.empty());
    java.nio.file.Files.writeString(state.resolve("ipam/10.244.8.0_24/" + a.address().getHostAddress()), "{");
    Ipam reloaded = Ipam.open(state, SUBNET, CLOCK);
    IpamHealth health = new IpamHealth(state);
    IpamReconciler reconciler = new IpamReconciler(new FakeKernel(), health, CLOCK);

    reconciler.releaseNamedByDel(reloaded, new AttachmentKey("c1", "eth0"), List.of("10.244.99.2/24", "not an address"));
    assertEquals(1, reloaded.unknownOwners().size(), "addresses outside the subnet or unparsable are ignored");
    reconciler.releaseNamedByDel(reloaded, new AttachmentKey("c1", "eth0"), List.of(a.address().getHostAddress() + "/24"));
    assertEquals(List.of(), reloaded.unknownOwners());
    assertTrue(health.unknownOwners().isEmpty());
  }
}
