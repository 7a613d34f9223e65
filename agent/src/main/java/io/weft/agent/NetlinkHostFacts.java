package io.weft.agent;

import io.weft.core.model.Route;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.RouteFilter;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link HostFacts} read from the kernel; each question opens (and closes) its own handle, so
 * {@code --help} and {@code --version} never touch netlink.
 */
public final class NetlinkHostFacts implements HostFacts {
  private final Supplier<Dataplane> handles;

  public NetlinkHostFacts(Supplier<Dataplane> handles) {
    this.handles = handles;
  }

  @Override
  public String hostname() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (IOException e) {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (IOException again) {
        return "localhost";
      }
    }
  }

  @Override
  public Set<Inet4Address> ipv4Addresses() {
    Set<Inet4Address> all = new LinkedHashSet<>();
    try (Dataplane dataplane = handles.get()) {
      for (InterfaceAddress a : dataplane.addresses().listIpv4()) {
        if (a.address() instanceof Inet4Address v4) {
          all.add(v4);
        }
      }
    }
    return all;
  }

  @Override
  public Optional<Inet4Address> defaultRouteIpv4() {
    try (Dataplane dataplane = handles.get()) {
      return defaultRouteIpv4(dataplane);
    }
  }

  private static Optional<Inet4Address> defaultRouteIpv4(Dataplane dataplane) {
    List<InterfaceAddress> addresses = dataplane.addresses().listIpv4();
    return dataplane.routes().list(RouteFilter.mainTable()).stream()
        .filter(r -> r.destination().prefixLength() == 0 && r.destination().isIpv4() && r.type() == Route.Type.UNICAST)
        .findFirst()
        .flatMap(r -> addresses.stream()
            .filter(a -> a.address() instanceof Inet4Address)
            .filter(a -> r.device() != null ? a.device().equals(r.device())
                : r.gateway() != null && a.network().contains(r.gateway()))
            .min(Comparator.comparing((InterfaceAddress a) -> !(r.gateway() != null && a.network().contains(r.gateway()))))
            .map(a -> (Inet4Address) a.address()));
  }
}
