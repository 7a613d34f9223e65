package io.weft.dataplane;

import io.weft.core.net.Cidr;
import java.net.InetAddress;

/** An address on an interface: {@code 10.244.1.1/24 dev v-net-0}. */
public record InterfaceAddress(String device, int index, InetAddress address, int prefixLength) {

  /** The connected network ({@code 10.244.1.0/24} for {@code 10.244.1.1/24}). */
  public Cidr network() {
    return Cidr.of(address, prefixLength);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefixLength + " dev " + device;
  }
}
