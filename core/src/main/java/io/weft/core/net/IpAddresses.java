package io.weft.core.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Parsing of literal IP addresses that never falls back to a DNS lookup. */
public final class IpAddresses {
  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

  private IpAddresses() {}

  /**
   * Parses a literal IPv4 or IPv6 address. {@link InetAddress#getByName} would resolve a host name,
   * which must never happen for data that arrives from a peer.
   */
  public static InetAddress parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("missing IP address");
    }
    String t = text.trim();
    boolean v4 = IPV4.matcher(t).matches();
    boolean v6 = !v4 && t.indexOf(':') >= 0 && t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
    if (!v4 && !v6) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
    try {
      return InetAddress.getByName(t);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address", e);
    }
  }

  /** Parses a literal IPv4 address. */
  public static Inet4Address parseV4(String text) {
    if (parse(text) instanceof Inet4Address v4) {
      return v4;
    }
    throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
  }
}
