package io.weft.gossip;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.protocols.TP;
import org.jgroups.stack.Protocol;

/**
 * How members reach each other: the bottom of the mesh stack and what joining asks of it. Production
 * has one, {@link TcpTransport}; the gossip tests add an in-JVM one and a fault-injecting decorator
 * beside themselves (as memberlist keeps its mock transport beside its tests).
 *
 * <p>Threads: {@link #protocols} runs on the mesh event thread, {@link #reachable} and
 * {@link #discoverThrough} on the connector thread, {@link #probeTargets}' supplier on a JGroups timer
 * thread, the counters on any thread.
 */
interface MeshTransport {

  /** The transport protocol and discovery, bottom first, new for one channel of the node {@code nodeName}. */
  List<Protocol> protocols(String nodeName) throws Exception;

  /** Of the candidates, those where something listens now. May block for a short probe timeout. */
  List<InetSocketAddress> reachable(List<InetSocketAddress> candidates);

  /** The next connect's discovery asks exactly these (the candidates that answered a probe). */
  void discoverThrough(List<InetSocketAddress> live);

  /** Whether any member answered discovery since the last {@link #discoverThrough}. */
  boolean discoveryAnswered();

  /**
   * Where the merge probe looks for other parts of the mesh, from the candidates' socket addresses.
   * The supplier must be cheap: JGroups' timer calls it every round.
   */
  Supplier<Collection<? extends Address>> probeTargets(Supplier<List<InetSocketAddress>> candidates);

  /**
   * A member's socket address, to remember for the next start; empty while unknown, and always for a
   * transport whose members have no sockets.
   */
  Optional<InetSocketAddress> socketAddress(TP transport, Address member);

  /** Whether members have socket addresses worth remembering across restarts. */
  boolean remembersPeers();

  /** Bytes the transport received, framing included. */
  long bytesIn();

  /** Bytes the transport sent. */
  long bytesOut();

  /** Connections from others the handshake refused. */
  long refusedConnections();

  /** Connections this node opened that the other side refused, since start. */
  long refusedOutgoing();

  /** Why the last refused outgoing connection was refused. */
  String lastOutgoingRefusal();
}
