package io.weft.agent.cni;

import io.weft.agent.NodeBridge;
import io.weft.core.net.Cidr;
import io.weft.dataplane.Dataplane;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** The convergence loop's part in the CNI tests: the node bridge, ensured at once whenever a verb asks. */
final class LoopBridge {
  private LoopBridge() {}

  static NodeBridge on(Dataplane node, Supplier<Optional<Cidr>> subnet, int podMtu) {
    AtomicReference<NodeBridge> bridge = new AtomicReference<>();
    bridge.set(new NodeBridge("v-net-0", Cidr.parse("10.244.0.0/16"),
        () -> subnet.get().ifPresent(s -> bridge.get().ensure(node, s, podMtu))));
    return bridge.get();
  }
}
