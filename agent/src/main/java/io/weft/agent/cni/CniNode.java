package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.core.net.Cidr;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the verbs share about this node: its pod subnet, its bridge (owned by the loop), its IPAM (owned by
 * the IPAM thread), the veth deletes still running, a way into pod namespaces and the check a pod's namespace
 * file passes before anything is opened in it.
 */
record CniNode(Supplier<Optional<Cidr>> podSubnet, OwnedBridge bridge, IpamThread ipam, VethDeletes deletes,
    PodNamespaces pods, PodNamespace namespaceCheck) {

  /** The node's pod subnet, or code 11: a verb before the mesh agreed it is to be retried. */
  Cidr requireSubnet() {
    return podSubnet.get().orElseThrow(() -> new CniError(CniError.TRY_AGAIN_LATER,
        "this node has no pod subnet yet", "the mesh has not agreed this node's /24; try again shortly"));
  }

  static AttachmentKey key(CniRequest r) {
    return new AttachmentKey(r.containerId() == null ? "" : r.containerId(), r.ifname() == null ? "" : r.ifname());
  }
}
