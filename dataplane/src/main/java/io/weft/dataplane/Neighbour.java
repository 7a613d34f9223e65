package io.weft.dataplane;

import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 neighbour (ARP) entry: {@code ip neigh ... lladdr MAC dev DEVICE}.
 *
 * @param permanent NUD_PERMANENT: static, never aged out or probed
 */
public record Neighbour(String device, InetAddress address, MacAddress mac, boolean permanent) {
  public Neighbour {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(address, "address");
  }
}
