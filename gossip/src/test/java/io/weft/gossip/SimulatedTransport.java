package io.weft.gossip;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TP;
import org.jgroups.stack.Protocol;

/**
 * Members of one JVM without sockets (JGroups SHARED_LOOPBACK), for scale tests and the benchmark. Every
 * member registered under the cluster name is a merge candidate (what DNS would return for a
 * DaemonSet); traffic is counted by a {@link TrafficMeter}, as TCP would send it.
 */
final class SimulatedTransport implements MeshTransport {
  private final MeshConfig config;
  private final TrafficMeter meter = new TrafficMeter();

  SimulatedTransport(MeshConfig config) {
    this.config = config;
  }

  @Override
  public List<Protocol> protocols(String nodeName) {
    SHARED_LOOPBACK loop = new SHARED_LOOPBACK();
    loop.setBindAddress(config.bindAddress());
    loop.setBindPort(config.port());
    MeshStack.modestThreads(loop, 2);
    return List.of(loop, new SHARED_LOOPBACK_PING(), meter);
  }

  /** Every candidate "answers": discovery asks the in-JVM registry, not sockets. */
  @Override
  public List<InetSocketAddress> reachable(List<InetSocketAddress> candidates) {
    return candidates;
  }

  @Override
  public void discoverThrough(List<InetSocketAddress> live) {
    // the registry knows everyone
  }

  @Override
  public boolean discoveryAnswered() {
    return true;
  }

  @Override
  public Supplier<Collection<? extends Address>> probeTargets(Supplier<List<InetSocketAddress>> candidates) {
    String cluster = config.clusterName();
    return () -> {
      List<PingData> all = SHARED_LOOPBACK.getDiscoveryResponsesFor(cluster);
      return all == null ? List.of() : all.stream().map(PingData::getAddress).toList();
    };
  }

  @Override
  public Optional<InetSocketAddress> socketAddress(TP transport, Address member) {
    return Optional.empty();
  }

  @Override
  public boolean remembersPeers() {
    return false;
  }

  @Override
  public long bytesIn() {
    return meter.bytesIn.get();
  }

  @Override
  public long bytesOut() {
    return meter.bytesOut.get();
  }

  /** Bytes sent with each multicast counted once (what IP multicast would put on the wire). */
  long logicalBytesOut() {
    return meter.logicalOut.get();
  }

  @Override
  public long refusedConnections() {
    return 0;
  }

  @Override
  public long refusedOutgoing() {
    return 0;
  }

  @Override
  public String lastOutgoingRefusal() {
    return "";
  }
}
