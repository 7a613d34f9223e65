package io.weft.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A continuous ping from a pod ({@code ping -n -i INTERVAL}) to show whether traffic survives
 * something (an agent restart). Lost = sequence numbers up to the last answered one that never got
 * a reply; echoes still in flight when it stops do not count.
 */
public final class PingStream implements AutoCloseable {
  private static final Pattern REPLY = Pattern.compile("bytes from .*icmp_seq=(\\d+)");

  private final Process process;
  private final Path output;
  private final String description;

  private PingStream(Process process, Path output, String description) {
    this.process = process;
    this.output = output;
    this.description = description;
  }

  /** Starts pinging {@code target} from {@code from} every {@code intervalMillis} (root may go below 200). */
  public static PingStream start(Pod from, String target, int intervalMillis) {
    try {
      Path output = Files.createTempFile("wlab-ping", ".txt");
      String interval = String.format(java.util.Locale.ROOT, "%.3f", intervalMillis / 1000.0);
      Process process = from.startInside(new ProcessBuilder(from.exec("ping", "-n", "-i", interval, target))
          .redirectErrorStream(true)
          .redirectOutput(output.toFile()));
      return new PingStream(process, output, from.name() + " -> " + target);
    } catch (IOException e) {
      throw new LabException("could not start ping from " + from + " to " + target + ": " + e.getMessage(), e);
    }
  }

  /** What a stopped stream saw. */
  public record Summary(String description, int answered, List<Integer> lost) {
    @Override
    public String toString() {
      return description + ": " + answered + " answered, " + lost.size() + " lost" + (lost.isEmpty() ? "" : " " + lost);
    }
  }

  /** Stops the ping (SIGINT, as a user's Ctrl-C) and counts. */
  public Summary stop() {
    try {
      Command.of("kill", "-INT", Long.toString(process.pid())).run();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      TreeSet<Integer> answered = new TreeSet<>();
      for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
        Matcher m = REPLY.matcher(line);
        if (m.find()) {
          answered.add(Integer.parseInt(m.group(1)));
        }
      }
      int last = answered.isEmpty() ? 0 : answered.last();
      List<Integer> lost = java.util.stream.IntStream.rangeClosed(1, last)
          .filter(seq -> !answered.contains(seq)).boxed().toList();
      return new Summary(description, answered.size(), lost);
    } catch (IOException e) {
      throw new LabException("could not read ping output " + output + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while stopping ping " + description, e);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      Files.deleteIfExists(output);
    } catch (IOException e) {
      // A temp file left behind is harmless.
    }
  }
}
