package io.weft.core.net;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Iterator;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.Spliterators;
import java.util.Spliterator;

/**
 * An IP prefix in canonical form ({@code 10.244.1.0/24}): the host bits are always zero.
 *
 * <p>All arithmetic is delegated to the {@code ipaddress} library; this type only gives Weft a small,
 * immutable, comparable value with the verbs the planner and allocator need.
 */
public final class Cidr implements Comparable<Cidr> {
  private final IPAddress block;

  private Cidr(IPAddress block) {
    this.block = block;
  }

  /**
   * Parses {@code a.b.c.d/n} (or an IPv6 prefix). Host bits must be zero: {@code 10.244.1.5/24} is
   * refused rather than silently truncated, because a typo in a subnet must not become another subnet.
   *
   * @throws IllegalArgumentException with the offending text and the reason
   */
  @JsonCreator
  public static Cidr parse(String text) {
    Objects.requireNonNull(text, "cidr");
    IPAddressString s = new IPAddressString(text.trim());
    IPAddress address;
    try {
      address = s.toAddress();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException("'" + text + "' is not a CIDR: " + e.getMessage(), e);
    }
    if (address.getNetworkPrefixLength() == null) {
      throw new IllegalArgumentException("'" + text + "' is not a CIDR: missing /prefix-length");
    }
    IPAddress block = address.toPrefixBlock();
    if (!block.getLower().equals(address.getLower())) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a CIDR: host bits set (did you mean " + new Cidr(block) + "?)");
    }
    return new Cidr(block);
  }

  /** The prefix of the given length that holds {@code address}. */
  public static Cidr of(InetAddress address, int prefixLength) {
    IPAddress a = new IPAddressString(address.getHostAddress()).getAddress();
    if (prefixLength < 0 || prefixLength > a.getBitCount()) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
    }
    return new Cidr(a.setPrefixLength(prefixLength, false).toPrefixBlock());
  }

  public int prefixLength() {
    return block.getNetworkPrefixLength();
  }

  public boolean isIpv4() {
    return block.isIPv4();
  }

  /** The network address ({@code 10.244.1.0} for {@code 10.244.1.0/24}). */
  public InetAddress network() {
    return block.getLower().withoutPrefixLength().toInetAddress();
  }

  /** Number of addresses in the prefix (256 for a /24). */
  public BigInteger size() {
    return block.getCount();
  }

  /**
   * The address at {@code offset} from the network address: {@code host(1)} of 10.244.1.0/24 is the
   * gateway 10.244.1.1.
   */
  public InetAddress host(long offset) {
    if (offset < 0 || BigInteger.valueOf(offset).compareTo(size()) >= 0) {
      throw new IllegalArgumentException("offset " + offset + " outside " + this);
    }
    return block.getLower().withoutPrefixLength().increment(offset).toInetAddress();
  }

  /** Offset of {@code address} from the network address, or -1 when it lies outside. */
  public long offsetOf(InetAddress address) {
    IPAddress a = new IPAddressString(address.getHostAddress()).getAddress();
    if (a == null || !block.contains(a)) {
      return -1;
    }
    return a.getValue().subtract(block.getLower().getValue()).longValueExact();
  }

  public boolean contains(InetAddress address) {
    return offsetOf(address) >= 0;
  }

  /** True when every address of {@code other} lies in this prefix. */
  public boolean contains(Cidr other) {
    return block.contains(other.block);
  }

  public boolean overlaps(Cidr other) {
    return block.contains(other.block) || other.block.contains(block);
  }

  /** The sub-prefixes of length {@code prefixLength}, in address order. */
  public Stream<Cidr> subnets(int prefixLength) {
    if (prefixLength < prefixLength() || prefixLength > block.getBitCount()) {
      throw new IllegalArgumentException(
          "cannot split " + this + " into /" + prefixLength + " subnets");
    }
    Iterator<? extends IPAddress> it = block.setPrefixLength(prefixLength, false).prefixBlockIterator();
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false)
        .map(Cidr::new);
  }

  /** How many sub-prefixes of length {@code prefixLength} this prefix holds. */
  public long subnetCount(int prefixLength) {
    if (prefixLength < prefixLength() || prefixLength > block.getBitCount()) {
      throw new IllegalArgumentException(
          "cannot split " + this + " into /" + prefixLength + " subnets");
    }
    return 1L << (prefixLength - prefixLength());
  }

  /** The {@code index}-th sub-prefix of length {@code prefixLength}, in address order. */
  public Cidr subnet(int prefixLength, long index) {
    long count = subnetCount(prefixLength);
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("index " + index + " outside 0.." + (count - 1));
    }
    BigInteger step = BigInteger.ONE.shiftLeft(block.getBitCount() - prefixLength);
    IPAddress lower = block.getLower().withoutPrefixLength();
    IPAddress start = lower.increment(step.multiply(BigInteger.valueOf(index)).longValueExact());
    return new Cidr(start.setPrefixLength(prefixLength, false).toPrefixBlock());
  }

  /** Position of this prefix among the {@code /prefixLength()} sub-prefixes of {@code parent}. */
  public long indexWithin(Cidr parent) {
    if (!parent.contains(this)) {
      throw new IllegalArgumentException(this + " is not inside " + parent);
    }
    BigInteger step = BigInteger.ONE.shiftLeft(block.getBitCount() - prefixLength());
    return block.getLower().getValue().subtract(parent.block.getLower().getValue())
        .divide(step).longValueExact();
  }

  @Override
  public int compareTo(Cidr o) {
    int c = block.getLower().getValue().compareTo(o.block.getLower().getValue());
    if (c != 0) {
      return c;
    }
    return Integer.compare(prefixLength(), o.prefixLength());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr other && block.equals(other.block);
  }

  @Override
  public int hashCode() {
    return block.hashCode();
  }

  @JsonValue
  @Override
  public String toString() {
    return block.toCanonicalString();
  }
}
