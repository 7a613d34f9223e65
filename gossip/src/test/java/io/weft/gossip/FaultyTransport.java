package io.weft.gossip;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.protocols.TP;
import org.jgroups.stack.Protocol;
import org.jgroups.util.Util;

/**
 * A transport with a {@link FaultSwitch} directly above the transport protocol (below discovery, so a
 * partition cuts discovery too): tests hang, partition and crash members through it.
 */
final class FaultyTransport implements MeshTransport {
  private final MeshTransport inner;
  private final FaultSwitch faults = new FaultSwitch();
  private volatile Protocol bottom;
  private volatile Consumer<JChannel> beforeConnect;

  FaultyTransport(MeshTransport inner) {
    this.inner = inner;
  }

  MeshTransport inner() {
    return inner;
  }

  /** Hangs this member (drops all its traffic both ways) or lets it go again. */
  void hang(boolean hung) {
    faults.hang(hung);
  }

  /** Drops all traffic from and to the named members (call it on both sides for a partition). */
  void isolateFrom(Collection<String> nodeNames) {
    faults.block(Set.copyOf(nodeNames));
  }

  /** Lets all traffic through again. */
  void heal() {
    faults.heal();
  }

  /** The member's channel, once its stack is built (null before). */
  JChannel channel() {
    Protocol p = bottom;
    return p == null || p.getProtocolStack() == null ? null : p.getProtocolStack().getChannel();
  }

  /**
   * Simulates a crash: the channel stops without a leave message and its connections just drop. The
   * mesh itself is closed afterwards by the test's cleanup.
   */
  void crash() throws Exception {
    JChannel ch = channel();
    if (ch != null) {
      Util.shutdown(ch);
    }
  }

  @Override
  public List<Protocol> protocols(String nodeName) throws Exception {
    List<Protocol> p = new ArrayList<>(inner.protocols(nodeName));
    bottom = p.get(0);
    p.add(1, faults);
    return p;
  }

  @Override
  public List<InetSocketAddress> reachable(List<InetSocketAddress> candidates) {
    return inner.reachable(candidates);
  }

  /** Runs {@code action} with the built channel just before its next connect (on the connector thread). */
  void beforeNextConnect(Consumer<JChannel> action) {
    beforeConnect = action;
  }

  /** Called on the connector thread right before the channel connects. */
  @Override
  public void discoverThrough(List<InetSocketAddress> live) {
    Consumer<JChannel> action = beforeConnect;
    beforeConnect = null;
    if (action != null) {
      action.accept(channel());
    }
    inner.discoverThrough(live);
  }

  @Override
  public boolean discoveryAnswered() {
    return inner.discoveryAnswered();
  }

  @Override
  public Supplier<Collection<? extends Address>> probeTargets(Supplier<List<InetSocketAddress>> candidates) {
    return inner.probeTargets(candidates);
  }

  @Override
  public Optional<InetSocketAddress> socketAddress(TP transport, Address member) {
    return inner.socketAddress(transport, member);
  }

  @Override
  public boolean remembersPeers() {
    return inner.remembersPeers();
  }

  @Override
  public long bytesIn() {
    return inner.bytesIn();
  }

  @Override
  public long bytesOut() {
    return inner.bytesOut();
  }

  @Override
  public long refusedConnections() {
    return inner.refusedConnections();
  }

  @Override
  public long refusedOutgoing() {
    return inner.refusedOutgoing();
  }

  @Override
  public String lastOutgoingRefusal() {
    return inner.lastOutgoingRefusal();
  }
}
