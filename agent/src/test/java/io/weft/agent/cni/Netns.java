package io.weft.agent.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** `ip netns` for the root tests: namespaces named with the test's prefix, created and removed here. */
final class Netns {
  static final String PREFIX = "wcni2-";

  private Netns() {}

  static Path path(String name) {
    return Path.of("/var/run/netns", name);
  }

  static void add(String name) throws IOException {
    run(List.of("ip", "netns", "add", name));
  }

  static void delete(String name) throws IOException {
    if (Files.exists(path(name))) {
      run(List.of("ip", "netns", "del", name));
    }
  }

  /** Many adds or deletes in one `ip -batch` process (one fork instead of hundreds). */
  static void batch(String verb, List<String> names) throws IOException {
    if (names.isEmpty()) {
      return;
    }
    Path file = Files.createTempFile(PREFIX, ".batch");
    try {
      StringBuilder b = new StringBuilder();
      for (String n : names) {
        b.append("netns ").append(verb).append(' ').append(n).append('\n');
      }
      Files.writeString(file, b);
      run(List.of("ip", "-force", "-batch", file.toString()));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Removes every namespace with the prefix (left by an earlier, killed run). */
  static void removeAllWithPrefix() throws IOException {
    removeAllWithPrefix(PREFIX);
  }

  static void removeAllWithPrefix(String prefix) throws IOException {
    List<String> stale = new ArrayList<>();
    for (String line : run(List.of("ip", "netns", "list")).split("\n")) {
      String name = line.split(" ")[0].trim();
      if (name.startsWith(prefix)) {
        stale.add(name);
      }
    }
    batch("del", stale);
  }

  /** Runs {@code command} inside namespace {@code name}; returns the result without judging it. */
  static Result exec(String name, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
    cmd.addAll(List.of(command));
    return start(cmd, null, null);
  }

  static String run(List<String> command) throws IOException {
    Result r = start(command, null, null);
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.stderr() + r.stdout());
    }
    return r.stdout();
  }

  record Result(int exit, String stdout, String stderr) {}

  /** Starts a process with an exact environment (when given) and stdin, and waits up to 30 s. */
  static Result start(List<String> command, java.util.Map<String, String> env, String stdin) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (env != null) {
      pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
      pb.environment().putAll(env);
    }
    Process p = pb.start();
    try {
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      // Read both streams before waiting so a chatty child cannot block on a full pipe.
      var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          return e.toString();
        }
      });
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish in 30 s");
      }
      return new Result(p.exitValue(), out, err.join());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted", e);
    }
  }
}
