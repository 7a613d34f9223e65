package io.weft.agent.converge;

import io.weft.core.model.NodeRecord;

/**
 * Runs on the loop thread at the start of every reconcile once this node has a record, so node-local
 * state that follows the record (the bridge and its gateway address) is re-checked with the routes. Must
 * be idempotent and cheap; an exception fails that reconcile and is retried like a failed apply.
 */
@FunctionalInterface
public interface SelfNodeHook {
  /**
   * @param self   this node's record
   * @param podMtu the MTU of this node's pods (the bridge's too)
   */
  void selfChanged(NodeRecord self, int podMtu);
}
