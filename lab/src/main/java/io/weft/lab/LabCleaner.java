package io.weft.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a lab by its prefix: kills every process living in one of its namespaces (agents,
 * echoes, pings — found with {@code ip netns pids}), deletes the namespaces (which takes their
 * links and routes with them) and the run folder. Used at the end of every lab and, at the start
 * of the next one, to clear what a crashed run left.
 */
public final class LabCleaner {
  private static final Logger log = LoggerFactory.getLogger(LabCleaner.class);

  private LabCleaner() {}

  /** Removes everything with {@code topology}'s prefix; returns the namespaces it deleted. */
  public static List<String> removeAll(Topology topology, Path runRoot) {
    List<String> owned = Ip.netnsList().stream().filter(topology::owns).toList();
    // Signal every process first, then wait for them together: a JVM takes a moment to die.
    List<ProcessHandle> dying = new ArrayList<>();
    for (String netns : owned) {
      for (long pid : Ip.netnsPids(netns)) {
        ProcessHandle.of(pid).ifPresent(process -> {
          log.info("killing pid {} ({}) left in namespace {}", pid, process.info().command().orElse("?"), netns);
          process.destroyForcibly();
          dying.add(process);
        });
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    for (ProcessHandle process : dying) {
      try {
        process.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException e) {
        throw new LabException("could not kill pid " + process.pid() + " of a lab namespace: still alive after SIGKILL", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LabException("interrupted while killing lab processes", e);
      }
    }
    // Pods before nodes before the LAN: a veth dies with either end, order only keeps errors quiet.
    owned.stream()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(Ip::netnsDel);
    deleteTree(runRoot);
    return owned;
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new LabException("could not remove lab files under " + root + ": " + e.getMessage(), e);
    }
  }
}
