package io.weft.core.plan;

import io.weft.core.model.EntryOp;
import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The kernel changes that take what Weft read to what it wants, for the kernel objects the convergence loop
 * reconciles one by one: the routes of the main table and the tunnel device's neighbour and FDB entries.
 * Pure; the loop reads the kernel, calls these, and hands the operations to the dataplane's verbs.
 *
 * <p>The rules, each stated here once:
 * <ul>
 *   <li><b>Ownership.</b> A route is Weft's when it carries {@link Route#PROTOCOL_WEFT}; no operation ever
 *       replaces or deletes another route ({@link RouteDiff}: a foreign route at a desired prefix is a
 *       conflict, left alone). Neighbour and FDB entries are read from Weft's own device only.</li>
 *   <li><b>Adoption.</b> While {@link Adoption#HOLDING}, ours that nothing desired claims stay: a route at
 *       a prefix no peer wants, a neighbour entry for an address no peer wants, an FDB entry for a MAC no
 *       peer wants. What is desired is still written, and a second route of ours at a desired prefix, or
 *       an FDB entry of a desired MAC pointing elsewhere, still goes: those are claimed, just wrong.</li>
 *   <li><b>Tunnel entries.</b> Per tunnel peer a permanent neighbour {@code VTEP-IP lladdr VTEP-MAC proto
 *       87} and a permanent FDB entry {@code VTEP-MAC dst NODE-IP}; an entry that differs in any of those
 *       is written again.</li>
 * </ul>
 */
public final class Reconcile {
  private Reconcile() {}

  /**
   * The route operations, deletes first (a prefix freed before another is taken), then replaces, then adds.
   *
   * @param desired Weft's wanted routes: all protocol 87, at most one per key
   * @param actual  the kernel's routes, any protocol, any order
   * @throws IllegalArgumentException when a desired route is not protocol 87 or two share a key
   */
  public static RouteReconcile routes(Collection<Route> desired, Collection<Route> actual, Adoption adoption) {
    RouteDiff diff = RouteDiff.between(desired, actual);
    Set<Route.RouteKey> wanted = desired.stream().map(Route::key).collect(Collectors.toSet());
    List<Route> kept = adoption == Adoption.HOLDING
        ? diff.toDelete().stream().filter(r -> !wanted.contains(r.key())).toList() : List.of();
    List<RouteOp> ops = new ArrayList<>();
    diff.toDelete().stream().filter(r -> !kept.contains(r)).forEach(r -> ops.add(RouteOp.delete(r)));
    diff.toReplace().forEach(r -> ops.add(RouteOp.replace(r)));
    diff.toAdd().forEach(r -> ops.add(RouteOp.add(r)));
    return new RouteReconcile(List.copyOf(desired), List.copyOf(actual), ops, kept, diff.conflicts());
  }

  /**
   * The neighbour entries of tunnel device {@code device}: replaces for the peers' entries that are missing
   * or differ, then (adoption over) deletes of the entries no peer needs.
   *
   * @param actual the device's IPv4 neighbour entries
   */
  public static List<EntryOp<Neighbour>> neighbours(String device, Collection<TunnelEndpoint> peers,
      Collection<Neighbour> actual, Adoption adoption) {
    Map<InetAddress, Neighbour> want = new LinkedHashMap<>();
    peers.forEach(p -> want.put(p.vtepIp(), new Neighbour(device, p.vtepIp(), p.vtepMac(), true,
        Route.PROTOCOL_WEFT)));
    Map<InetAddress, Neighbour> have = new LinkedHashMap<>();
    actual.forEach(n -> have.put(n.address(), n));
    List<EntryOp<Neighbour>> ops = new ArrayList<>();
    for (Neighbour n : want.values()) {
      Neighbour found = have.get(n.address());
      if (found == null || !n.mac().equals(found.mac()) || !found.permanent() || found.protocol() != n.protocol()) {
        ops.add(EntryOp.replace(n));
      }
    }
    if (adoption == Adoption.ENDED) {
      have.values().stream().filter(n -> !want.containsKey(n.address())).forEach(n -> ops.add(EntryOp.delete(n)));
    }
    return ops;
  }

  /**
   * The FDB entries of tunnel device {@code device}, keyed by MAC (two records announcing one node IP share
   * one entry: their VTEP MAC is the same): replaces for the missing or differing ones, then deletes.
   *
   * @param actual the device's own FDB entries
   */
  public static List<EntryOp<FdbEntry>> fdb(String device, Collection<TunnelEndpoint> peers,
      Collection<FdbEntry> actual, Adoption adoption) {
    Map<MacAddress, FdbEntry> want = new LinkedHashMap<>();
    peers.forEach(p -> want.put(p.vtepMac(), new FdbEntry(device, p.vtepMac(), p.nodeIp(), true)));
    List<EntryOp<FdbEntry>> ops = new ArrayList<>();
    for (FdbEntry f : want.values()) {
      boolean present = actual.stream().anyMatch(a -> a.mac().equals(f.mac())
          && f.destination().equals(a.destination()) && a.permanent());
      if (!present) {
        ops.add(EntryOp.replace(f));
      }
    }
    for (FdbEntry a : actual) {
      FdbEntry w = want.get(a.mac());
      boolean wanted = w != null && w.destination().equals(a.destination());
      if (!wanted && (adoption == Adoption.ENDED || w != null)) {
        ops.add(EntryOp.delete(a));
      }
    }
    return ops;
  }
}
