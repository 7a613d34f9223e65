package io.weft.agent;

import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The value types of weft-agent's flags, as picocli converters. A converter checks what the value alone
 * can say; its message is only the reason ("not a port (1-65535)"), and {@link AgentMain} puts the flag, or
 * its environment twin when the value came from there, and the value in front. Rules between flags (a pod
 * subnet inside the cluster CIDR, a node IP of this host) stay in {@link AgentCommand}.
 */
final class FlagTypes {
  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

  private FlagTypes() {}

  private static TypeConversionException bad(String why) {
    return new TypeConversionException(why);
  }

  /** {@code parser}'s value of {@code text}, or a conversion error saying {@code why} (null: the parser's reason). */
  private static <T> T parsed(String text, Function<String, T> parser, String why) {
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw bad(why == null ? e.getMessage() : why);
    }
  }

  /** {@code text} as an integer in {@code [min, max]}, or a conversion error saying {@code why}. */
  static int intIn(String text, int min, int max, String why) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad(why);
  }

  static int port(String text, int min) {
    return intIn(text, min, 65535, "not a port (" + min + "-65535)");
  }

  /** A TCP or UDP port a peer connects to, 1-65535. */
  static final class Port implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String text) {
      return port(text, 1);
    }
  }

  /** A VXLAN network identifier, 24 bits, 0 excluded. */
  static final class Vni implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String text) {
      return intIn(text, 1, 0xFFFFFF, "not a VXLAN network identifier (1-16777215)");
    }
  }

  /** A duration of zero or more ({@code 0s} turns the wait off). */
  static final class NonNegativeDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      return duration(text, false);
    }
  }

  /** A duration of more than zero (a period, a lifetime). */
  static final class PositiveDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      return duration(text, true);
    }
  }

  private static Duration duration(String text, boolean positive) {
    Duration d = parsed(text, Durations::parse, null);
    if (d.isNegative() || (positive && d.isZero())) {
      throw bad(positive ? "must be more than zero" : "must not be negative");
    }
    return d;
  }

  /** An IPv4 address (whether it can be a node IP is core's rule, applied by AgentCommand). */
  static final class Ipv4 implements ITypeConverter<Inet4Address> {
    @Override
    public Inet4Address convert(String text) {
      return parsed(text, IpAddresses::parseV4, "not an IPv4 address");
    }
  }

  /** A CIDR with no host bits set. */
  static final class AnyCidr implements ITypeConverter<Cidr> {
    @Override
    public Cidr convert(String text) {
      return parsed(text, Cidr::parse, null);
    }
  }

  /** The pod network: IPv4, /8 to /23, as it is split into /24 node subnets. */
  static final class ClusterCidr implements ITypeConverter<Cidr> {
    @Override
    public Cidr convert(String text) {
      Cidr cluster = new AnyCidr().convert(text);
      if (!cluster.isIpv4() || cluster.prefixLength() >= AgentConfig.SUBNET_PREFIX || cluster.prefixLength() < 8) {
        throw bad("must be an IPv4 prefix from /8 to /23 (it is split into /24 node subnets)");
      }
      return cluster;
    }
  }

  /** A destination never masqueraded: IPv4, and not every destination; a blank list item is null (skipped). */
  static final class NoMasqueradeCidr implements ITypeConverter<Cidr> {
    @Override
    public Cidr convert(String text) {
      if (text.isBlank()) {
        return null;
      }
      Cidr c = parsed(text.trim(), Cidr::parse, "not an IPv4 CIDR (e.g. 172.16.0.0/12)");
      if (!c.isIpv4()) {
        throw bad("not an IPv4 CIDR (e.g. 172.16.0.0/12)");
      }
      if (c.prefixLength() == 0) {
        throw bad("covers every destination; use --masquerade=false instead");
      }
      return c;
    }
  }

  /** {@code IP:PORT} to listen on; port 0 takes a free one. */
  static final class ListenAddress implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        throw bad("use IP:PORT, e.g. 127.0.0.1:6782");
      }
      InetAddress ip = parsed(text.substring(0, colon).replace("[", "").replace("]", ""), IpAddresses::parse,
          "not an IP address before the port");
      return new InetSocketAddress(ip, port(text.substring(colon + 1), 0));
    }
  }

  /** A seed peer {@code HOST[:PORT]}, resolved now; without a port the mesh port is meant. */
  record Seed(InetAddress address, OptionalInt port) {
    InetSocketAddress withDefaultPort(int meshPort) {
      return new InetSocketAddress(address, port.orElse(meshPort));
    }
  }

  /** A blank list item (a trailing comma: {@code WEFT_PEER=a,}) is null, which AgentCommand skips. */
  static final class SeedPeer implements ITypeConverter<Seed> {
    @Override
    public Seed convert(String text) {
      String p = text.trim();
      if (p.isEmpty()) {
        return null;
      }
      String host = p;
      OptionalInt port = OptionalInt.empty();
      int colon = p.lastIndexOf(':');
      if (colon >= 0 && p.indexOf(':') == colon) {
        host = p.substring(0, colon);
        port = OptionalInt.of(port(p.substring(colon + 1), 1));
      }
      if (host.isEmpty()) {
        throw bad("missing host (use HOST or HOST:PORT)");
      }
      try {
        return new Seed(InetAddress.getByName(host), port);
      } catch (UnknownHostException e) {
        throw bad("cannot resolve host '" + host + "'");
      }
    }
  }

  /** {@code auto}, {@code always} or {@code never}. */
  static final class Tunnel implements ITypeConverter<TunnelMode> {
    @Override
    public TunnelMode convert(String text) {
      return parsed(text, TunnelMode::parse, "use auto, always or never");
    }
  }

  /**
   * A yes/no value. Not a {@code boolean} field: for one of those picocli leaves a word it cannot read as a
   * boolean ({@code --masquerade maybe}) on the command line as a stray argument, instead of refusing it.
   */
  record OnOff(boolean on) {}

  /** true/yes/on/1 or false/no/off/0. */
  static final class Switch implements ITypeConverter<OnOff> {
    @Override
    public OnOff convert(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on", "1" -> new OnOff(true);
        case "false", "no", "off", "0" -> new OnOff(false);
        default -> throw bad("use true or false");
      };
    }
  }

  /** A Linux interface name: 1-15 of letters, digits, '_', '.', '-'. */
  static final class InterfaceName implements ITypeConverter<String> {
    @Override
    public String convert(String text) {
      if (!IFNAME.matcher(text).matches()) {
        throw bad("not an interface name (1-15 of letters, digits, '_', '.', '-')");
      }
      return text;
    }
  }

  /** A file system path, not empty. */
  static final class FilePath implements ITypeConverter<Path> {
    @Override
    public Path convert(String text) {
      if (text.isBlank()) {
        throw bad("empty path");
      }
      try {
        return Path.of(text);
      } catch (InvalidPathException e) {
        throw bad("not a path: " + e.getReason());
      }
    }
  }
}
