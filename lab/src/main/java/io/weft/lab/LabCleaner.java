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
 * echoes, pings — found with {@code ip netns pids}) or in its containers' cgroups ({@link Podman}'s
 * containers live in network namespaces of podman's own), removes those cgroups, deletes the
 * namespaces (which takes their links and routes with them) and the run folder. Used at the end of every lab and, at the start
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
    List<Path> cgroups = containerCgroups(topology);
    for (Path cgroup : cgroups) {
      for (long pid : cgroupPids(cgroup)) {
        ProcessHandle.of(pid).ifPresent(process -> {
          log.info("killing pid {} ({}) left in container cgroup {}", pid, process.info().command().orElse("?"), cgroup);
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
    for (Path cgroup : cgroups) {
      deleteCgroup(cgroup);
    }
    // Pods before nodes before the LAN: a veth dies with either end, order only keeps errors quiet.
    owned.stream()
        .sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(Ip::netnsDel);
    deleteTree(runRoot);
    return owned;
  }

  /**
   * The lab's container cgroup parent under every hierarchy that has it: one on cgroup v2, one per
   * controller on v1 (runc makes the container's cgroup in each).
   */
  private static List<Path> containerCgroups(Topology topology) {
    Path root = Path.of("/sys/fs/cgroup");
    List<Path> found = new ArrayList<>();
    if (Files.isDirectory(root.resolve(topology.containerCgroup()))) {
      found.add(root.resolve(topology.containerCgroup()));
    }
    try (Stream<Path> hierarchies = Files.list(root)) {
      hierarchies.map(h -> h.resolve(topology.containerCgroup())).filter(Files::isDirectory).forEach(found::add);
    } catch (IOException e) {
      // No cgroup file system: no containers either.
    }
    return found;
  }

  private static List<Long> cgroupPids(Path cgroup) {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> dirs = Files.walk(cgroup)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
          if (!line.isBlank()) {
            pids.add(Long.parseLong(line.strip()));
          }
        }
      }
    } catch (IOException e) {
      throw new LabException("could not read the processes of cgroup " + cgroup + ": " + e.getMessage(), e);
    }
    return pids;
  }

  /** A cgroup goes with rmdir on each directory, innermost first (its files are the kernel's, not removable). */
  private static void deleteCgroup(Path cgroup) {
    try (Stream<Path> dirs = Files.walk(cgroup)) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(dir);
      }
    } catch (IOException e) {
      throw new LabException("could not remove cgroup " + cgroup + ": " + e.getMessage(), e);
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
