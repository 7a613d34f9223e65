package io.weft.agent;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators write them: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 24h}, {@code 7d}, or ISO-8601. */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /** @throws IllegalArgumentException saying which forms are accepted */
  public static Duration parse(String text) {
    String t = text.trim();
    Matcher m = SIMPLE.matcher(t);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      return Duration.parse(t);
    } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration (use e.g. 500ms, 30s, 2m, 24h)");
    }
  }

  /** Short human form: {@code 2m0s} → {@code 2m}, {@code 1500ms} → {@code 1.5s}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    long s = d.toSeconds();
    if (s < 60) {
      return ms % 1000 == 0 ? s + "s" : String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    if (s < 3600) {
      return s % 60 == 0 ? s / 60 + "m" : s / 60 + "m" + s % 60 + "s";
    }
    if (s < 86400) {
      return s % 3600 == 0 ? s / 3600 + "h" : s / 3600 + "h" + (s % 3600) / 60 + "m";
    }
    return s % 86400 == 0 ? s / 86400 + "d" : s / 86400 + "d" + (s % 86400) / 3600 + "h";
  }
}
