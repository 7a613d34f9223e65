package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Kernel route changes of some lab nodes as they happen, each with the kernel event's time
 * ({@code ip -ts monitor route} in every node's namespace): join and withdrawal times to the
 * millisecond without polling every node. Close it to stop the monitors.
 */
public final class RouteWatch implements AutoCloseable {
  /** One route event: when, in which node, and the line {@code ip monitor} printed. */
  public record Change(Instant at, String node, String line) {
    boolean adds(String destination) {
      return !line.startsWith("Deleted ") && line.startsWith(destination + " ");
    }

    boolean deletes(String destination) {
      return line.startsWith("Deleted " + destination + " ");
    }

    /** A route carrying Weft's protocol: by number (the lab names no protocols) or by a host's name for it. */
    boolean isWefts() {
      String l = line + " ";
      return l.contains(" proto " + KernelRoute.WEFT_PROTOCOL_NUMBER + " ") || l.contains(" proto weft ");
    }
  }

  private final List<Process> monitors = new ArrayList<>();
  private final Map<String, List<Change>> changes = new ConcurrentHashMap<>();

  private RouteWatch() {}

  /** Starts a monitor in each node's namespace; returns once all of them run. */
  public static RouteWatch start(List<LabNode> nodes) {
    RouteWatch watch = new RouteWatch();
    try {
      for (LabNode node : nodes) {
        watch.watch(node.name());
      }
      // ip subscribes to the route group right after it starts; give the last one a moment.
      Lab.pause(java.time.Duration.ofMillis(100));
      return watch;
    } catch (RuntimeException e) {
      watch.close();
      throw e;
    }
  }

  private void watch(String netns) {
    List<Change> list = new CopyOnWriteArrayList<>();
    changes.put(netns, list);
    Process p;
    try {
      p = new ProcessBuilder("ip", "-n", netns, "-ts", "monitor", "route").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new LabException("could not start ip monitor in " + netns + ": " + e.getMessage(), e);
    }
    monitors.add(p);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          parse(netns, line).ifPresent(list::add);
        }
      } catch (IOException e) {
        // The monitor was stopped.
      }
    }, "route-watch-" + netns);
    reader.setDaemon(true);
    reader.start();
  }

  /** {@code [2026-11-26T09:18:12.722020] 10.99.0.0/24 via ...}: local time of this machine. */
  static Optional<Change> parse(String netns, String line) {
    if (!line.startsWith("[") || line.indexOf(']') < 0) {
      return Optional.empty();
    }
    LocalDateTime at = LocalDateTime.parse(line.substring(1, line.indexOf(']')));
    return Optional.of(new Change(at.atZone(ZoneId.systemDefault()).toInstant(), netns,
        line.substring(line.indexOf(']') + 1).strip()));
  }

  /** When a route to {@code destination} was first added in {@code node} at or after {@code since}. */
  public Optional<Instant> added(LabNode node, String destination, Instant since) {
    return first(node, since, c -> c.adds(destination));
  }

  /** When the route to {@code destination} was first deleted in {@code node} at or after {@code since}. */
  public Optional<Instant> deleted(LabNode node, String destination, Instant since) {
    return first(node, since, c -> c.deletes(destination));
  }

  /**
   * Every route of Weft's (protocol 87) that the kernel deleted at or after {@code since}, in any watched
   * node, in the order each node saw them.
   */
  public List<Change> weftDeletions(Instant since) {
    List<Change> all = new ArrayList<>();
    changes.values().forEach(list -> list.stream()
        .filter(c -> !c.at().isBefore(since) && c.line().startsWith("Deleted ") && c.isWefts())
        .forEach(all::add));
    return all;
  }

  private Optional<Instant> first(LabNode node, Instant since, java.util.function.Predicate<Change> what) {
    return changes.getOrDefault(node.name(), List.of()).stream()
        .filter(c -> !c.at().isBefore(since))
        .filter(what)
        .map(Change::at)
        .findFirst();
  }

  @Override
  public void close() {
    monitors.forEach(Process::destroy);
  }
}
