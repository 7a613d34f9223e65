package io.weft.agent.converge;

import io.weft.core.model.EntryOp;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.TunnelEndpoint;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Adoption;
import io.weft.core.plan.Reconcile;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.Vxlan;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VXLAN device {@code weft.vxlan} and its per-peer entries, converged on the loop thread before the
 * routes that go through it. Level-triggered like the routes: every reconcile compares the kernel with
 * what the plan's tunnel peers need and changes only the difference.
 *
 * <ul>
 *   <li>The device exists whenever tunnels are on ({@code auto}, {@code always}), even while no peer is
 *       tunnelled from here: a peer that sees this node as off-link tunnels to it, and must find a VTEP
 *       listening; with {@code --tunnel never} it is removed. Its settings (VNI, port, local address =
 *       node IP, learning off, no group) are re-checked: a device that differs is recreated, its MTU is the
 *       uplink's less {@value TunnelMode#VXLAN_OVERHEAD}, its MAC this node's VTEP MAC, it is up and holds
 *       only this node's VTEP address.</li>
 *   <li>Per tunnel peer: a permanent neighbour {@code VTEP-IP lladdr VTEP-MAC proto 87} and a permanent
 *       FDB entry {@code VTEP-MAC dst NODE-IP self} (a VXLAN FDB entry keeps no protocol: the device's name
 *       says whose it is). Entries nobody needs are removed, except while adopting at
 *       start (the peers they serve may not have rejoined yet). Which entries to write and remove is
 *       core's {@link Reconcile}; this class reads the kernel and carries the operations out.</li>
 * </ul>
 * A link named like the device that is not a VXLAN device is not Weft's: it is reported, never touched.
 */
final class VxlanTunnel {
  private static final Logger log = LoggerFactory.getLogger(VxlanTunnel.class);

  private final Dataplane dataplane;
  private final TunnelSettings settings;

