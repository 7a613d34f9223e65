package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.dataplane.Dataplane;
import java.util.Optional;

/** One CNI verb, run on the caller's thread with a node handle of its own (closed after it). */
interface CniVerb {
  /** ADD's result; empty for the other verbs. Failures are {@code CniError}s, or IPAM and netlink exceptions. */
  Optional<CniResult> run(Dataplane node, CniRequest request);
}
