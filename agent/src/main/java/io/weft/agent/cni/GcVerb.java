package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.cni.protocol.NetworkConfig;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.core.net.Cidr;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.Link;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GC (CNI 1.1): release what belongs to attachments the runtime no longer lists, delete host veths on the
 * bridge that belong to none, then reconcile the IPAM with the kernel.
 */
record GcVerb(CniNode cni) implements CniVerb {
  private static final Logger log = LoggerFactory.getLogger(GcVerb.class);

  @Override
  public Optional<CniResult> run(Dataplane node, CniRequest r) {
    if (r.validAttachments() == null) {
      // Read as "nothing is valid" it would tear down every pod on the node.
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "GC needs cni.dev/valid-attachments",
          "the runtime sent no list of valid attachments; nothing was collected");
    }
    Cidr subnet = cni.requireSubnet();
    // GC judges which veths are orphans: the deletes of answered DELs finish first.
    cni.deletes().awaitAll();
    Set<AttachmentKey> valid = new HashSet<>();
    Set<String> validHosts = new HashSet<>();
    for (NetworkConfig.Attachment a : r.validAttachments()) {
      AttachmentKey k = new AttachmentKey(a.containerId(), a.ifname());
      valid.add(k);
      validHosts.add(k.hostInterfaceName());
    }
    for (AttachmentKey stale : cni.ipam().call(subnet, i -> i.stale(valid))) {
      HostVeths.delete(node, stale.hostInterfaceName());
      cni.ipam().call(subnet, i -> i.release(stale))
          .ifPresent(a -> log.info("CNI: GC released {} of {}", a.address().getHostAddress(), stale));
    }
    // Host ends on our bridge that belong to no valid attachment (an ADD that died before its allocation).
    Optional<Link> bridge = node.links().byName(cni.bridge().name());
    if (bridge.isPresent()) {
      for (Link l : node.links().list()) {
        if (l.masterIndex() == bridge.get().index() && HostVeths.isHostVeth(l.name()) && !validHosts.contains(l.name())) {
          log.info("CNI: GC deleting orphan veth {}", l.name());
          HostVeths.delete(node, l.name());
        }
      }
    }
    cni.ipam().reconcileAfterGc(subnet);
    return Optional.empty();
  }
}