  VxlanTunnel(Dataplane dataplane, TunnelSettings settings) {
    this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * What one pass changed and what it could not.
   *
   * @param usable the device is Weft's, exists and is set up: routes may go through it
   */
  record Outcome(int changes, List<String> errors, boolean usable) {
    static final Outcome NOTHING = new Outcome(0, List.of(), false);
  }

  /**
   * @param self      this node's record (local address, own VTEP address)
   * @param peers     the tunnel peers of the plan
   * @param uplinkMtu MTU of the device holding the node IP
   * @param addresses the host's IPv4 addresses as this reconcile read them (the device's among them)
   * @param adoption  whether entries no peer claims are kept (start-up adoption)
   */
  Outcome reconcile(NodeRecord self, List<TunnelEndpoint> peers, int uplinkMtu, List<InterfaceAddress> addresses,
      Adoption adoption) {
    String dev = settings.device();
    Optional<Link> link = dataplane.links().byName(dev);
    Optional<Vxlan> have = link.isPresent() ? dataplane.links().vxlan(dev) : Optional.empty();
    if (link.isPresent() && have.isEmpty()) {
      return new Outcome(0, List.of(ReconcileReport.TUNNEL_ERROR + "device " + dev + " not set up: a link of kind "
          + (link.get().kind() == null ? "none" : link.get().kind()) + " that Weft did not create has that name;"
          + " remove or rename it"), false);
    }
    if (settings.mode() == TunnelMode.NEVER) {
      if (link.isPresent()) {
        log.info("removing tunnel device {}: --tunnel never", dev);
        dataplane.links().delete(dev);
        return new Outcome(1, List.of(), false);
      }
      return Outcome.NOTHING;
    }
    // The device exists even while this node tunnels to nobody: a peer may see this node as off-link
    // (another subnet on its side, a second NIC here, --tunnel always there) and tunnel to it.
    List<String> errors = new ArrayList<>();
    int changes = 0;
    Vxlan want = new Vxlan(dev, settings.vni(), settings.port(), (Inet4Address) self.nodeIp(), false,
        uplinkMtu - TunnelMode.VXLAN_OVERHEAD, TunnelEndpoint.vtepMac(self.nodeIp()));
    // A device made in this pass holds no address yet, whatever the read before it found on the old one.
    boolean fresh = have.isEmpty() || !sameTunnel(want, have.get());
    List<InterfaceAddress> held = fresh ? List.of()
        : addresses.stream().filter(a -> dev.equals(a.device())).toList();
    try {
      changes += ensureDevice(want, uplinkMtu, have, link.map(Link::up).orElse(false));
      changes += ensureAddress(self.podSubnet(), held);
    } catch (NetlinkException e) {
      return new Outcome(changes, List.of(ReconcileReport.TUNNEL_ERROR + "device " + dev + ": " + e.getMessage()),
          false);
    }
    changes += carryOut(Reconcile.neighbours(dev, peers, dataplane.neighbours().list(dev), adoption),
        n -> dataplane.neighbours().replace(dev, n.address(), n.mac()),
        n -> dataplane.neighbours().delete(dev, n.address()), errors);
    changes += carryOut(Reconcile.fdb(dev, peers, dataplane.neighbours().fdb(dev), adoption),
        f -> dataplane.neighbours().replaceFdb(dev, f.mac(), f.destination()),
        f -> dataplane.neighbours().deleteFdb(dev, f.mac(), f.destination()), errors);
    return new Outcome(changes, errors, true);
  }

  /**
   * @param want the device Weft wants
   * @param have the device as found, if it is there
   * @param up   whether it is up (a device made here starts down)
   */
  private int ensureDevice(Vxlan want, int uplinkMtu, Optional<Vxlan> have, boolean up) {
    String dev = settings.device();
    int changes = 0;
    if (have.isPresent() && !sameTunnel(want, have.get())) {
      log.info("recreating tunnel device {}: it has {} and Weft wants {}", dev, describe(have.get()), describe(want));
      dataplane.links().delete(dev);
      have = Optional.empty();
    }
    if (have.isEmpty()) {
      dataplane.links().createVxlan(want);
      log.info("created tunnel device {} ({})", dev, describe(want));
      changes++;
      up = false;
    } else {
      if (have.get().mtu() != want.mtu()) {
        log.info("tunnel device {}: MTU {} -> {} (uplink {} less the VXLAN overhead)", dev, have.get().mtu(),
            want.mtu(), uplinkMtu);
        dataplane.links().setMtu(dev, want.mtu());
        changes++;
      }
      if (!want.mac().equals(have.get().mac())) {
        // Peers address this node's VTEP by the MAC derived from its node IP; any other drops their frames.
        log.info("tunnel device {}: MAC {} -> {} (this node's VTEP MAC)", dev, have.get().mac(), want.mac());
        dataplane.links().setMac(dev, want.mac());
        changes++;
      }
    }
    if (!up) {
      dataplane.links().setUp(dev);
      changes++;
    }
    return changes;
  }

  private static boolean sameTunnel(Vxlan a, Vxlan b) {
    return a.vni() == b.vni() && a.port() == b.port() && a.local().equals(b.local()) && a.learning() == b.learning();
  }

  private static String describe(Vxlan v) {
    return "VNI " + v.vni() + ", UDP " + v.port() + ", local " + v.local().getHostAddress() + ", learning "
        + (v.learning() ? "on" : "off");
  }

  /**
   * The device holds exactly this node's VTEP address (its pod subnet's network address, /32).
   *
   * @param held the device's IPv4 addresses
   */
  private int ensureAddress(Cidr podSubnet, List<InterfaceAddress> held) {
    String dev = settings.device();
    Cidr want = TunnelEndpoint.deviceAddress(podSubnet);
    boolean present = false;
    int changes = 0;
    for (InterfaceAddress a : held) {
      if (a.address().equals(want.network()) && a.prefixLength() == 32) {
        present = true;
      } else {
        dataplane.addresses().delete(dev, a.address(), a.prefixLength());
        changes++;
      }
    }
    if (!present) {
      dataplane.addresses().add(dev, want.network(), 32);
      changes++;
    }
    return changes;
  }

  /** Writes each entry op; a refusal is that entry's error, the others still go ahead. */
  private static <T> int carryOut(List<EntryOp<T>> ops, Consumer<T> replace, Consumer<T> delete,
      List<String> errors) {
    int changes = 0;
    for (EntryOp<T> op : ops) {
      try {
        (op.kind() == EntryOp.Kind.REPLACE ? replace : delete).accept(op.entry());
        changes++;
      } catch (NetlinkException e) {
        errors.add(ReconcileReport.TUNNEL_ERROR + e.getMessage());
      }
    }
    return changes;
  }
}
