package io.weft.agent.cleanup;

import io.weft.agent.converge.TunnelSettings;
import io.weft.core.model.Route;
import io.weft.core.model.RouteOp;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.PacketFilter;
import io.weft.dataplane.RouteFilter;
import io.weft.dataplane.RouteOpResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Removes what Weft put on a node, and nothing else: routes with protocol 87 (any table), the node
 * bridge (only if it is a bridge), the VXLAN device {@code weft.vxlan} (only if it is a VXLAN device; its
 * neighbour and FDB entries go with it), Weft's packet filter chains and their jumps (WEFT-FORWARD,
 * WEFT-POSTROUTING, in every iptables backend), and the CNI files. Everything already gone counts as done.
 */
public final class Cleanup {

  /**
   * What was removed, what was left and why, and what failed.
   *
   * @param routesRemoved protocol-87 routes deleted
   * @param bridgeRemoved the bridge was deleted
   * @param tunnelRemoved the VXLAN device was deleted
   * @param filterTablesCleaned iptables tables Weft's chains were removed from
   * @param filesRemoved  CNI files deleted
   * @param notes         things left alone on purpose (e.g. a link of that name that is not a bridge)
   * @param errors        failures, one line each
   */
  public record Result(List<Route> routesRemoved, boolean bridgeRemoved, boolean tunnelRemoved,
      int filterTablesCleaned, List<Path> filesRemoved, List<String> notes,
      List<String> errors) {
    public Result {
      routesRemoved = List.copyOf(routesRemoved);
      filesRemoved = List.copyOf(filesRemoved);
      notes = List.copyOf(notes);
      errors = List.copyOf(errors);
    }
  }

  private Cleanup() {}

  public static Result run(Dataplane dataplane, String bridge, List<Path> cniFiles) {
    List<Route> removed = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> errors = new ArrayList<>();

    List<Route> ours = dataplane.routes().list(RouteFilter.weft());
    List<RouteOp> deletes = ours.stream().filter(Route::isWeft).map(RouteOp::delete).toList();
    for (RouteOpResult r : deletes.isEmpty() ? List.<RouteOpResult>of() : dataplane.routes().apply(deletes)) {
      if (r.ok()) {
        removed.add(r.op().route());
      } else if (!(r.error() instanceof io.weft.dataplane.NotFoundException)) {
        errors.add(r.error().getMessage());
      }
    }

    boolean bridgeRemoved = removeLink(dataplane, bridge, "bridge", notes, errors);
    boolean tunnelRemoved = removeLink(dataplane, TunnelSettings.DEVICE, "vxlan", notes, errors);
    PacketFilter.FilterResult filter = dataplane.packetFilter().remove();
    errors.addAll(filter.errors());

    List<Path> files = new ArrayList<>();
    for (Path f : cniFiles) {
      try {
        if (Files.deleteIfExists(f)) {
          files.add(f);
        }
      } catch (IOException e) {
        errors.add("could not remove " + f + ": " + e.getMessage());
      }
    }
    return new Result(removed, bridgeRemoved, tunnelRemoved, filter.changes(), files, notes, errors);
  }

  /** Deletes link {@code name} if it is of Weft's {@code kind}; a link of another kind is not Weft's. */
  private static boolean removeLink(Dataplane dataplane, String name, String kind, List<String> notes,
      List<String> errors) {
    Optional<Link> link = dataplane.links().byName(name);
    if (link.isEmpty()) {
      return false;
    }
    if (!kind.equals(link.get().kind())) {
      notes.add("link " + name + " is a " + (link.get().kind() == null ? "device" : link.get().kind())
          + ", not a " + kind + "; left alone");
      return false;
    }
    try {
      dataplane.links().delete(name);
      return true;
    } catch (io.weft.dataplane.NoSuchDeviceException gone) {
      return false; // deleted meanwhile: done
    } catch (NetlinkException e) {
      errors.add(e.getMessage());
      return false;
    }
  }
}
