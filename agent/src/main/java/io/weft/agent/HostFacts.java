package io.weft.agent;

import java.net.Inet4Address;
import java.util.Optional;
import java.util.Set;

/** What configuration checks need to know about this host; faked in tests. */
public interface HostFacts {

  /** The host's name ({@code /proc/sys/kernel/hostname}), the default node name. */
  String hostname();

  /** Every IPv4 address configured on this host's interfaces. */
  Set<Inet4Address> ipv4Addresses();

  /** The IPv4 address of the interface holding the default route, when there is one. */
  Optional<Inet4Address> defaultRouteIpv4();
}
