package io.weft.dataplane.netlink;

import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.Sysctls;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * {@link Sysctls} through /proc/sys. The kernel resolves /proc/sys/net against the network namespace of
 * the thread that opens the file, so for another namespace the file is opened (and read or written) on a
 * thread that has entered it.
 */
public final class ProcSysctls implements Sysctls {
  private static final Pattern KEY = Pattern.compile("net[./][A-Za-z0-9_.:@/-]+");

  private final Namespaces namespaces;
  private final Path netns;

  /** @param netns the namespace path, null for the caller's own */
  public ProcSysctls(Namespaces namespaces, Path netns) {
    this.namespaces = namespaces;
    this.netns = netns;
  }

  /**
   * {@code net.ipv4.ip_forward} to {@code /proc/sys/net/ipv4/ip_forward}. A key written with slashes is
   * taken as a path, so an interface name with a dot ({@code net/ipv4/conf/eth0.100/rp_filter}) works,
   * as with {@code sysctl}.
   */
  public static Path path(String key) {
    if (key == null || !KEY.matcher(key).matches() || key.contains("..")) {
      throw new IllegalArgumentException("'" + key + "' is not a network sysctl key (want e.g. net.ipv4.ip_forward)");
    }
    String rel = key.indexOf('/') >= 0 ? key : key.replace('.', '/');
    return Path.of("/proc/sys").resolve(rel);
  }

  @Override
  public String get(String key) {
    Path p = path(key);
    String op = "read sysctl " + key;
    return namespaces.call(netns, op, () -> {
      try {
        return Files.readString(p).trim();
      } catch (IOException e) {
        throw failure(op, e);
      }
    });
  }

  @Override
  public void set(String key, String value) {
    Path p = path(key);
    String op = "set sysctl " + key + " to " + value;
    namespaces.call(netns, op, () -> {
      try {
        Files.writeString(p, value);
        return null;
      } catch (IOException e) {
        throw failure(op, e);
      }
    });
  }

  private static NetlinkException failure(String op, IOException e) {
    if (e instanceof NoSuchFileException) {
      return NetlinkException.of(NetlinkException.ENOENT, op, "no such sysctl in this namespace");
    }
    if (e instanceof AccessDeniedException) {
      return NetlinkException.of(NetlinkException.EACCES, op, null);
    }
    return NetlinkException.of(NetlinkException.EINVAL, op, e.getMessage());
  }
}
