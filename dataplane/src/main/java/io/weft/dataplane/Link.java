package io.weft.dataplane;

import io.weft.core.net.MacAddress;

/**
 * A network interface as the kernel reports it.
 *
 * @param kind        IFLA_INFO_KIND ({@code bridge}, {@code veth}, {@code dummy}...), or null for links
 *                    without one (loopback, physical NICs)
 * @param mac         null for links without a hardware address
 * @param up          administratively up (IFF_UP)
 * @param masterIndex the bridge's index, 0 when none
 * @param lowerUp     the carrier is there (IFF_LOWER_UP): an up link without it passes no traffic
 */
public record Link(int index, String name, String kind, MacAddress mac, int mtu, boolean up, int masterIndex,
    boolean lowerUp) {
}
