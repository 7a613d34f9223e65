package io.weft.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.plan.RouteArbitraries.Actual;
import io.weft.core.plan.RouteArbitraries.Desired;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class RouteDiffPropertyTest {
  @Property(tries = 1000)
  void applyingTheDiffConverges(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual) {
    RouteDiff diff = RouteDiff.between(desired, actual);
    List<Route> after = SimulatedKernel.apply(actual, diff);
    RouteDiff again = RouteDiff.between(desired, after);

    assertTrue(again.isEmpty(), () -> "not converged: " + again + " after " + diff);
    assertEquals(diff.conflicts(), again.conflicts());
    for (RouteStatus row : RouteDiff.status(desired, after)) {
      assertTrue(row.state() == RouteStatus.State.INSTALLED || row.state() == RouteStatus.State.FOREIGN,
          () -> "after apply: " + row);
    }
  }

  @Property(tries = 1000)
  void foreignRoutesAreNeverTouched(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual) {
    RouteDiff diff = RouteDiff.between(desired, actual);

    diff.toDelete().forEach(r -> assertTrue(r.isWeft(), () -> "deletes a foreign route: " + r));
    diff.toReplace().forEach(r -> assertTrue(desired.contains(r), () -> "replaces with an undesired route: " + r));
    List<Route> after = new ArrayList<>(SimulatedKernel.apply(actual, diff));
    for (Route r : actual) {
      if (!r.isWeft()) {
        assertTrue(after.remove(r), () -> "foreign route lost: " + r);
      }
    }
    for (Route r : diff.toAdd()) {
      assertFalse(actual.stream().anyMatch(a -> a.key().equals(r.key())), () -> "adds over an existing route: " + r);
    }
  }

  @Property(tries = 1000)
  void diffIsIdempotentAndOrderFree(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual, @ForAll Random random) {
    RouteDiff diff = RouteDiff.between(desired, actual);
    List<Route> after = SimulatedKernel.apply(actual, diff);

    assertEquals(after, SimulatedKernel.apply(after, RouteDiff.between(desired, after)), "second pass changes nothing");
    List<Route> shuffledDesired = new ArrayList<>(desired);
    List<Route> shuffledActual = new ArrayList<>(actual);
    Collections.shuffle(shuffledDesired, random);
    Collections.shuffle(shuffledActual, random);
    assertEquals(diff, RouteDiff.between(shuffledDesired, shuffledActual));
    assertEquals(RouteDiff.status(desired, actual), RouteDiff.status(shuffledDesired, shuffledActual));
  }

  @Property(tries = 1000)
  void statusAccountsForEveryDesiredAndEveryOwnRoute(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll(supplier = Actual.class) List<Route> actual) {
    List<RouteStatus> rows = RouteDiff.status(desired, actual);
    Map<Route.RouteKey, Route> wanted = new LinkedHashMap<>();
    desired.forEach(r -> wanted.put(r.key(), r));

    assertEquals(desired.size(), rows.stream().filter(r -> r.desired() != null).count());
    long ours = actual.stream().filter(Route::isWeft).count();
    long installed = rows.stream().filter(r -> r.state() == RouteStatus.State.INSTALLED).count();
    long foreignWithOursMatching = rows.stream().filter(r -> r.state() == RouteStatus.State.FOREIGN)
        .filter(r -> actual.stream().anyMatch(a -> a.isWeft() && RouteDiff.sameForwarding(r.desired(), a)
            && a.key().equals(r.key())))
        .count();
    long stale = rows.stream().filter(r -> r.state() == RouteStatus.State.STALE).count();
    assertEquals(ours, installed + foreignWithOursMatching + stale, () -> "own routes unaccounted: " + rows);
  }
}
