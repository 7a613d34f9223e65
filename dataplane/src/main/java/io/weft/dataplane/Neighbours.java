package io.weft.dataplane;

import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.List;

/**
 * The neighbour (ARP) and FDB entries of one namespace's devices. Weft writes static entries only, and
 * only on its own VXLAN device; every write is idempotent (create or replace).
 */
public interface Neighbours {

  /** The IPv4 neighbour entries of {@code device}. */
  List<Neighbour> list(String device);

  /**
   * Sets {@code address lladdr mac dev device nud permanent protocol 87}, replacing any entry for that
   * address.
   */
  void replace(String device, InetAddress address, MacAddress mac);

  /** Deletes the entry for {@code address}; {@link NotFoundException} when there is none. */
  void delete(String device, InetAddress address);

  /** The device's own FDB entries ({@code self}). */
  List<FdbEntry> fdb(String device);

  /** Sets {@code mac dev device dst destination self permanent}, replacing any entry for that MAC. */
  void replaceFdb(String device, MacAddress mac, InetAddress destination);

  /** Deletes the device's entry for {@code mac} (and {@code destination}, when not null). */
  void deleteFdb(String device, MacAddress mac, InetAddress destination);
}
