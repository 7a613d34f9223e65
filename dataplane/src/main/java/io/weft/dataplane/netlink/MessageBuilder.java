package io.weft.dataplane.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one netlink message: the 16-byte nlmsghdr, the family header, then attributes (4-byte aligned,
 * padding zeroed, nests closed with their total length). Host byte order, as netlink wants.
 *
 * <pre>{@code
 * byte[] msg = new MessageBuilder(Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
 *     .ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0)
 *     .string(Nl.IFLA_IFNAME, "br0")
 *     .build(seq);
 * }</pre>
 */
public final class MessageBuilder {
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private byte[] buf = new byte[256];
  private int len;

  public MessageBuilder(int type, int flags) {
    ByteBuffer h = header(Nl.NLMSG_HDRLEN);
    h.putInt(0).putShort((short) type).putShort((short) flags).putInt(0).putInt(0);
  }

  /** struct rtmsg without flags. */
  public MessageBuilder rtmsg(int family, int dstLen, int table, int protocol, int scope, int type) {
    return rtmsg(family, dstLen, table, protocol, scope, type, 0);
  }

  /** struct rtmsg. */
  public MessageBuilder rtmsg(int family, int dstLen, int table, int protocol, int scope, int type, int flags) {
    header(Nl.RTMSG_LEN)
        .put((byte) family).put((byte) dstLen).put((byte) 0).put((byte) 0)
        .put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type)
        .putInt(flags);
    return this;
  }

  /** struct ndmsg. */
  public MessageBuilder ndmsg(int family, int index, int state, int flags) {
    header(Nl.NDMSG_LEN)
        .put((byte) family).put((byte) 0).putShort((short) 0)
        .putInt(index).putShort((short) state).put((byte) flags).put((byte) 0);
    return this;
  }

  /** struct ifinfomsg. */
  public MessageBuilder ifinfomsg(int family, int index, int flags, int change) {
    header(Nl.IFINFOMSG_LEN)
        .put((byte) family).put((byte) 0).putShort((short) 0)
        .putInt(index).putInt(flags).putInt(change);
    return this;
  }

  /** struct ifaddrmsg. */
  public MessageBuilder ifaddrmsg(int family, int prefixLength, int scope, int index) {
    header(Nl.IFADDRMSG_LEN)
        .put((byte) family).put((byte) prefixLength).put((byte) 0).put((byte) scope)
        .putInt(index);
    return this;
  }

  public MessageBuilder u8(int type, int value) {
    return attribute(type, new byte[] {(byte) value});
  }

  public MessageBuilder u32(int type, int value) {
    byte[] b = new byte[4];
    ByteBuffer.wrap(b).order(ORDER).putInt(value);
    return attribute(type, b);
  }

  /** A NUL-terminated string attribute, as the kernel's NLA_STRING/NLA_NUL_STRING policies accept. */
  public MessageBuilder string(int type, String value) {
    byte[] s = value.getBytes(StandardCharsets.UTF_8);
    return attribute(type, Arrays.copyOf(s, s.length + 1));
  }

  public MessageBuilder attribute(int type, byte[] value) {
    int start = len;
    int total = Nl.NLA_HDRLEN + value.length;
    ensure(Nl.align(total));
    ByteBuffer b = ByteBuffer.wrap(buf, start, Nl.align(total)).order(ORDER);
    b.putShort((short) total).putShort((short) type).put(value);
    len = start + Nl.align(total);
    return this;
  }

  /** Opens a nested attribute; close it with {@link #endNested(int)} passing the returned position. */
  public int beginNested(int type) {
    int start = len;
    ensure(Nl.NLA_HDRLEN);
    ByteBuffer.wrap(buf, start, Nl.NLA_HDRLEN).order(ORDER).putShort((short) 0).putShort((short) (type | Nl.NLA_F_NESTED));
    len += Nl.NLA_HDRLEN;
    return start;
  }

  public MessageBuilder endNested(int start) {
    ByteBuffer.wrap(buf).order(ORDER).putShort(start, (short) (len - start));
    return this;
  }

  /**
   * Opens a nest whose payload starts with a family header (VETH_INFO_PEER carries an ifinfomsg):
   * same as {@link #beginNested} but without the NLA_F_NESTED flag, which the kernel does not set there.
   */
  public int beginPlain(int type) {
    int start = len;
    ensure(Nl.NLA_HDRLEN);
    ByteBuffer.wrap(buf, start, Nl.NLA_HDRLEN).order(ORDER).putShort((short) 0).putShort((short) type);
    len += Nl.NLA_HDRLEN;
    return start;
  }

  /** The finished message with its length and sequence number filled in (port id 0: the kernel). */
  public byte[] build(int seq) {
    ByteBuffer b = ByteBuffer.wrap(buf).order(ORDER);
    b.putInt(0, len);
    b.putInt(8, seq);
    return Arrays.copyOf(buf, len);
  }

  private ByteBuffer header(int size) {
    ensure(size);
    ByteBuffer b = ByteBuffer.wrap(buf, len, size).order(ORDER);
    len += size;
    return b;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
