package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.dataplane.Dataplane;
import java.util.Optional;

/** STATUS (CNI 1.1): ready once the node has its pod subnet and the bridge exists; else code 50. */
record StatusVerb(CniNode cni) implements CniVerb {
  @Override
  public Optional<CniResult> run(Dataplane node, CniRequest r) {
    if (cni.podSubnet().get().isEmpty()) {
      throw new CniError(CniError.PLUGIN_NOT_AVAILABLE, "weft is not ready",
          "this node has no pod subnet yet (the mesh has not agreed one)");
    }
    String bridge = cni.bridge().name();
    if (node.links().byName(bridge).isEmpty()) {
      throw new CniError(CniError.PLUGIN_NOT_AVAILABLE, "weft is not ready", "bridge " + bridge + " does not exist yet");
    }
    return Optional.empty();
  }
}
