package io.weft.gossip;

import io.weft.core.plan.Plausibility;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.TP;
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
 *   <li>the {@link MeshTransport}'s protocols: in production ({@link TcpTransport}) TCP on
 *       {@code bindAddress:port}, no port range, diagnostics off, Weft's handshaking socket factory
 *       (optionally AES-GCM), suspect events on (a closed connection is suspected at once), a sender thread
 *       per destination and non-blocking writes (a frozen member delays no one else), then SeedDiscovery
 *       (TCPPING over the seeds, DNS answers and remembered peers that answered a probe; members name their
 *       coordinator in answers)</li>
 *   <li>MergeProbe instead of MERGE3: only the coordinator probes, and only candidates outside its view
 *       (nothing in a healthy mesh), every 1-3 s</li>
 *   <li>RingFailureDetector instead of FD_ALL3 (each member heartbeats 2 successors every 0.5 s,
 *       suspects after 1.5 s) and VERIFY_SUSPECT2 (0.5 s): a hung member is removed in about 2-2.5 s;
 *       O(1) messages per member; no extra port</li>
 *   <li>NAKACK2, UNICAST3: reliable, ordered multicast and unicast ({@link LeaverDroppingUNICAST3}: nothing
 *       is resent to a member that left the view); STABLE: garbage collection</li>
 *   <li>{@link MembershipRequestGuard}: a JOIN or LEAVE request only for its own sender; GMS: membership;
 *       a joiner that heard of a coordinator keeps retrying JOIN rather than starting a mesh of its own</li>
 *   <li>UFC, MFC: flow control; {@link MessageSizeGuard}: no message from a member, reassembled, over
 *       {@link #maxMessageBytes}, and no more than twice that half-received from one member; FRAG4:
 *       fragmentation (60,000-byte fragments)</li>
 * </ol>
 */
final class MeshStack {
  private MeshStack() {}

  /**
   * FRAG4's fragment size (JGroups' default, set here so that {@link MessageSizeGuard} and every member agree):
   * a message larger than this travels in fragments of this size.
   */
  static final int FRAG_SIZE = 60_000;
  /**
   * What one capped entry may add to a legitimate message: the largest Sync entry (a record of up to
   * {@code NodeRecordCodec.MAX_RECORD_BYTES} = 4096 bytes of JSON, its length, claim time, pinned flag, down
   * flag and time: 4,116 bytes) plus the largest tombstone (271), reservation (291) and holding (275), 4,953
   * bytes in all, rounded up to 8 KiB: room for a signature per entry and then some.
   */
  static final int BYTES_PER_CAPPED_ENTRY = 8 * 1024;
  /** The bound never goes below this (a small cluster CIDR still carries JGroups' views and digests). */
  static final int MIN_MESSAGE_BYTES = 1 << 20;

  /** The protocols, and the Weft protocols the mesh reads counters from. */
  record Built(List<Protocol> protocols, MergeProbe mergeProbe, RingFailureDetector failureDetector,
      MessageSizeGuard sizeGuard, MembershipRequestGuard requestGuard) {}

  /**
   * The largest mesh message, in bytes, a member accepts from another: a Sync at the cap with every entry of
   * the largest size fits (4 MiB for the default 10.244.0.0/16 in /24s, cap 512; the largest Sync at that cap
   * is about 2.5 MB, and one of real records a tenth of it). Reassembled fragments are bounded by it
   * ({@link MessageSizeGuard}), and each TCP frame too (JGroups' own messages are not fragmented).
   */
  static int maxMessageBytes(int cap) {
    return (int) Math.min(Integer.MAX_VALUE / 2, Math.max(MIN_MESSAGE_BYTES, (long) cap * BYTES_PER_CAPPED_ENTRY));
  }

  static int maxMessageBytes(MeshConfig config) {
    return maxMessageBytes(Plausibility.cap(config.clusterCidr(), config.subnetPrefix()));
  }

  /**
   * @param nodeName     this node's name (its handshake presents it)
   * @param probeTargets where the merge probe looks for other parts (the transport's addressing)
   * @param rejoin       asks the mesh to leave its view and join again (from a JGroups thread)
   */
  static Built build(MeshConfig config, MeshTransport transport, String nodeName,
      Supplier<? extends Collection<? extends Address>> probeTargets, Consumer<String> rejoin) throws Exception {
    registerWeftProtocols();
    MeshConfig.Timing t = config.timing();
    MeshConfig.Thresholds th = config.thresholds();
    List<Protocol> p = new ArrayList<>(transport.protocols(nodeName));
    MergeProbe merge = new MergeProbe(t.mergeMin().toMillis(), t.mergeMax().toMillis(), th, probeTargets, rejoin);
    RingFailureDetector ring = new RingFailureDetector(th.ringWatchers(), t.heartbeatInterval().toMillis(),
        t.suspectTimeout().toMillis(), th.escalateAfterReports());
    p.add(merge);
    p.add(ring);
    p.add(new VERIFY_SUSPECT2().setTimeout(t.verifyTimeout().toMillis()));
    // Mesh traffic is a trickle: small retransmission tables (they grow when needed) keep the
    // per-sender cost low, which is what limits how many members fit in one JVM for the simulation.
    // The last seqno is re-sent up to 3 times (0.5 s apart) after a member stops multicasting, so a
    // member that installed a view late and dropped the last message still sees the gap.
    p.add(new NAKACK2().useMcastXmit(false).setXmitInterval(500).resendLastSeqno(true).setResendLastSeqnoMaxTimes(3)
        .setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new LeaverDroppingUNICAST3().setXmitInterval(500).setXmitTableNumRows(5).setXmitTableMsgsPerRow(100));
    p.add(new STABLE().setDesiredAverageGossip(20_000).setMaxBytes(1_000_000));
    GMS gms = new GMS().setJoinTimeout(t.joinTimeout().toMillis()).printLocalAddress(false)
        .setMaxJoinAttempts(0).setViewAckCollectionTimeout(1000).setMergeTimeout(4000);
    MembershipRequestGuard requests = new MembershipRequestGuard(gms.getId(), new MessageRefusals(nodeName));
    p.add(requests);
    p.add(gms);
    p.add(new ViewSafeUFC().setMaxCredits(2_000_000).setMinThreshold(0.4));
    p.add(new MFC().setMaxCredits(2_000_000).setMinThreshold(0.4));
    FRAG4 frag = new FRAG4().setFragSize(FRAG_SIZE);
    MessageSizeGuard guard = new MessageSizeGuard(frag.getId(), FRAG_SIZE, maxMessageBytes(config),
        new MessageRefusals(nodeName));
    p.add(guard);
    p.add(frag);
    return new Built(p, merge, ring, guard, requests);
  }

  /**
   * Builds a throwaway stack once, so that the join's own build does not pay for a cold one: JGroups
   * reads every protocol's annotated fields and methods by reflection and initialises its class
   * registry, thread pools and timer, 100-300 ms of a cold start and about 10 ms after this. The
   * throwaway channel is never connected (it binds no port, sends nothing) and is closed at once.
   * Stateless, so it can run on a spare core early in a process's start. (Its throwaway secret only
   * keeps the open-mesh warning out of the log.)
   */
  static void warmUp() throws Exception {
    // The handshake's first crypto lookups load every installed JCA provider (tens of ms cold): one
    // handshake in memory loads X25519, Ed25519, HMAC and AES-GCM.
    HandshakeRunner.warmUp();
    MeshConfig throwaway = MeshConfig.of(InetAddress.getLoopbackAddress(), MeshConfig.DEFAULT_PORT, List.of(),
        Path.of(".")).withSecret(new byte[MeshConfig.MIN_SECRET_BYTES]);
    // JGroups' plain socket factory: the throwaway channel never opens a socket.
    Built built = build(throwaway, TcpTransport.unconnected(throwaway), "warm-up", List::of, why -> { });
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
    if (ClassConfigurator.getProtocolId(MessageSizeGuard.class) == 0) {
      ClassConfigurator.addProtocol(MessageSizeGuard.PROTOCOL_ID, MessageSizeGuard.class);
    }
    if (ClassConfigurator.getProtocolId(MembershipRequestGuard.class) == 0) {
      ClassConfigurator.addProtocol(MembershipRequestGuard.PROTOCOL_ID, MembershipRequestGuard.class);
    }
    if (ClassConfigurator.getProtocolId(LeaverDroppingUNICAST3.class) == 0) {
      ClassConfigurator.addProtocol(LeaverDroppingUNICAST3.PROTOCOL_ID, LeaverDroppingUNICAST3.class);
    }
    if (ClassConfigurator.getProtocolId(MergeProbe.class) == 0) {
      ClassConfigurator.addProtocol(MergeProbe.PROTOCOL_ID, MergeProbe.class);
      ClassConfigurator.add(MergeProbe.HEADER_MAGIC, MergeProbe.ProbeHeader.class);
    }
  }

  /** A small, shrinking thread pool: mesh traffic is a trickle, and tests run many members in one JVM. */
  static void modestThreads(TP tp, int max) {
    tp.getThreadPool().setMinThreads(0).setMaxThreads(max).setKeepAliveTime(30_000);
  }
}
