package io.weft.agent.cni;

import io.weft.core.net.Cidr;
import java.time.Duration;

/**
 * The node bridge as the CNI verbs see it. Another thread owns it (the convergence loop: it creates the
 * bridge, gives it the node's pod MTU, puts the gateway address on it, removes addresses of an older pod
 * subnet and repairs all of that on kernel events); a verb reads it and never changes it.
 */
public interface OwnedBridge {
  /** The bridge's name ({@code --bridge}, {@code v-net-0}). */
  String name();

  /** Whether the owner's latest ensure succeeded for {@code subnet} (a plain read, no waiting). */
  boolean ensuredFor(Cidr subnet);

  /**
   * Asks the owner for a fresh ensure and waits until one for {@code subnet} has succeeded, at most
   * {@code timeout}; false when none did in time (or the thread was interrupted, whose flag stays set).
   */
  boolean awaitEnsure(Cidr subnet, Duration timeout);
}
