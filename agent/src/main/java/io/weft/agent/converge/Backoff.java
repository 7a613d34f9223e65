package io.weft.agent.converge;

import java.time.Duration;

/** Exponential backoff without jitter (one agent retries against its own kernel; nothing to de-synchronise). */
public record Backoff(Duration min, Duration max) {

  /** The wait before retry number {@code failures} (1 = after the first failure). */
  public Duration delay(int failures) {
    if (failures <= 0) {
      return Duration.ZERO;
    }
    int shift = Math.min(failures - 1, 20);
    long ms = min.toMillis() << shift;
    return ms >= max.toMillis() || ms < 0 ? max : Duration.ofMillis(ms);
  }
}
