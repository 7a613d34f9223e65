package io.weft.dataplane;

import io.weft.core.net.MacAddress;
import java.net.Inet4Address;
import java.util.Objects;

/**
 * A VXLAN device's settings, as Weft creates it and as the kernel reports it back: unicast only (no
 * multicast group), so every remote comes from a static FDB entry.
 *
 * @param name     interface name
 * @param vni      VXLAN network identifier (24 bits)
 * @param port     UDP destination port
 * @param local    source address of the encapsulated packets (the node IP)
 * @param learning whether the device learns remote MACs from received packets (Weft: off)
 * @param mtu      device MTU; 0 leaves the kernel's choice
 * @param mac      the device's own MAC (the inner destination peers address it by); null leaves the kernel's
 *                 random one
 */
public record Vxlan(String name, int vni, int port, Inet4Address local, boolean learning, int mtu, MacAddress mac) {
  public Vxlan {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(local, "local");
    if (vni < 1 || vni > 0xFFFFFF) {
      throw new IllegalArgumentException("VNI " + vni + " is outside 1-16777215");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("UDP port " + port + " is outside 1-65535");
    }
  }
}
