package io.weft.core.model;

import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A forwarding-database entry of a VXLAN device itself ({@code bridge fdb ... dev DEVICE dst IP self}):
 * frames for {@code mac} are encapsulated to {@code destination}.
 *
 * @param destination the remote VTEP's underlay address, null for an entry without one
 * @param permanent   NUD_PERMANENT: static, never aged out
 */
public record FdbEntry(String device, MacAddress mac, InetAddress destination, boolean permanent) {
  public FdbEntry {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(mac, "mac");
  }
}
