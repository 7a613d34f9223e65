package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.EntryOp;
import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.net.MacAddress;
import io.weft.core.plan.RouteArbitraries.Actual;
import io.weft.core.plan.RouteArbitraries.Desired;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ReconcilePropertyTest {
  private static final String DEV = "weft.vxlan";

  // ---- routes ----

  @Property(tries = 1000)
  void theOpsTouchOnlyOurRoutesAndConverge(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual, @ForAll Adoption adoption) {
    RouteReconcile rec = Reconcile.routes(desired, actual, adoption);
    Set<Route.RouteKey> foreignKeys = actual.stream().filter(r -> !r.isWeft()).map(Route::key)
        .collect(Collectors.toSet());
    for (RouteOp op : rec.ops()) {
      assertTrue(op.route().isWeft(), () -> "an op with a foreign route: " + op);
      if (op.kind() == RouteOp.Kind.DELETE) {
        assertTrue(actual.contains(op.route()), () -> "deletes a route it did not read: " + op);
      } else {
        assertTrue(desired.contains(op.route()), () -> "writes an undesired route: " + op);
        assertFalse(foreignKeys.contains(op.route().key()), () -> "writes over a foreign route: " + op);
      }
    }
    List<Route> after = SimulatedKernel.apply(actual, rec.ops());
    actual.stream().filter(r -> !r.isWeft()).forEach(r -> assertTrue(after.contains(r), () -> "lost " + r));
    RouteReconcile again = Reconcile.routes(desired, after, adoption);
    assertEquals(List.of(), again.ops(), "a second pass changes nothing");
    assertEquals(rec.kept(), again.kept());
    assertEquals(RouteDiff.status(desired, after), rec.statusAfter(List.of()),
        "the status follows from the acknowledged ops");
  }

  @Property(tries = 1000)
  void adoptionKeepsExactlyOurRoutesAtPrefixesNobodyWants(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual) {
    Set<Route.RouteKey> wanted = desired.stream().map(Route::key).collect(Collectors.toSet());
    List<Route> unclaimed = actual.stream().filter(r -> r.isWeft() && !wanted.contains(r.key())).toList();

    RouteReconcile holding = Reconcile.routes(desired, actual, Adoption.HOLDING);
    assertEquals(Set.copyOf(unclaimed), Set.copyOf(holding.kept()));
    holding.ops().stream().filter(op -> op.kind() == RouteOp.Kind.DELETE)
        .forEach(op -> assertTrue(wanted.contains(op.route().key()), () -> "deletes an unclaimed route: " + op));

    RouteReconcile ended = Reconcile.routes(desired, actual, Adoption.ENDED);
    assertEquals(List.of(), ended.kept());
    List<Route> after = SimulatedKernel.apply(actual, ended.ops());
    assertTrue(after.stream().noneMatch(r -> r.isWeft() && !wanted.contains(r.key())), () -> "left: " + after);
    // Adoption changes only which unclaimed routes go; the desired ones are written either way.
    assertEquals(ended.ops().stream().filter(op -> op.kind() != RouteOp.Kind.DELETE).toList(),
        holding.ops().stream().filter(op -> op.kind() != RouteOp.Kind.DELETE).toList());
  }

  @Property(tries = 500)
  void aRefusedOpLeavesItsRowAsTheKernelHadIt(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual) {
    RouteReconcile rec = Reconcile.routes(desired, actual, Adoption.ENDED);
    assertEquals(RouteDiff.status(desired, actual), rec.statusAfter(rec.ops()), "nothing acknowledged");
    for (RouteOp op : rec.ops()) {
      if (op.kind() != RouteOp.Kind.DELETE) {
        RouteStatus row = rec.statusAfter(List.of(op)).stream()
            .filter(r -> r.desired() != null && r.key().equals(op.route().key())).findFirst().orElseThrow();
        assertEquals(RouteStatus.State.MISSING, row.state(), () -> "refused " + op + " yet " + row);
      }
    }
  }

  // ---- tunnel entries ----

  @Provide
  Arbitrary<List<TunnelEndpoint>> peers() {
    // Node IPs 192.168.2.1..6 with pod subnets 0..5: one node IP now and then under two subnets.
    return Combinators.combine(Arbitraries.integers().between(1, 6), Arbitraries.integers().between(0, 5))
        .as((host, subnet) -> TunnelEndpoint.of(Fixtures.node("n" + subnet, ip("192.168.2." + host),
            Fixtures.podSubnet(subnet))))
        .list().ofMaxSize(6).uniqueElements(TunnelEndpoint::podSubnet);
  }

  @Provide
  Arbitrary<List<Neighbour>> neighbours() {
    return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(1, 7),
            Arbitraries.of(true, true, false), Arbitraries.of(87, 87, 0, 4))
        .as((subnet, host, permanent, protocol) -> new Neighbour(DEV, TunnelEndpoint.vtepIp(
            Fixtures.podSubnet(subnet)), TunnelEndpoint.vtepMac(ip("192.168.2." + host)), permanent, protocol))
        .list().ofMaxSize(8).uniqueElements(Neighbour::address);
  }

  @Provide
  Arbitrary<List<FdbEntry>> fdb() {
    return Combinators.combine(Arbitraries.integers().between(1, 7), Arbitraries.integers().between(0, 7),
            Arbitraries.of(true, true, false))
        .as((host, dst, permanent) -> new FdbEntry(DEV, TunnelEndpoint.vtepMac(ip("192.168.2." + host)),
            dst == 0 ? null : ip("192.168.2." + dst), permanent))
        .list().ofMaxSize(8).uniqueElements(f -> List.of(f.mac(), String.valueOf(f.destination())));
  }

  @Property(tries = 1000)
  void neighbourOpsLeaveExactlyThePeersEntries(@ForAll("peers") List<TunnelEndpoint> peers,
      @ForAll("neighbours") List<Neighbour> actual, @ForAll Adoption adoption) {
    List<EntryOp<Neighbour>> ops = Reconcile.neighbours(DEV, peers, actual, adoption);
    List<Neighbour> after = applyNeighbours(actual, ops);
    for (TunnelEndpoint p : peers) {
      assertTrue(after.contains(new Neighbour(DEV, p.vtepIp(), p.vtepMac(), true, Route.PROTOCOL_WEFT)),
          () -> "no entry for " + p + " in " + after);
    }
    Set<InetAddress> wanted = peers.stream().map(TunnelEndpoint::vtepIp).collect(Collectors.toSet());
    if (adoption == Adoption.ENDED) {
      assertEquals(wanted.size(), after.size(), () -> "unclaimed entries left: " + after);
    } else {
      assertTrue(ops.stream().noneMatch(op -> op.kind() == EntryOp.Kind.DELETE), "no delete while adopting");
    }
    assertEquals(List.of(), Reconcile.neighbours(DEV, peers, after, adoption), "a second pass changes nothing");
  }

  @Property(tries = 1000)
  void fdbOpsLeaveExactlyThePeersEntries(@ForAll("peers") List<TunnelEndpoint> peers,
      @ForAll("fdb") List<FdbEntry> actual, @ForAll Adoption adoption) {
    List<EntryOp<FdbEntry>> ops = Reconcile.fdb(DEV, peers, actual, adoption);
    List<FdbEntry> after = applyFdb(actual, ops);
    Set<MacAddress> wantedMacs = new HashSet<>();
    for (TunnelEndpoint p : peers) {
      wantedMacs.add(p.vtepMac());
      assertTrue(after.contains(new FdbEntry(DEV, p.vtepMac(), p.nodeIp(), true)), () -> "no entry for " + p);
    }
    for (FdbEntry f : after) {
      // A desired MAC points nowhere else, adopting or not; an unclaimed MAC stays only while adopting.
      boolean claimed = wantedMacs.contains(f.mac());
      assertTrue(claimed ? peers.stream().anyMatch(p -> p.vtepMac().equals(f.mac()) && p.nodeIp().equals(
          f.destination())) : adoption == Adoption.HOLDING, () -> "left " + f + " in " + after);
    }
    assertEquals(List.of(), Reconcile.fdb(DEV, peers, after, adoption), "a second pass changes nothing");
  }

  /** The kernel's neighbour table: a replace sets the entry for its address, a delete removes it. */
  private static List<Neighbour> applyNeighbours(List<Neighbour> actual, List<EntryOp<Neighbour>> ops) {
    List<Neighbour> table = new ArrayList<>(actual);
    for (EntryOp<Neighbour> op : ops) {
      table.removeIf(n -> n.address().equals(op.entry().address()));
      if (op.kind() == EntryOp.Kind.REPLACE) {
        table.add(op.entry());
      }
    }
    return table;
  }

  /**
   * A VXLAN device's FDB: a replace sets the MAC's entry with no destination or the same one (an entry with
   * another destination stays until deleted), a delete removes the entry it names.
   */
  private static List<FdbEntry> applyFdb(List<FdbEntry> actual, List<EntryOp<FdbEntry>> ops) {
    List<FdbEntry> table = new ArrayList<>(actual);
    for (EntryOp<FdbEntry> op : ops) {
      FdbEntry e = op.entry();
      if (op.kind() == EntryOp.Kind.REPLACE) {
        table.removeIf(f -> f.mac().equals(e.mac())
            && (f.destination() == null || f.destination().equals(e.destination())));
        table.add(e);
      } else {
        table.remove(e);
      }
    }
    return table;
  }
}
