package io.weft.gossip;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Collection;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.PerDestinationBundler;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TP;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;
import org.jgroups.util.DefaultSocketFactory;
import org.jgroups.util.SocketFactory;

/**
 * The JGroups stack, built in code so every setting is visible. Bottom to top:
 *
 * <ol>
 *   <li>TCP on {@code bindAddress:port}, no port range, diagnostics off, Weft's handshaking socket
 *       factory (every connection authenticated and in AES-GCM frames), suspect events on (a closed connection is suspected at once), a
 *       sender thread per destination and non-blocking writes (a frozen member delays no one else);
 *       or SHARED_LOOPBACK for the in-JVM simulation</li>
 *   <li>FaultSwitch, only with fault injection (tests hang or partition members with it)</li>
 *   <li>SeedDiscovery (TCPPING over the seeds, DNS answers and remembered peers that answered a probe;
 *       members name their coordinator in answers) or SHARED_LOOPBACK_PING</li>
 *   <li>TrafficMeter, only when simulated</li>
 *   <li>MergeProbe instead of MERGE3: only the coordinator probes, and only candidates outside its view
 *       (nothing in a healthy mesh), every 1-3 s</li>
 *   <li>RingFailureDetector instead of FD_ALL3 (each member heartbeats 2 successors every 0.5 s,
 *       suspects after 1.5 s) and VERIFY_SUSPECT2 (0.5 s): a hung member is removed in about 2-2.5 s;
 *       O(1) messages per member; no extra port</li>
 *   <li>NAKACK2, UNICAST3: reliable, ordered multicast and unicast; STABLE: garbage collection</li>
 *   <li>GMS: membership; a joiner that heard of a coordinator keeps retrying JOIN rather than
 *       starting a mesh of its own</li>
 *   <li>UFC, MFC: flow control; FRAG4: fragmentation</li>
 * </ol>
 */
final class MeshStack {
  /**
   * How many successors each member heartbeats (and predecessors it watches): two, so a dead member
   * is still watched by someone when its neighbour is dead or hung too.
   */
  static final int RING_WATCHERS = 2;
  /** Messages queued per destination (bundler) and per connection (writer) before new ones are dropped. */
  private static final int SEND_QUEUE = 1024;

  private MeshStack() {}

  /** The protocols, and the ones the mesh talks to (null when absent). */
  record Built(List<Protocol> protocols, SeedDiscovery discovery, TrafficMeter meter) {}

  /**
   * @param security the handshaking socket factory ({@link MeshSecurity}); unused when simulated
   * @param faults   the test fault switch, or null
   */
  static Built build(MeshConfig config, SocketFactory security, FaultSwitch faults,
      Supplier<? extends Collection<? extends Address>> mergeCandidates, java.util.function.Consumer<String> rejoin)
      throws Exception {
    registerWeftProtocols();
    MeshConfig.Timing t = config.timing();
    List<Protocol> p = new ArrayList<>();
    SeedDiscovery tcpping = null;
    TrafficMeter meter = null;
    if (config.transport() == MeshConfig.Transport.TCP) {
      TCP tcp = new TCP();
      tcp.setBindAddress(config.bindAddress());
      tcp.setBindPort(config.port());
      tcp.setPortRange(0);
      // Outgoing connections leave from the node IP too, so peers (and firewalls) see one address.
      tcp.setClientBindAddr(config.bindAddress());
      tcp.setSocketFactory(security);
      tcp.enableSuspectEvents(true);
      // Mesh traffic is a trickle of small messages where latency matters (a join is a handful of
      // round trips): send each at once rather than waiting for the previous one's ACK.
      tcp.tcpNodelay(true);
      tcp.setSockConnTimeout(1000);
      tcp.setPeerAddrReadTimeout(2000);
      isolateDestinations(tcp);
      modestThreads(tcp, 8);
      p.add(tcp);
      addFaults(p, faults);
      tcpping = new SeedDiscovery();
      tcpping.setPortRange(0);
      p.add(tcpping);
    } else {
      SHARED_LOOPBACK loop = new SHARED_LOOPBACK();
      loop.setBindAddress(config.bindAddress());
      loop.setBindPort(config.port());
      modestThreads(loop, 2);
      p.add(loop);
      addFaults(p, faults);
      p.add(new SHARED_LOOPBACK_PING());
    }
    if (config.transport() == MeshConfig.Transport.SIMULATED) {
      meter = new TrafficMeter();
      p.add(meter);
    }
    p.add(new MergeProbe(t.mergeMin().toMillis(), t.mergeMax().toMillis(), mergeCandidates, rejoin));
    p.add(new RingFailureDetector(RING_WATCHERS, t.heartbeatInterval().toMillis(), t.suspectTimeout().toMillis()));
    p.add(new VERIFY_SUSPECT2().setTimeout(t.verifyTimeout().toMillis()));
    // Mesh traffic is a trickle: small retransmission tables (they grow when needed) keep the
    // per-sender cost low, which is what limits how many members fit in one JVM for the simulation.
    // The last seqno is re-sent up to 3 times (0.5 s apart) after a member stops multicasting, so a
    // member that installed a view late and dropped the last message still sees the gap.
    p.add(new NAKACK2().useMcastXmit(false).setXmitInterval(500).resendLastSeqno(true).setResendLastSeqnoMaxTimes(3)
        .setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new UNICAST3().setXmitInterval(500).setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new STABLE().setDesiredAverageGossip(20_000).setMaxBytes(1_000_000));
    p.add(new GMS().setJoinTimeout(t.joinTimeout().toMillis()).printLocalAddress(false)
        .setMaxJoinAttempts(0).setViewAckCollectionTimeout(1000).setMergeTimeout(4000));
    p.add(new ViewSafeUFC().setMaxCredits(2_000_000).setMinThreshold(0.4));
    p.add(new MFC().setMaxCredits(2_000_000).setMinThreshold(0.4));
    p.add(new FRAG4());
    return new Built(p, tcpping, meter);
  }

