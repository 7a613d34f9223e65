package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.core.net.Cidr;
import io.weft.dataplane.Dataplane;
import java.util.List;
import java.util.Optional;

/** CHECK: compare the attachment with what ADD made, and name every difference (code 111). */
record CheckVerb(CniNode cni) implements CniVerb {
  @Override
  public Optional<CniResult> run(Dataplane node, CniRequest r) {
    AttachmentKey key = CniNode.key(r);
    Cidr subnet = cni.requireSubnet();
    Optional<Allocation> a = cni.ipam().call(subnet, i -> i.find(key));
    if (a.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", "no address is allocated to it");
    }
    List<String> problems = AttachmentCheck.differences(node, cni, r, a.get(), key.hostInterfaceName(), subnet);
    if (!problems.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", String.join("; ", problems));
    }
    return Optional.empty();
  }
}
