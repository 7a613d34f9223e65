package io.weft.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * When each start-up step of this process ended, in milliseconds since the process started (the
 * kernel's start time of the PID, 10 ms resolution: the launcher script and the JVM's own boot are
 * inside the first figure). Printed once, as one line, when the first routes are in: an operator sees at
 * a glance where a slow start went (JVM, configuration, netlink, mesh join, first reconcile). Marks come
 * from several threads (main, the mesh's event thread, the loop), hence the lock.
 */
public final class StartupTimeline {
  private final long originMillis;
  private final LongSupplier nowMillis;
  private final List<String> marks = new ArrayList<>();
  private boolean reported;

  StartupTimeline(long originMillis, LongSupplier nowMillis) {
    this.originMillis = originMillis;
    this.nowMillis = nowMillis;
  }

  /**
   * Measured from this process's start: its age from /proc (start time in clock ticks since boot
   * against /proc/uptime; ProcessHandle's start instant adds the boot time, known to the second only).
   * Without /proc, from now.
   */
  public static StartupTimeline sinceProcessStart() {
    long now = System.currentTimeMillis();
    return new StartupTimeline(now - processAgeMillis(Path.of("/proc")).orElse(0L), System::currentTimeMillis);
  }

  /** How long ago this process started, from {@code proc}/self/stat and {@code proc}/uptime. */
  static Optional<Long> processAgeMillis(Path proc) {
    try {
      String stat = Files.readString(proc.resolve("self/stat"));
      // Fields after the command name (which may hold blanks): state is field 3, starttime field 22.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long startTicks = Long.parseLong(fields[22 - 3]);
      String uptime = Files.readString(proc.resolve("uptime"));
      double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
      // USER_HZ: 100 on every Linux ABI the JDK runs on.
      long age = Math.round(upSeconds * 1000) - startTicks * 10;
      return age >= 0 ? Optional.of(age) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Records that {@code step} ended now. */
  public synchronized void mark(String step) {
    if (!reported) {
      marks.add(step + " " + (nowMillis.getAsLong() - originMillis));
    }
  }

  /**
   * Records the last step and returns the whole timeline the first time only (empty afterwards), so
   * the caller logs it exactly once.
   */
  public synchronized Optional<String> finish(String step) {
    if (reported) {
      return Optional.empty();
    }
    mark(step);
    reported = true;
    return Optional.of(String.join(", ", marks));
  }
}
