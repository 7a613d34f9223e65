package io.weft.core.plan;

import static io.weft.core.plan.Fixtures.CLUSTER;
import static io.weft.core.plan.Fixtures.ip;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ArbitrarySupplier;
import net.jqwik.api.Combinators;

/** Desired and kernel routes for the route property tests: few keys, so routes collide often. */
final class RouteArbitraries {
  private RouteArbitraries() {}

  /** Destinations 0..7 are pod subnets, 8 is the whole cluster. */
  private static Cidr destination(int index) {
    return index == 8 ? CLUSTER : Fixtures.podSubnet(index);
  }

  private static Route route(int dest, boolean unreachable, int gateway, String device, int protocol, int table) {
    Cidr d = destination(dest);
    return unreachable
        ? new Route(d, Route.Type.UNREACHABLE, null, null, protocol, table)
        : new Route(d, Route.Type.UNICAST, ip("192.168.1." + gateway), device, protocol, table);
  }

  /** Weft's wanted routes: protocol 87, table main, one per key. */
  static Arbitrary<List<Route>> desired() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 8), Arbitraries.of(true, false),
            Arbitraries.integers().between(1, 3), Arbitraries.of("eth0", "eth1"))
        .as((d, u, g, dev) -> route(d, u, g, dev, Route.PROTOCOL_WEFT, Route.TABLE_MAIN))
        .list().ofMaxSize(9).uniqueElements(Route::key);
  }

  /** A kernel table: 2 kernel, 3 boot, 4 static, 87 weft; table 100 now and then; several at one key. */
  static Arbitrary<List<Route>> actual() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 8), Arbitraries.of(true, false),
            Arbitraries.integers().between(1, 3), Arbitraries.of("eth0", "eth1", "lo"),
            Arbitraries.of(2, 3, 4, 87, 87, 87), Arbitraries.of(254, 254, 254, 100))
        .as(RouteArbitraries::route)
        .list().ofMaxSize(12);
  }

  /** A single route of either kind, for events. */
  static Arbitrary<Route> any() {
    return actual().filter(l -> !l.isEmpty()).map(l -> l.get(0));
  }

  /** For {@code @ForAll(supplier = RouteArbitraries.Desired.class)}. */
  static final class Desired implements ArbitrarySupplier<List<Route>> {
    @Override
    public Arbitrary<List<Route>> get() {
      return desired();
    }
  }

  /** For {@code @ForAll(supplier = RouteArbitraries.Actual.class)}. */
  static final class Actual implements ArbitrarySupplier<List<Route>> {
    @Override
    public Arbitrary<List<Route>> get() {
      return actual();
    }
  }
}
