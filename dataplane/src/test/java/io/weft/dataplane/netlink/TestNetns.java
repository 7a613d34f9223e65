package io.weft.dataplane.netlink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a root test creates and always removes, and the oracle that reads it: what
 * {@code ip -j} prints there. Names start with {@code wdp-} (or a prefix of the test's own, so tests of
 * another engineer running at the same time keep theirs); leftovers of a killed run with that prefix are
 * removed before the first one is made.
 */
public final class TestNetns implements AutoCloseable {
  public static final String PREFIX = "wdp-";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Prefixes whose leftovers this JVM has already removed. */
  private static final Set<String> staleRemoved = new HashSet<>();

  private final String name;

  private TestNetns(String name) {
    this.name = name;
  }

  public static TestNetns create(String label) {
    return create(PREFIX, label);
  }

  /** A namespace named {@code prefix + label + "-" + random hex}. */
  public static synchronized TestNetns create(String prefix, String label) {
    if (staleRemoved.add(prefix)) {
      for (String line : run("ip", "netns", "list").split("\n")) {
        String n = line.split(" ")[0].trim();
        if (n.startsWith(prefix)) {
          runQuietly("ip", "netns", "del", n);
        }
      }
    }
    String name = prefix + label + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    run("ip", "netns", "add", name);
    TestNetns ns = new TestNetns(name);
    ns.ip("link", "set", "lo", "up");
    return ns;
  }

  /**
   * Gives the namespace an uplink: veth {@code d0} (192.168.50.1/24) with its peer {@code d0p}, both up,
   * so routes via 192.168.50.x have an on-link gateway.
   */
  public TestNetns withUplink() {
    ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p");
    ip("link", "set", "d0", "up");
    ip("link", "set", "d0p", "up");
    ip("addr", "add", "192.168.50.1/24", "dev", "d0");
    return this;
  }

  public String name() {
    return name;
  }

  public Path path() {
    return Path.of("/run/netns", name);
  }

  /** {@code ip -n NAME args...}; fails the test with ip's own words when it fails. */
  public String ip(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
    cmd.addAll(Arrays.asList(args));
    return run(cmd.toArray(String[]::new));
  }

  /** {@code ip -n NAME -j args...} parsed; an empty output is an empty array. */
  public JsonNode json(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "-n", name, "-j"));
    cmd.addAll(Arrays.asList(args));
    String out = run(cmd.toArray(String[]::new)).trim();
    try {
      return JSON.readTree(out.isEmpty() ? "[]" : out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A command run inside the namespace ({@code ip netns exec}). */
  public String exec(String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
    cmd.addAll(Arrays.asList(args));
    return run(cmd.toArray(String[]::new));
  }

  /** {@code ip -n NAME -batch FILE}: many commands, one process. */
  public void batch(List<String> commands) {
    try {
      Path f = Files.createTempFile("wdp-batch", ".txt");
      try {
        Files.write(f, commands);
        ip("-batch", f.toString());
      } finally {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    runQuietly("ip", "netns", "del", name);
  }

  static String run(String... cmd) {
    try {
      Path err = Files.createTempFile("wdp-err", ".txt");
      try {
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): "
              + Files.readString(err).trim());
        }
        return out;
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void runQuietly(String... cmd) {
    try {
      run(cmd);
    } catch (RuntimeException e) {
      // already gone
    }
  }
}
