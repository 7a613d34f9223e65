package io.weft.gossip;

/**
 * The phases of one join (nanoTime marks), for the join's log line and the JoinLatency benchmark.
 * Owned by the event loop; the breakdown is published in a volatile field once the join is done.
 */
final class JoinTimeline {
  private long startedAt;
  private long stackBuiltAt;
  private long probedAt;
  private long firstViewAt;
  private volatile String breakdown = "";

  void started() {
    startedAt = System.nanoTime();
  }

  void stackBuilt() {
    stackBuiltAt = System.nanoTime();
  }

  void probed() {
    probedAt = System.nanoTime();
  }

  void firstView() {
    firstViewAt = System.nanoTime();
  }

  /** Ends the join now; returns the total in ms and keeps the breakdown. */
  long done() {
    long done = System.nanoTime();
    breakdown = String.format("stack %d ms, seed probe %d ms, JGroups join (discovery, JOIN, view) %d ms,"
        + " subnet and records %d ms", ms(startedAt, stackBuiltAt), ms(stackBuiltAt, probedAt),
        ms(probedAt, firstViewAt), ms(firstViewAt, done));
    return ms(startedAt, done);
  }

  /** The phases of the completed join; empty before. Any thread. */
  String breakdown() {
    return breakdown;
  }

  private static long ms(long from, long to) {
    return from == 0 || to == 0 ? -1 : Math.max(0, (to - from) / 1_000_000);
  }
}
