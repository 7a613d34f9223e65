package io.weft.dataplane.netlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The attributes of a message or of a nested attribute, by type (flags masked off). When a type repeats,
 * the last one wins; rtnetlink does not repeat the types Weft reads.
 */
public final class Attributes {
  private final Map<Integer, ByteBuffer> byType;

  private Attributes(Map<Integer, ByteBuffer> byType) {
    this.byType = byType;
  }

  /** Parses the attributes in {@code length} bytes of {@code b} from {@code offset}. */
  public static Attributes parse(ByteBuffer b, int offset, int length) {
    Map<Integer, ByteBuffer> m = new HashMap<>();
    ByteBuffer in = b.duplicate().order(ByteOrder.nativeOrder());
    int off = offset;
    int end = offset + length;
    while (end - off >= Nl.NLA_HDRLEN) {
      int len = Short.toUnsignedInt(in.getShort(off));
      int type = Short.toUnsignedInt(in.getShort(off + 2)) & Nl.NLA_TYPE_MASK;
      if (len < Nl.NLA_HDRLEN || len > end - off) {
        throw new IllegalStateException("malformed netlink attribute: type " + type + " length " + len
            + " at offset " + off + " (" + (end - off) + " bytes left)");
      }
      m.put(type, in.slice(off + Nl.NLA_HDRLEN, len - Nl.NLA_HDRLEN).order(ByteOrder.nativeOrder()));
      off += Nl.align(len);
    }
    return new Attributes(m);
  }

  public boolean has(int type) {
    return byType.containsKey(type);
  }

  /** The raw payload (position 0, limit = payload length), or null. */
  public ByteBuffer get(int type) {
    ByteBuffer b = byType.get(type);
    return b == null ? null : b.duplicate().order(ByteOrder.nativeOrder());
  }

  public Integer u32(int type) {
    ByteBuffer b = byType.get(type);
    return b == null || b.limit() < 4 ? null : b.getInt(0);
  }

  public Integer u8(int type) {
    ByteBuffer b = byType.get(type);
    return b == null || b.limit() < 1 ? null : Byte.toUnsignedInt(b.get(0));
  }

  /** A string attribute without its terminating NUL, or null. */
  public String string(int type) {
    ByteBuffer b = byType.get(type);
    if (b == null) {
      return null;
    }
    int n = b.limit();
    while (n > 0 && b.get(n - 1) == 0) {
      n--;
    }
    byte[] s = new byte[n];
    b.get(0, s);
    return new String(s, StandardCharsets.UTF_8);
  }

  public byte[] bytes(int type) {
    ByteBuffer b = byType.get(type);
    if (b == null) {
      return null;
    }
    byte[] out = new byte[b.limit()];
    b.get(0, out);
    return out;
  }

  /** An IPv4 or IPv6 address attribute, or null. */
  public InetAddress address(int type) {
    byte[] a = bytes(type);
    if (a == null || (a.length != 4 && a.length != 16)) {
      return null;
    }
    try {
      return InetAddress.getByAddress(a);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("unreachable: 4 or 16 bytes is an address", e);
    }
  }

  /** The attributes nested in {@code type}, or an empty set. */
  public Attributes nested(int type) {
    ByteBuffer b = byType.get(type);
    return b == null ? new Attributes(Map.of()) : parse(b, 0, b.limit());
  }
}
