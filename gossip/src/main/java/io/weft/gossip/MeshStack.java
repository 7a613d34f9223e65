package io.weft.gossip;

import java.util.ArrayList;
import java.util.List;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.TP;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * The JGroups stack, built in code so every setting is visible. Bottom to top:
 *
 * <ol>
 *   <li>TCP on {@code bindAddress:port}, no port range, diagnostics off, Weft's handshaking socket
 *       factory (optionally AES-GCM), suspect events on (a closed connection is suspected at once);
 *       or SHARED_LOOPBACK for the in-JVM simulation</li>
 *   <li>FaultSwitch, only with fault injection (tests hang or partition members with it)</li>
 *   <li>TCPPING (seeds, DNS answers and remembered peers) or SHARED_LOOPBACK_PING</li>
 *   <li>TrafficMeter, only when simulated</li>
 *   <li>MERGE3 (1-3 s rounds, consistency check every 4 s: split meshes merge within ~10 s instead of
 *       ~45 s)</li>
 *   <li>FD_ALL3 (heartbeat 0.5 s, timeout 1.5 s) and VERIFY_SUSPECT2 (0.5 s): a hung member is removed in
 *       about 2-2.5 s instead of ~40 s; no extra port</li>
 *   <li>NAKACK2, UNICAST3: reliable, ordered multicast and unicast; STABLE: garbage collection</li>
 *   <li>GMS: membership</li>
 *   <li>UFC, MFC: flow control; FRAG4: fragmentation</li>
 * </ol>
 */
final class MeshStack {
  private MeshStack() {}

  /** The protocols, and the ones the mesh talks to (null when absent). */
  record Built(List<Protocol> protocols, TCPPING discovery, TrafficMeter meter) {}

  /**
   * @param faults the test fault switch, or null
   */
  static Built build(MeshConfig config, MeshSecurity security, FaultSwitch faults) throws Exception {
    MeshConfig.Timing t = config.timing();
    List<Protocol> p = new ArrayList<>();
    TCPPING tcpping = null;
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
      tcp.setSockConnTimeout(1000);
      tcp.setPeerAddrReadTimeout(2000);
      tcp.setBundlerType("transfer-queue");
      modestThreads(tcp, 8);
      p.add(tcp);
      addFaults(p, faults);
      tcpping = new TCPPING();
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
    p.add(new MERGE3().setMinInterval(t.mergeMin().toMillis()).setMaxInterval(t.mergeMax().toMillis())
        .setCheckInterval(t.mergeMax().toMillis() + t.mergeMin().toMillis()));
    p.add(new FD_ALL3().setTimeout(t.suspectTimeout().toMillis()).setInterval(t.heartbeatInterval().toMillis()));
    p.add(new VERIFY_SUSPECT2().setTimeout(t.verifyTimeout().toMillis()));
    // Mesh traffic is a trickle: small retransmission tables (they grow when needed) keep the
    // per-sender cost low, which is what limits how many members fit in one JVM for the simulation.
    p.add(new NAKACK2().useMcastXmit(false).setXmitInterval(500).resendLastSeqno(true)
        .setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new UNICAST3().setXmitInterval(500).setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new STABLE().setDesiredAverageGossip(20_000).setMaxBytes(1_000_000));
    p.add(new GMS().setJoinTimeout(t.joinTimeout().toMillis()).printLocalAddress(false)
        .setMaxJoinAttempts(3).setViewAckCollectionTimeout(1000).setMergeTimeout(4000));
    p.add(new UFC().setMaxCredits(2_000_000).setMinThreshold(0.4));
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

  private static void modestThreads(TP tp, int max) {
    tp.getThreadPool().setMinThreads(0).setMaxThreads(max).setKeepAliveTime(30_000);
  }
}
