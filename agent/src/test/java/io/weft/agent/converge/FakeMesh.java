package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A mesh view the test sets by hand; every {@link #set} notifies like a mesh change. */
public final class FakeMesh implements MeshView {
  private volatile PlanningInput state = PlanningInput.notJoined();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public static NodeRecord record(String name, String ip, String subnet) {
    return new NodeRecord(name, name, IpAddresses.parse(ip), MacAddress.parse("02:00:00:00:00:0" + (name.length() % 10)),
        Cidr.parse(subnet), SubnetSource.ALLOCATED, 1, 1, "test", 0);
  }

  public void set(NodeRecord self, boolean settled, Peer... peers) {
    expect(self, settled, List.of(), peers);
  }

  /** As {@link #set}, with the node IPs where this node expects peers (remembered, seeds). */
  public void expect(NodeRecord self, boolean settled, List<InetAddress> expectedPeers, Peer... peers) {
    state = new PlanningInput(self, List.of(peers), settled, expectedPeers);
    listeners.forEach(Runnable::run);
  }

  /** Notifies without changing anything (a mesh change that does not matter to routes). */
  public void touch() {
    listeners.forEach(Runnable::run);
  }

  @Override
  public PlanningInput current() {
    return state;
  }

  @Override
  public void subscribe(Runnable onChange) {
    listeners.add(onChange);
  }
}
