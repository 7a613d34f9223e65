package io.weft.lab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

  public static void netnsAdd(String name) {
    Command.of("ip", "netns", "add", name).run().check();
    in(name, "link", "set", "lo", "up");
  }

  public static void netnsDel(String name) {
    Command.Result result = Command.of("ip", "netns", "del", name).run();
    if (!result.ok() && netnsList().contains(name)) {
      result.check();
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
