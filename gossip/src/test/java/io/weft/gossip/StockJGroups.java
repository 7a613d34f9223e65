package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import java.util.concurrent.CompletableFuture;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.MERGE3;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;

/**
 * The benchmarks' reference: Weft's own stack with JGroups' stock protocols back in place of Weft's two
 * replacements, FD_ALL3 for {@link RingFailureDetector} and MERGE3 for {@link MergeProbe}. Everything
 * else (transport, AES-GCM, SeedDiscovery, VERIFY_SUSPECT2, NAKACK2, GMS, flow control) stays identical,
 * so the difference in the figures is those two protocols. Both are JGroups 5.5.4's defaults except for
 * the timings, which are the mesh's own: FD_ALL3 heartbeats every {@code heartbeatInterval} and suspects
 * after {@code suspectTimeout}; MERGE3 runs its rounds every {@code mergeMin..mergeMax} (check_interval
 * left to MERGE3, 1.6 x max). That is how Weft's stack was configured before the two replacements.
 *
 * <p>Benchmark code only: the swap happens through the test transport ({@link FaultyTransport}), so
 * production has no hook for it.
 */
final class StockJGroups {
  static final String NAME = "stock JGroups (FD_ALL3+MERGE3)";

  private StockJGroups() {}

  /** {@code mesh.join(node)}, with FD_ALL3 and MERGE3 swapped in after the stack is built and before it connects. */
  static CompletableFuture<NodeRecord> join(Members members, JGroupsMesh mesh, LocalNode node, MeshConfig.Timing timing) {
    members.faults(mesh).beforeNextConnect(channel -> {
      try {
        swap(channel.getProtocolStack(), timing);
      } catch (Exception e) {
        throw new IllegalStateException("could not swap in the stock protocols", e);
      }
    });
    return mesh.join(node);
  }

  private static void swap(ProtocolStack stack, MeshConfig.Timing t) throws Exception {
    FD_ALL3 fd = new FD_ALL3().setTimeout(t.suspectTimeout().toMillis()).setInterval(t.heartbeatInterval().toMillis());
    MERGE3 merge = new MERGE3().setMinInterval(t.mergeMin().toMillis()).setMaxInterval(t.mergeMax().toMillis());
    replace(stack, RingFailureDetector.class, fd);
    replace(stack, MergeProbe.class, merge);
  }

  private static void replace(ProtocolStack stack, Class<? extends Protocol> weft, Protocol stock) throws Exception {
    Protocol old = stack.findProtocol(weft);
    if (old == null) {
      throw new IllegalStateException("no " + weft.getSimpleName() + " in the stack to replace with " + stock.getName()
          + ": " + stack.printProtocolSpec(false));
    }
    stock.setProtocolStack(stack);
    stack.replaceProtocol(old, stock); // initialises the new protocol; it starts with the channel
  }
}
