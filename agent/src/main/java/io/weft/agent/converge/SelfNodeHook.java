package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;

/**
 * Runs on the loop thread when this node's record first appears or its subnet changes (the bridge
 * address follows it). An exception fails that reconcile and is retried like a failed apply.
 */
@FunctionalInterface
public interface SelfNodeHook {
  void selfChanged(NodeRecord self);
}