  /** Directly above the transport, below discovery: a partition must cut discovery too. */
  private static void addFaults(List<Protocol> p, FaultSwitch faults) {
    if (faults != null) {
      p.add(faults);
    }
  }

  /**
   * Builds a throwaway stack once, so that the join's own build does not pay for a cold one: JGroups
   * reads every protocol's annotated fields and methods by reflection and initialises its class
   * registry, thread pools and timer, 100-300 ms of a cold start and about 10 ms after this. The
   * throwaway channel is never connected (it binds no port, sends nothing) and is closed at once.
   * Stateless, so it can run on a spare core early in a process's start.
   */
  static void warmUp() throws Exception {
    // The handshake's first crypto lookups load every installed JCA provider (tens of ms cold): one
    // handshake in memory loads X25519, Ed25519, HMAC and AES-GCM.
    HandshakeRunner.warmUp();
    MeshConfig throwaway = MeshConfig.of(InetAddress.getLoopbackAddress(), MeshConfig.DEFAULT_PORT, List.of(),
        Path.of("."));
    // JGroups' plain socket factory: the throwaway channel never opens a socket.
    Built built = build(throwaway, new DefaultSocketFactory(), null, List::of, why -> { });
    new JChannel(built.protocols()).close();
  }

  /**
   * Weft's own protocols and headers get ids from JGroups' custom ranges (protocols >= 512, headers
   * >= 1024) before any stack is built; once per JVM, however many meshes it runs.
   */
  private static synchronized void registerWeftProtocols() {
    if (ClassConfigurator.getProtocolId(RingFailureDetector.class) == 0) {
      ClassConfigurator.addProtocol(RingFailureDetector.PROTOCOL_ID, RingFailureDetector.class);
      ClassConfigurator.add(RingFailureDetector.HEADER_MAGIC, RingFailureDetector.RingHeader.class);
    }
    if (ClassConfigurator.getProtocolId(SeedDiscovery.class) == 0) {
      ClassConfigurator.addProtocol(SeedDiscovery.PROTOCOL_ID, SeedDiscovery.class);
    }
    if (ClassConfigurator.getProtocolId(ViewSafeUFC.class) == 0) {
      ClassConfigurator.addProtocol(ViewSafeUFC.PROTOCOL_ID, ViewSafeUFC.class);
    }
    if (ClassConfigurator.getProtocolId(MergeProbe.class) == 0) {
      ClassConfigurator.addProtocol(MergeProbe.PROTOCOL_ID, MergeProbe.class);
      ClassConfigurator.add(MergeProbe.HEADER_MAGIC, MergeProbe.ProbeHeader.class);
    }
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

  private static void modestThreads(TP tp, int max) {
    tp.getThreadPool().setMinThreads(0).setMaxThreads(max).setKeepAliveTime(30_000);
  }
}
