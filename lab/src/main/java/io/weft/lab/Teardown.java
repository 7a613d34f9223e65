package io.weft.lab;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Makes teardown final: once it has begun (e.g. from the shutdown hook while the main thread is
 * still building), no step may create a namespace or start a process any more. Creating steps run
 * under the read lock (many at once); {@link #begin} takes the write lock, so it waits for the
 * steps in flight and every later step is refused.
 */
final class Teardown {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean begun;

  /** Runs {@code step} unless teardown has begun; {@code what} names it in the refusal. */
  <T> T whileUp(String what, Supplier<T> step) {
    lock.readLock().lock();
    try {
      if (begun) {
        throw new LabException("the lab is being torn down: not " + what);
      }
      return step.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  void whileUp(String what, Runnable step) {
    whileUp(what, () -> {
      step.run();
      return null;
    });
  }

  boolean begun() {
    lock.readLock().lock();
    try {
      return begun;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Marks teardown as begun; false when it already had. */
  boolean begin() {
    lock.writeLock().lock();
    try {
      boolean first = !begun;
      begun = true;
      return first;
    } finally {
      lock.writeLock().unlock();
    }
  }
}
