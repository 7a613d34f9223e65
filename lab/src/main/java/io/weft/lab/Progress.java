package io.weft.lab;

import java.io.PrintStream;
import org.slf4j.LoggerFactory;

/** Where a lab reports its steps as it goes: the demo prints them, tests log them. */
@FunctionalInterface
public interface Progress {
  void step(String message);

  static Progress toLog() {
    return message -> LoggerFactory.getLogger(Lab.class).info(message);
  }

  /** Prints each step with the seconds since this progress was made. */
  static Progress timed(PrintStream out) {
    long start = System.nanoTime();
    return message -> out.printf("[%5.1fs] %s%n", (System.nanoTime() - start) / 1e9, message);
  }
}
