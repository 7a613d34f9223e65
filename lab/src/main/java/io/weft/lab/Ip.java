package io.weft.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code ip} commands the lab uses. Every link, address and route command is scoped to a
 * namespace ({@code ip -n NS ...}); only {@code ip netns add/del/list/pids} act on the host, and
 * they only ever name namespaces the lab owns.
 */
public final class Ip {
  private Ip() {}

  /** {@code ip -n NS ARGS...}, checked. */
  public static Command.Result in(String netns, String... args) {
    return inUnchecked(netns, args).check();
  }

  /** Whether namespace {@code netns} has a link named {@code name}. */
  public static boolean hasLink(String netns, String name) {
    return inUnchecked(netns, "link", "show", "dev", name).ok();
  }

  private static Command.Result inUnchecked(String netns, String... args) {
    List<String> argv = new ArrayList<>(List.of("ip", "-n", netns));
    argv.addAll(Arrays.asList(args));
    return Command.of(argv).run();
  }

  /** The argv that runs {@code command} inside namespace {@code netns}, as a user on that node would. */
  public static List<String> exec(String netns, List<String> command) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns));
    argv.addAll(command);
    return argv;
  }

  /** {@code ip netns exec} overlays {@code /etc} with this folder's files for that namespace. */
  private static Path etcOf(String name) {
    return Path.of("/etc/netns", name);
  }

  /**
   * Creates namespace {@code name} with loopback up, and its own {@code hosts} and {@code resolv.conf}
   * (through {@code /etc/netns/NAME}, which {@code ip netns exec} mounts over {@code /etc}): the node's
   * hostname resolves locally, as on a real node, and no DNS query ever leaves the lab.
   */
  public static void netnsAdd(String name) {
    Command.of("ip", "netns", "add", name).run().check();
    in(name, "link", "set", "lo", "up");
    try {
      Files.createDirectories(etcOf(name));
      Files.writeString(etcOf(name).resolve("hosts"), "127.0.0.1 localhost\n127.0.1.1 " + name + "\n");
      Files.writeString(etcOf(name).resolve("resolv.conf"), "# lab namespace: no DNS server\n");
    } catch (IOException e) {
      throw new UncheckedIOException("could not write /etc/netns/" + name, e);
    }
  }

  public static void netnsDel(String name) {
    Command.Result result = Command.of("ip", "netns", "del", name).run();
    removeEtc(name);
    if (!result.ok() && netnsList().contains(name)) {
      result.check();
    }
  }

  private static void removeEtc(String name) {
    Path dir = etcOf(name);
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove /etc/netns/" + name, e);
    }
  }

  public static List<String> netnsList() {
    String out = Command.of("ip", "netns", "list").run().check().stdout();
    List<String> names = new ArrayList<>();
    for (String line : out.split("\n")) {
      // Lines look like "wlab-n1 (id: 3)" or just "wlab-n1".
      String name = line.strip().split("\\s+")[0];
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  /** Process ids whose network namespace is {@code name}. */
  public static List<Long> netnsPids(String name) {
    Command.Result result = Command.of("ip", "netns", "pids", name).run();
    List<Long> pids = new ArrayList<>();
    if (!result.ok()) {
      return pids;
    }
    for (String line : result.stdout().split("\n")) {
      if (!line.isBlank()) {
        pids.add(Long.parseLong(line.strip()));
      }
    }
    return pids;
  }
}
