package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import java.net.InetAddress;
import java.util.Optional;

/** The pod end of an attachment: what the request asks for (address, MAC) and the steps inside the pod. */
final class PodAddressing {
  static final Cidr DEFAULT_ROUTE = Cidr.parse("0.0.0.0/0");

  private PodAddressing() {}

  /** The static address the request names in {@code subnet} (runtimeConfig.ips, CNI_ARGS IP), if any. */
  static Optional<InetAddress> requestedAddress(CniRequest r, Cidr subnet) {
    for (String ip : r.requestedIps()) {
      int slash = ip.indexOf('/');
      String address = slash < 0 ? ip : ip.substring(0, slash);
      InetAddress parsed;
      try {
        parsed = IpAddresses.parse(address);
      } catch (IllegalArgumentException e) {
        throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid requested address", e.getMessage());
      }
      if (subnet.contains(parsed)) {
        return Optional.of(parsed);
      }
    }
    if (!r.requestedIps().isEmpty()) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "none of the requested addresses (runtimeConfig.ips, "
          + "CNI_ARGS IP) is in this node's pod subnet " + subnet, String.join(", ", r.requestedIps()));
    }
    return Optional.empty();
  }

  /** The MAC address the request names for the container end, if any. */
  static Optional<MacAddress> requestedMac(CniRequest r) {
    if (r.mac() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(MacAddress.parse(r.mac()));
    } catch (IllegalArgumentException e) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid MAC address for " + CniNode.key(r), e.getMessage());
    }
  }

  /**
   * Before the address: a gratuitous ARP when the link comes up (so neighbours that cached a previous owner
   * of this address learn the new MAC at once; over rtnetlink, as the agent's container has a read-only
   * /proc/sys) and the requested MAC.
   */
  static void prepare(Dataplane pod, String ifname, Optional<MacAddress> mac) {
    pod.links().setArpNotify(ifname, true);
    if (mac.isPresent()) {
      pod.links().setMac(ifname, mac.get());
    }
  }

  /**
   * The address on the container end, the link up, the default route via the gateway; false when another
   * network of this pod owns the default route already (the spec says to skip ours then).
   */
  static boolean configure(Dataplane pod, String ifname, InetAddress address, Cidr subnet) {
    pod.addresses().add(ifname, address, subnet.prefixLength());
    pod.links().setUp(ifname);
    try {
      pod.routes().add(Route.via(DEFAULT_ROUTE, subnet.host(1), ifname));
      return true;
    } catch (AlreadyExistsException e) {
      return false;
    }
  }
}
