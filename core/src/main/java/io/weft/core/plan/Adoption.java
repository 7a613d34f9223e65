package io.weft.core.plan;

/**
 * Where start-up adoption stands, as {@link Reconcile} needs it: while it holds, what Weft finds of its own
 * in the kernel that nothing desired claims is kept (its peers may not have rejoined yet); once
 * {@link AdoptionRule} ends it, such leftovers are removed.
 */
public enum Adoption {
  /** Keep our unclaimed routes and tunnel entries. */
  HOLDING,
  /** Remove them. */
  ENDED
}
