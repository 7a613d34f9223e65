package io.weft.dataplane.bench;

import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.RouteOpResult;
import io.weft.dataplane.netlink.Native;
import io.weft.dataplane.netlink.TestNetns;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Not a test: syncs 10,000 routes (add, then delete) in a fresh namespace with Weft's netlink batch and
 * with {@code ip -batch}, and prints both times and the ratio; first the JVM cost of loading the jnr-ffi
 * binding. Needs root. Run (see dataplane notes):
 * {@code mvn -B -q -o -pl dataplane -Pbench test-compile exec:exec}
 */
public final class RouteSyncBenchmark {
  private static final int ROUTES = 10_000;
  private static final int WARMUP = 3;
  private static final int ROUNDS = 7;

  private RouteSyncBenchmark() {}

  public static void main(String[] args) {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long wall0 = System.nanoTime();
    Native.get();
    long loadCpu = os.getProcessCpuTime() - cpu0;
    long loadWall = System.nanoTime() - wall0;
    System.out.printf("jnr-ffi libc binding, cold JVM: %.0f ms wall, %.0f ms CPU (process, all threads)%n",
        loadWall / 1e6, loadCpu / 1e6);

    try (TestNetns ns = TestNetns.create("bench").withUplink()) {
      InetAddress gw = IpAddresses.parse("192.168.50.12");
      Cidr space = Cidr.parse("10.0.0.0/10");
      List<Route> routes = new ArrayList<>(ROUTES);
      List<String> ipAdds = new ArrayList<>(ROUTES);
      List<String> ipDels = new ArrayList<>(ROUTES);
      for (int i = 0; i < ROUTES; i++) {
        Cidr c = space.subnet(24, i);
        routes.add(Route.via(c, gw, "d0"));
        ipAdds.add("route add " + c + " via 192.168.50.12 dev d0 proto 87");
        ipDels.add("route del " + c + " proto 87");
      }
      List<RouteOp> adds = routes.stream().map(RouteOp::add).toList();
      List<RouteOp> dels = routes.stream().map(RouteOp::delete).toList();

      try (NetlinkDataplane dp = NetlinkDataplane.in(ns.path())) {
        double[] weftAdd = new double[ROUNDS];
        double[] weftDel = new double[ROUNDS];
        double[] ipAdd = new double[ROUNDS];
        double[] ipDel = new double[ROUNDS];
        for (int round = -WARMUP; round < ROUNDS; round++) {
          long t0 = System.nanoTime();
          check(dp.routes().apply(adds));
          long t1 = System.nanoTime();
          check(dp.routes().apply(dels));
          long t2 = System.nanoTime();
          ns.batch(ipAdds);
          long t3 = System.nanoTime();
          ns.batch(ipDels);
          long t4 = System.nanoTime();
          if (round == -WARMUP) {
            System.out.printf("first (cold JIT) round: weft add %.1f ms, delete %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
          }
          if (round >= 0) {
            weftAdd[round] = (t1 - t0) / 1e6;
            weftDel[round] = (t2 - t1) / 1e6;
            ipAdd[round] = (t3 - t2) / 1e6;
            ipDel[round] = (t4 - t3) / 1e6;
          }
        }
        double wa = median(weftAdd);
        double wd = median(weftDel);
        double ia = median(ipAdd);
        double id = median(ipDel);
        System.out.printf("%,d routes, median of %d rounds after %d warm-up rounds%n", ROUTES, ROUNDS, WARMUP);
        System.out.printf("  add:    weft %7.1f ms   ip -batch %7.1f ms   ratio %.2fx%n", wa, ia, ia / wa);
        System.out.printf("  delete: weft %7.1f ms   ip -batch %7.1f ms   ratio %.2fx%n", wd, id, id / wd);
        System.out.printf("  sync:   weft %7.1f ms   ip -batch %7.1f ms   ratio %.2fx%n", wa + wd, ia + id, (ia + id) / (wa + wd));
      }
    }
  }

  private static void check(List<RouteOpResult> results) {
    results.stream().filter(r -> !r.ok()).findFirst().ifPresent(r -> {
      throw r.error();
    });
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}

