package io.weft.dataplane.netlink;

import io.weft.dataplane.NetlinkException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs short actions inside another network namespace: opening sockets, opening /proc/sys files.
 *
 * <p>Each action gets a fresh platform thread that enters the namespace with {@code setns(fd,
 * CLONE_NEWNET)}, runs the action, and goes back to the namespace it started in before it ends. The
 * namespace is per thread, so the caller's thread and every other thread never move. If the way back
 * fails the thread throws an {@link Error} and dies: a thread stranded in a foreign namespace must not be
 * reused. A new thread rather than a pool, because a pool may start its replacement worker from the dying
 * one, which would inherit the wrong namespace.
 */
public final class Namespaces {
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  /** A FIFO put where a namespace file should be opens at once (and then fails setns) instead of hanging. */
  private static final int O_NONBLOCK = 0x800;

  private final Native nat;

  public Namespaces(Native nat) {
    this.nat = nat;
  }

  /** Opens {@code path} read-only (close-on-exec, non-blocking) and returns the fd; used for namespace files. */
  public int open(Path path, String operation) {
    int fd = nat.libc().open(path.toString(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      throw NetlinkException.of(nat.errno(), operation, "cannot open " + path);
    }
    return fd;
  }

  public void close(int fd) {
    nat.libc().close(fd);
  }

  /**
   * Runs {@code action} inside the namespace at {@code netns}, or right here when it is null. Exceptions
   * of the action reach the caller as they were thrown.
   */
  public <T> T call(Path netns, String operation, Supplier<T> action) {
    if (netns == null) {
      return action.get();
    }
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        result.set(inside(netns, operation, action));
      } catch (Throwable e) {
        failure.set(e);
        if (e instanceof Error) {
          throw (Error) e;
        }
      }
    }, "weft-netns-" + netns.getFileName());
    t.setDaemon(true);
    t.setUncaughtExceptionHandler((th, e) -> { });
    t.start();
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable e = failure.get();
    if (e instanceof RuntimeException re) {
      throw re;
    }
    if (e != null) {
      throw new IllegalStateException("could not " + operation + " in " + netns + ": " + e.getMessage(), e);
    }
    return result.get();
  }

  private <T> T inside(Path netns, String operation, Supplier<T> action) {
    LibC c = nat.libc();
    int home = open(Path.of("/proc/thread-self/ns/net"), operation + " (remember the current namespace)");
    try {
      int target = open(netns, operation + " (open network namespace " + netns + ")");
      try {
        if (c.setns(target, CLONE_NEWNET) != 0) {
          throw NetlinkException.of(nat.errno(), operation + " (enter network namespace " + netns + ")", null);
        }
      } finally {
        c.close(target);
      }
      try {
        return action.get();
      } finally {
        if (c.setns(home, CLONE_NEWNET) != 0) {
          throw new Error("could not return from network namespace " + netns + " (errno " + nat.errno()
              + "); this thread is stranded and ends here");
        }
      }
    } finally {
      c.close(home);
    }
  }
}
