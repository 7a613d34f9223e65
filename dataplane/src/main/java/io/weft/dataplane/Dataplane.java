package io.weft.dataplane;

/**
 * The kernel's networking state of one network namespace, as Weft changes it: a handle in the sense of
 * vishvananda/netlink's {@code Handle}.
 *
 * <p>Contract: a handle is meant to be owned by one thread (it holds one request socket; concurrent callers
 * are serialized, one request-and-answer at a time, not run in parallel). {@link #events()} is the
 * exception: a subscription has its own socket and its own thread. Closing the handle closes its sockets
 * and every event subscription it opened.
 */
public interface Dataplane extends AutoCloseable {

  RouteTable routes();

  Links links();

  Addresses addresses();

  Neighbours neighbours();

  /** Weft's packet filter rules (forwarding and masquerade) in this namespace. */
  PacketFilter packetFilter();

  Sysctls sysctls();

  /**
   * The change stream of this namespace. Each call opens a new subscription (its own socket, its own
   * thread once a listener is added); close it, or close the handle.
   */
  NetworkEvents events();

  /** Closes the sockets; never throws. */
  @Override
  void close();
}
