package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.plan.RouteArbitraries.Desired;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class RouteRelevancePropertyTest {
  @Provide
  Arbitrary<Route> route() {
    return RouteArbitraries.any();
  }

  private static Map<Route.RouteKey, Route> byKey(List<Route> desired) {
    return desired.stream().collect(Collectors.toMap(Route::key, r -> r));
  }

  @Property(tries = 1000)
  void theEchoOfADesiredRouteIsNoNewsItsLossIs(@ForAll(supplier = Desired.class) List<Route> desired) {
    for (Route want : desired) {
      assertFalse(RouteRelevance.isNews(want, false, byKey(desired), CLUSTER), () -> "echo of " + want);
      assertTrue(RouteRelevance.isNews(want, true, byKey(desired), CLUSTER), () -> "lost " + want);
    }
  }

  @Property(tries = 1000)
  void anEventIsNewsExactlyWhenAReconcileWouldActOnIt(@ForAll(supplier = Desired.class) List<Route> desired,
      @ForAll("route") Route route, @ForAll boolean deleted) {
    boolean news = RouteRelevance.isNews(route, deleted, byKey(desired), CLUSTER);
    if (route.table() != Route.TABLE_MAIN) {
      assertFalse(news, "other tables are never read");
    } else if (route.isWeft()) {
      // Ours: news when the reconcile's diff at that key would differ from an empty one.
      List<Route> atKey = desired.stream().filter(d -> d.key().equals(route.key())).toList();
      List<Route> kernel = deleted ? List.of() : List.of(route);
      boolean changes = !RouteDiff.between(atKey, kernel).isEmpty();
      assertEquals(changes, news, () -> route + (deleted ? " deleted" : " changed") + " against " + atKey);
    } else {
      assertEquals(route.protocol() == Route.PROTOCOL_KERNEL || CLUSTER.overlaps(route.destination()), news);
    }
  }
}
