package io.weft.core.model;

import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 neighbour (ARP) entry: {@code ip neigh ... lladdr MAC dev DEVICE}.
 *
 * @param permanent NUD_PERMANENT: static, never aged out or probed
 * @param protocol  NDA_PROTOCOL, the entry's owner ({@code 87} for Weft's), 0 when unset
 */
public record Neighbour(String device, InetAddress address, MacAddress mac, boolean permanent, int protocol) {
  public Neighbour {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(address, "address");
  }
}
