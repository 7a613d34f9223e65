package io.weft.agent.converge;

/** Told about every finished reconcile, on the loop thread; must be quick (metrics, logs). */
@FunctionalInterface
public interface ReconcileObserver {
  void reconciled(ReconcileReport report);
}
