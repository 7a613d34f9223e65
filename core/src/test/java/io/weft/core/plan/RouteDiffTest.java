package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.cidr;
import static io.weft.core.plan.Fixtures.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.plan.RouteStatus.State;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteDiffTest {
  private static final Route UNREACHABLE = Route.unreachable(CLUSTER);
  private static final Route TO_2 = Route.via(cidr("10.244.2.0/24"), ip("192.168.1.12"), "eth0");
  private static final Route TO_3 = Route.via(cidr("10.244.3.0/24"), ip("192.168.1.13"), "eth0");
  private static final Route TO_3_OLD = Route.via(cidr("10.244.3.0/24"), ip("192.168.1.99"), "eth0");
  private static final Route TO_9_STALE = Route.via(cidr("10.244.9.0/24"), ip("192.168.1.19"), "eth0");
  /** What `ip route add 10.244.2.0/24 via 192.168.1.2` by an operator looks like: proto boot (3). */
  private static final Route FOREIGN_2 =
      new Route(cidr("10.244.2.0/24"), Route.Type.UNICAST, ip("192.168.1.2"), "eth0", 3, Route.TABLE_MAIN);
  private static final Route DEFAULT =
      new Route(cidr("0.0.0.0/0"), Route.Type.UNICAST, ip("192.168.1.1"), "eth0", 3, Route.TABLE_MAIN);

  @Test
  void addsReplacesAndDeletesOnlyOurRoutes() {
    List<Route> desired = List.of(UNREACHABLE, TO_2, TO_3);
    List<Route> actual = List.of(DEFAULT, TO_3_OLD, TO_9_STALE);

    RouteDiff diff = RouteDiff.between(desired, actual);

    assertEquals(List.of(UNREACHABLE, TO_2), diff.toAdd());
    assertEquals(List.of(TO_3), diff.toReplace());
    assertEquals(List.of(TO_9_STALE), diff.toDelete());
    assertEquals(List.of(), diff.conflicts());
    List<Route> after = SimulatedKernel.apply(actual, diff);
    assertEquals(List.of(DEFAULT, UNREACHABLE, TO_2, TO_3), after);
    assertTrue(RouteDiff.between(desired, after).isEmpty());
  }

  @Test
  void foreignRouteAtADesiredPrefixIsAConflictAndLeftAlone() {
    RouteDiff diff = RouteDiff.between(List.of(TO_2), List.of(FOREIGN_2));

    assertEquals(List.of(new RouteConflict(TO_2, FOREIGN_2)), diff.conflicts());
    assertTrue(diff.isEmpty(), "nothing to do: the foreign route is never replaced");
  }

  @Test
  void unreachableRouteMatchesWhateverDeviceTheKernelReports() {
    Route reported = new Route(CLUSTER, Route.Type.UNREACHABLE, null, "lo", Route.PROTOCOL_WEFT, Route.TABLE_MAIN);
    assertTrue(RouteDiff.between(List.of(UNREACHABLE), List.of(reported)).isEmpty());
  }

  @Test
  void sameRouteInAnotherTableIsAnotherKey() {
    Route elsewhere = new Route(TO_2.destination(), TO_2.type(), TO_2.gateway(), TO_2.device(),
        Route.PROTOCOL_WEFT, 100);
    RouteDiff diff = RouteDiff.between(List.of(TO_2), List.of(elsewhere));
    assertEquals(List.of(TO_2), diff.toAdd());
    assertEquals(List.of(elsewhere), diff.toDelete());
  }

  @Test
  void statusExplainsEveryRow() {
    List<RouteStatus> rows = RouteDiff.status(List.of(UNREACHABLE, TO_2, TO_3),
        List.of(DEFAULT, UNREACHABLE, FOREIGN_2, TO_3_OLD, TO_9_STALE));

    assertEquals(List.of(
            new RouteStatus(UNREACHABLE.key(), State.INSTALLED, UNREACHABLE, UNREACHABLE),
            new RouteStatus(TO_2.key(), State.FOREIGN, TO_2, FOREIGN_2),
            new RouteStatus(TO_3.key(), State.MISSING, TO_3, TO_3_OLD),
            new RouteStatus(TO_3.key(), State.STALE, null, TO_3_OLD),
            new RouteStatus(TO_9_STALE.key(), State.STALE, null, TO_9_STALE)),
        rows);
  }

  @Test
  void refusesDesiredRoutesThatAreNotOurs() {
    assertThrows(IllegalArgumentException.class, () -> RouteDiff.between(List.of(FOREIGN_2), List.of()));
    assertThrows(IllegalArgumentException.class, () -> RouteDiff.between(List.of(TO_3, TO_3_OLD), List.of()));
  }
}
