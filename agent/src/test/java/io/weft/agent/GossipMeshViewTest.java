package io.weft.agent;

import static io.weft.agent.converge.FakeMesh.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.gossip.LocalNode;
import io.weft.gossip.Mesh;
import io.weft.gossip.MeshListener;
import io.weft.gossip.MeshSnapshot;
import io.weft.gossip.MeshSnapshot.SeedStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GossipMeshViewTest {

  /** A mesh that pushes by hand and refuses to be pulled: the view must never ask it. */
  private static final class PushingMesh implements Mesh {
    MeshListener listener;

    @Override
    public MeshSnapshot snapshot() {
      throw new AssertionError("the view pulled a snapshot from the mesh");
    }

    @Override
    public void subscribe(MeshListener l) {
      listener = l;
    }

    @Override
    public CompletableFuture<NodeRecord> join(LocalNode local) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void publish(NodeRecord self) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void forget(String nodeName) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void leave() {}

    @Override
    public void close() {}
  }

  private static MeshSnapshot joinedWith(Peer... peers) {
    Map<String, Peer> byName = new java.util.TreeMap<>();
    for (Peer p : peers) {
      byName.put(p.name(), p);
    }
    return new MeshSnapshot(record("node-a", "192.168.1.11", "10.244.1.0/24"), byName, List.of(), List.of(), List.of(),
        new SeedStatus(SeedStatus.State.JOINED, List.of(), 1, 0, "joined"), List.of(), peers.length + 1, "node-a",
        MeshSnapshot.Counters.ZERO, 1);
  }

  @Test
  void theViewIsTheLastSnapshotPushedAndIsReadWithoutTheMesh() {
    PushingMesh mesh = new PushingMesh();
    GossipMeshView view = new GossipMeshView(mesh);
    assertNull(view.current().self(), "not joined before the first push");
    AtomicInteger nudges = new AtomicInteger();
    view.subscribe(nudges::incrementAndGet);

    mesh.listener.onChange(joinedWith(Peer.up(record("node-b", "192.168.1.12", "10.244.2.0/24"), 1)));
    assertEquals(1, nudges.get());
    assertEquals(List.of("node-b"), view.current().peers().stream().map(Peer::name).toList());

    mesh.listener.onChange(joinedWith(Peer.up(record("node-b", "192.168.1.12", "10.244.2.0/24"), 1),
        Peer.up(record("node-c", "192.168.1.13", "10.244.3.0/24"), 1)));
    assertEquals(2, nudges.get());
    assertEquals(List.of("node-b", "node-c"), view.current().peers().stream().map(Peer::name).sorted().toList());
  }
}
