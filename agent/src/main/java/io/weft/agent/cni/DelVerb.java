package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.dataplane.Dataplane;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEL: release the address, then delete the host end (the container end goes with it); whatever is
 * already gone counts as done, so DEL can be repeated and works after the namespace is gone. The answer
 * goes out once the address is released and the delete is queued ({@link VethDeletes}).
 */
record DelVerb(CniNode cni) implements CniVerb {
  private static final Logger log = LoggerFactory.getLogger(DelVerb.class);

  @Override
  public Optional<CniResult> run(Dataplane node, CniRequest r) {
    AttachmentKey key = CniNode.key(r);
    String host = key.hostInterfaceName();
    Optional<Optional<Allocation>> outcome = cni.ipam().callIfLoaded(i -> {
      Optional<Allocation> released = i.release(key);
      if (released.isEmpty()) {
        cni.ipam().releaseNamedByDel(i, key, r.prevIps());
      }
      return released;
    });
    if (outcome.isEmpty()) {
      HostVeths.delete(node, host);
      throw new CniError(CniError.TRY_AGAIN_LATER, "cannot release the address of " + key + " yet",
          "this node's pod subnet is not agreed yet, so its allocations are not loaded");
    }
    Optional<Allocation> released = outcome.get();
    // Safe to answer before the veth is gone: an ADD handed this address, or this attachment again, waits
    // for the delete; the runtime removes the pod's namespace after DEL, which would take the veth with it.
    cni.deletes().queue(host, released.map(Allocation::address));
    log.info("CNI: DEL {}{}", key, released.map(a -> " released " + a.address().getHostAddress()).orElse(" (held no address)"));
    return Optional.empty();
  }
}
