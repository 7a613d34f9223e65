package io.weft.gossip;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.MeshTrust;
import org.jgroups.Address;
import org.jgroups.PhysicalAddress;
import org.jgroups.protocols.PerDestinationBundler;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TP;
import org.jgroups.stack.IpAddress;
import org.jgroups.stack.Protocol;
import org.jgroups.util.DefaultSocketFactory;
import org.jgroups.util.SocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production transport: JGroups TCP on {@code bindAddress:port} with Weft's handshaking socket
 * factory ({@link MeshSecurity}: every connection authenticated, its frames in AES-GCM), and
 * {@link SeedDiscovery} over the candidates that answered a bare TCP probe.
 */
final class TcpTransport implements MeshTransport {
  private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);
  /** Messages queued per destination (bundler) and per connection (writer) before new ones are dropped. */
  private static final int SEND_QUEUE = 1024;
  private static final int PROBE_TIMEOUT_MS = 700;
  /** After the first candidate answers, how long the others get to answer too. */
  private static final int PROBE_GRACE_MS = 20;

  private final MeshConfig config;
  private final ConnectionStats connections;
  /** The socket factory for this node's name: the handshaking one, or a plain one for the warm-up. */
  private final Function<String, SocketFactory> sockets;
  private volatile SeedDiscovery discovery;

  private TcpTransport(MeshConfig config, ConnectionStats connections, Function<String, SocketFactory> sockets) {
    this.config = config;
    this.connections = connections;
    this.sockets = sockets;
  }

  /** The mesh's transport: every connection through the handshake, with this node's identity and bindings. */
  static TcpTransport secured(MeshConfig config, MeshTrust trust) {
    String id = config.endpoint();
    ConnectionStats connections = new ConnectionStats(id);
    return new TcpTransport(config, connections, nodeName -> new MeshSecurity(
        Credentials.of(config.secret(), trust.identity(), nodeName), trust.bindings(), connections, id));
  }

  /** For the warm-up's throwaway stack, which never opens a socket: JGroups' plain socket factory. */
  static TcpTransport unconnected(MeshConfig config) {
    return new TcpTransport(config, new ConnectionStats("warm-up"), nodeName -> new DefaultSocketFactory());
  }

  @Override
  public List<Protocol> protocols(String nodeName) {
    if (config.secret().isEmpty()) {
      log.warn("*** WEFT MESH IS UNAUTHENTICATED AND UNENCRYPTED *** anyone who can reach {}:{} can join"
          + " the mesh and announce routes; give every agent the same --secret-file",
          config.bindAddress().getHostAddress(), config.port());
    }
    TCP tcp = new TCP();
    tcp.setBindAddress(config.bindAddress());
    tcp.setBindPort(config.port());
    tcp.setPortRange(0);
    // Outgoing connections leave from the node IP too, so peers (and firewalls) see one address.
    tcp.setClientBindAddr(config.bindAddress());
    tcp.setSocketFactory(sockets.apply(nodeName));
    tcp.enableSuspectEvents(true);
    // Mesh traffic is a trickle of small messages where latency matters (a join is a handful of
    // round trips): send each at once rather than waiting for the previous one's ACK.
    tcp.tcpNodelay(true);
    tcp.setSockConnTimeout(1000);
    tcp.setPeerAddrReadTimeout(2000);
    // One frame (a message below FRAG4, a fragment, a bundle) is refused before it is read when it claims more
    // than the largest message a member may send: JGroups then closes that connection.
    tcp.setMaxLength(MeshStack.maxMessageBytes(config));
    isolateDestinations(tcp);
    MeshStack.modestThreads(tcp, 8);
    SeedDiscovery seeds = new SeedDiscovery();
    seeds.setPortRange(0);
    discovery = seeds;
    return List.of(tcp, seeds);
  }

  /**
   * A member that stops reading (SIGSTOP, a paused VM, a hung host) must cost only the messages to
   * that member. Its kernel still accepts TCP connections, so a connect succeeds and then Weft's
   * handshake waits its whole timeout (2 s) for an answer; and once its socket buffers are full every
   * write to it blocks. With one bundler thread for all destinations (the transfer-queue bundler) that
   * thread did both, and heartbeats to every other member waited behind it: they suspected this
   * member and split the mesh. So: one sender thread per destination (a connect or a slow write
   * holds up that destination's queue only), and non-blocking sends (each connection has its own
   * bounded queue and writer thread, so a multicast, which writes to every member in turn, never waits
   * for a full socket). A queue that fills drops, and NAKACK2/UNICAST3 retransmit once the member reads
   * again. Queues are small: mesh traffic is a trickle, and a queue per member is allocated up front.
   */
  private static void isolateDestinations(TCP tcp) {
    PerDestinationBundler bundler = new PerDestinationBundler();
    bundler.useSingleSenderThread(false);
    bundler.setCapacity(SEND_QUEUE);
    tcp.setBundler(bundler);
    tcp.nonBlockingSends(true).maxSendQueue(SEND_QUEUE);
  }

  /**
   * The candidates where something listens, probed all at once with bare TCP connects (the mesh
   * handshake treats them as quiet probes): returns as soon as one answers (plus a moment for answers
   * arriving together), so dead seeds cost nothing while a live one is there.
   */
  @Override
  public List<InetSocketAddress> reachable(List<InetSocketAddress> candidates) {
    List<InetSocketAddress> up = new ArrayList<>();
    if (candidates.isEmpty()) {
      return up;
    }
    try (Selector selector = Selector.open()) {
      for (InetSocketAddress c : candidates) {
        SocketChannel ch = SocketChannel.open();
        try {
          ch.configureBlocking(false);
          ch.bind(new InetSocketAddress(config.bindAddress(), 0));
          if (ch.connect(c)) {
            up.add(c);
            ch.close();
          } else {
            ch.register(selector, SelectionKey.OP_CONNECT, c);
          }
        } catch (IOException | RuntimeException e) {
          ch.close();
        }
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_TIMEOUT_MS);
      long firstAt = up.isEmpty() ? 0 : System.nanoTime();
      int pending = selector.keys().size();
      while (pending > 0) {
        long end = firstAt == 0 ? deadline : Math.min(deadline, firstAt + TimeUnit.MILLISECONDS.toNanos(PROBE_GRACE_MS));
        long waitMs = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (waitMs <= 0) {
          break;
        }
        selector.select(waitMs);
        for (SelectionKey k : selector.selectedKeys()) {
          SocketChannel ch = (SocketChannel) k.channel();
          pending--;
          try {
            if (ch.finishConnect()) {
              up.add((InetSocketAddress) k.attachment());
              if (firstAt == 0) {
                firstAt = System.nanoTime();
              }
            }
          } catch (IOException e) {
            // refused or unreachable: not a candidate this time
          }
          ch.close();
        }
        selector.selectedKeys().clear();
      }
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
    } catch (IOException e) {
      log.warn("could not probe mesh candidates {}: {}", candidates, e.toString());
    }
    return up;
  }

  /** Only the candidates that answered: a dead one first in the list would hold discovery up for its whole connect timeout. */
  @Override
  public void discoverThrough(List<InetSocketAddress> live) {
    SeedDiscovery d = discovery;
    if (d != null) {
      d.setInitialHosts(live);
      d.resetAnswered();
    }
  }

  @Override
  public boolean discoveryAnswered() {
    SeedDiscovery d = discovery;
    return d == null || d.answered();
  }

  /** The candidates' physical addresses: TCP's own addressing of members it has not met yet. */
  @Override
  public Supplier<Collection<? extends Address>> probeTargets(Supplier<List<InetSocketAddress>> candidates) {
    return () -> candidates.get().stream().map(a -> (Address) new IpAddress(a.getAddress(), a.getPort())).toList();
  }

  @Override
  public Optional<InetSocketAddress> socketAddress(TP transport, Address member) {
    PhysicalAddress pa = transport.getPhysicalAddressFromCache(member);
    return pa instanceof IpAddress ip ? Optional.of(new InetSocketAddress(ip.getIpAddress(), ip.getPort()))
        : Optional.empty();
  }

  @Override
  public boolean remembersPeers() {
    return true;
  }

  @Override
  public long bytesIn() {
    return connections.bytesIn();
  }

  @Override
  public long bytesOut() {
    return connections.bytesOut();
  }

  @Override
  public long refusedConnections() {
    return connections.refusedConnections();
  }

  @Override
  public long refusedOutgoing() {
    return connections.refusedOutgoing();
  }

  @Override
  public String lastOutgoingRefusal() {
    return connections.lastOutgoingRefusal();
  }
}
