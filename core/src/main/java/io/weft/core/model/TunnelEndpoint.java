package io.weft.core.model;

import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A node's end of the VXLAN tunnel (its VTEP), derived from what the mesh already gossips, so the record
 * format needs no new field and every agent computes every peer's VTEP the same way:
 * <ul>
 *   <li>the VTEP address is the network address of the node's pod subnet ({@code 10.244.2.0} for
 *       {@code 10.244.2.0/24}): never a pod's (IPAM starts at .2, the gateway is .1) and unique because
 *       subnets are;</li>
 *   <li>the VTEP MAC is {@code 02:57} followed by the four bytes of the node IP: locally administered,
 *       unicast, and unique because node IPs are.</li>
 * </ul>
 *
 * @param nodeName  the node
 * @param nodeIp    where the encapsulated packets go (the FDB entry's destination)
 * @param podSubnet the subnet routed through the tunnel to this node
 * @param vtepIp    the next hop of that route (the neighbour entry's address)
 * @param vtepMac   the inner destination MAC (the neighbour's lladdr and the FDB entry's key)
 */
public record TunnelEndpoint(String nodeName, InetAddress nodeIp, Cidr podSubnet, InetAddress vtepIp,
    MacAddress vtepMac) {

  /** Second byte of every VTEP MAC: 0x57 is 87, Weft's number elsewhere too (route protocol, VNI). */
  private static final int MAC_TAG = 0x57;

  public TunnelEndpoint {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(nodeIp, "nodeIp");
    Objects.requireNonNull(podSubnet, "podSubnet");
    Objects.requireNonNull(vtepIp, "vtepIp");
    Objects.requireNonNull(vtepMac, "vtepMac");
  }

  /** The endpoint of the node that announced {@code record}; its node IP must be IPv4. */
  public static TunnelEndpoint of(NodeRecord record) {
    return new TunnelEndpoint(record.name(), record.nodeIp(), record.podSubnet(), vtepIp(record.podSubnet()),
        vtepMac(record.nodeIp()));
  }

  /** The network address of the subnet. */
  public static InetAddress vtepIp(Cidr podSubnet) {
    return podSubnet.network();
  }

  /** {@code 02:57:a:b:c:d} for node IP {@code a.b.c.d}. */
  public static MacAddress vtepMac(InetAddress nodeIp) {
    if (!(nodeIp instanceof Inet4Address)) {
      throw new IllegalArgumentException("a VTEP needs an IPv4 node IP, got " + nodeIp.getHostAddress());
    }
    byte[] ip = nodeIp.getAddress();
    return MacAddress.of(new byte[] {0x02, (byte) MAC_TAG, ip[0], ip[1], ip[2], ip[3]});
  }

  /** The address the device itself holds: {@code vtepIp/32}. */
  public static Cidr deviceAddress(Cidr podSubnet) {
    return Cidr.of(podSubnet.network(), 32);
  }
}
