package io.weft.dataplane.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import jnr.ffi.byref.IntByReference;

/**
 * A {@link LibC} that plays the kernel's side of a netlink socket from a script: each request sent is
 * answered by {@link #onRequest}, whose datagrams (byte arrays) and errnos (integers) the next receives
 * return in order. An empty inbox is a receive timeout (EAGAIN).
 */
final class ScriptedKernel implements LibC {
  static final int PORT = 1234;
  final List<NetlinkMessage> requests = new ArrayList<>();
  final Deque<Object> inbox = new ArrayDeque<>();
  Function<NetlinkMessage, List<Object>> onRequest = m -> List.of(ack(m.seq(), 0, null));
  int errno;

  Native binding() {
    return new Native(this, () -> errno);
  }

  static byte[] message(int type, int flags, int seq, int port, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(Nl.align(16 + payload.length)).order(ByteOrder.nativeOrder());
    b.putInt(16 + payload.length).putShort((short) type).putShort((short) flags).putInt(seq).putInt(port).put(payload);
    return b.array();
  }

  /** An NLMSG_ERROR answering {@code seq}: 0 is an ACK; capped, with the text as NLMSGERR_ATTR_MSG. */
  static byte[] ack(int seq, int errno, String text) {
    ByteBuffer p = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
    p.putInt(-errno);
    p.putInt(16).putShort((short) Nl.RTM_NEWROUTE).putShort((short) 0).putInt(seq).putInt(PORT);
    if (text != null) {
      byte[] s = (text + "\0").getBytes(StandardCharsets.UTF_8);
      p.putShort((short) (4 + s.length)).putShort((short) Nl.NLMSGERR_ATTR_MSG).put(s);
      while (p.position() % 4 != 0) {
        p.put((byte) 0);
      }
    }
    byte[] payload = java.util.Arrays.copyOf(p.array(), p.position());
    return message(Nl.NLMSG_ERROR, Nl.NLM_F_CAPPED | (text != null ? Nl.NLM_F_ACK_TLVS : 0), seq, PORT, payload);
  }

  static byte[] link(int seq, int flags, int index, String name) {
    byte[] m = new MessageBuilder(Nl.RTM_NEWLINK, flags).ifinfomsg(0, index, 0, 0).string(Nl.IFLA_IFNAME, name).build(seq);
    ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(12, PORT);
    return m;
  }

  static byte[] done(int seq, int error) {
    byte[] p = new byte[4];
    ByteBuffer.wrap(p).order(ByteOrder.nativeOrder()).putInt(-error);
    return message(Nl.NLMSG_DONE, Nl.NLM_F_MULTI, seq, PORT, p);
  }

  @Override
  public int socket(int domain, int type, int protocol) {
    return 3;
  }

  @Override
  public int bind(int fd, ByteBuffer addr, int addrlen) {
    return 0;
  }

  @Override
  public int getsockname(int fd, ByteBuffer addr, IntByReference addrlen) {
    addr.putInt(4, PORT);
    return 0;
  }

  @Override
  public int setsockopt(int fd, int level, int optname, ByteBuffer optval, int optlen) {
    return 0;
  }

  @Override
  public int getsockopt(int fd, int level, int optname, ByteBuffer optval, IntByReference optlen) {
    optval.putInt(0, 8 << 20);
    return 0;
  }

  @Override
  public long sendto(int fd, ByteBuffer buf, long len, int flags, ByteBuffer addr, int addrlen) {
    ByteBuffer copy = ByteBuffer.allocate((int) len).order(ByteOrder.nativeOrder());
    copy.put(0, buf, 0, (int) len);
    for (NetlinkMessage m : NetlinkMessage.parseAll(copy, (int) len)) {
      requests.add(m);
      inbox.addAll(onRequest.apply(m));
    }
    return len;
  }

  @Override
  public long recvfrom(int fd, ByteBuffer buf, long len, int flags, ByteBuffer addr, ByteBuffer addrlen) {
    Object next = inbox.poll();
    if (next == null) {
      errno = NetlinkNumbers.EAGAIN;
      return -1;
    }
    if (next instanceof Integer e) {
      errno = e;
      return -1;
    }
    byte[] d = (byte[]) next;
    buf.put(0, d);
    addr.putInt(4, 0);
    return d.length;
  }

  @Override
  public int close(int fd) {
    return 0;
  }

  /** What setns answers, call by call (0 = success, else the errno); empty: EPERM. */
  final Deque<Integer> setnsAnswers = new ArrayDeque<>();
  final List<String> opened = new ArrayList<>();

  @Override
  public int setns(int fd, int nstype) {
    Integer a = setnsAnswers.poll();
    if (a != null && a == 0) {
      return 0;
    }
    errno = a == null ? 1 : a;
    return -1;
  }

  /** Opens succeed (fd 100 and up) for paths under /proc or /run/netns, else ENOENT. */
  @Override
  public int open(String path, int flags) {
    if (path.startsWith("/proc/") || path.startsWith("/run/netns/")) {
      opened.add(path);
      return 100 + opened.size();
    }
    errno = 2;
    return -1;
  }

  /** errno values the script uses. */
  static final class NetlinkNumbers {
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;
  }
}
