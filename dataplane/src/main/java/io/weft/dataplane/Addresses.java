package io.weft.dataplane;

import java.net.InetAddress;
import java.util.List;

/** The interface addresses of one namespace. */
public interface Addresses {

  /** Addresses of every family on {@code device}, or of every device when it is null. */
  List<InterfaceAddress> list(String device);

  /** Every IPv4 address of the namespace: the connected networks. */
  List<InterfaceAddress> listIpv4();

  /** Adds the address; {@link AlreadyExistsException} when the device already holds it. */
  void add(String device, InetAddress address, int prefixLength);

  /**
   * Deletes the address. The kernel drops the routes that depended on it, whatever their protocol: its
   * connected route, routes with it as preferred source, and when it was the device's last IPv4 address
   * every IPv4 route through the device.
   */
  void delete(String device, InetAddress address, int prefixLength);
}
