package io.weft.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
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
    for (String netns : owned) {
      for (long pid : Ip.netnsPids(netns)) {
        kill(pid, netns);
      }
    }
    // Pods before nodes before the LAN: a veth dies with either end, order only keeps errors quiet.
    owned.stream()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(Ip::netnsDel);
    deleteTree(runRoot);
    return owned;
  }

  private static void kill(long pid, String netns) {
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty()) {
      return;
    }
    log.info("killing pid {} ({}) left in namespace {}", pid, process.get().info().command().orElse("?"), netns);
    process.get().destroyForcibly();
    try {
      process.get().onExit().get(java.time.Duration.ofSeconds(10).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new LabException("could not kill pid " + pid + " in namespace " + netns + ": " + e, e);
    }
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
