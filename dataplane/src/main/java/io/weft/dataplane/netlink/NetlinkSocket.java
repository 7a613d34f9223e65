package io.weft.dataplane.netlink;

import io.weft.dataplane.NetlinkException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import jnr.ffi.byref.IntByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NETLINK_ROUTE socket: send requests, collect replies and ACKs by sequence number, retry dumps the
 * kernel marks interrupted, and run batches with many requests in flight.
 *
 * <p>The socket lives in the network namespace of the thread that opened it, for good. Meant for one
 * owner; a second thread that shares it by mistake waits for the exchange in progress instead of stealing
 * its replies (each exchange holds the socket's monitor).
 */
public final class NetlinkSocket implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetlinkSocket.class);
  private static final int MSG_TRUNC = 0x20;
  private static final int RX_SIZE = 256 * 1024;
  /** Largest datagram a batch packs: well under the default socket send buffer. */
  private static final int TX_CHUNK = 64 * 1024;
  /** Receive buffer asked for (SO_RCVBUFFORCE): room for thousands of queued ACKs. */
  private static final int RCVBUF = 8 * 1024 * 1024;
  /** Kernel bytes one queued ACK costs in the receive buffer (skb truesize), rounded up. */
  private static final int ACK_COST = 1280;
  /**
   * Dumps asked again after the kernel marked them interrupted: enough for a node setting up pods side by
   * side (200 concurrent ADDs interrupted a link dump 5 times in a row), each retry a moment later.
   */
  private static final int DUMP_ATTEMPTS = 20;

  private final Native nat;
  private final LibC c;
  private final int fd;
  private final int portId;
  private final boolean strictDumps;
  private final int maxInFlight;
  private final ByteBuffer rx = ByteBuffer.allocateDirect(RX_SIZE).order(ByteOrder.nativeOrder());
  private final ByteBuffer from = ByteBuffer.allocateDirect(Nl.SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder());
  private final ByteBuffer fromLen = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
  private final ByteBuffer kernel = ByteBuffer.allocateDirect(Nl.SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder());
  private ByteBuffer tx = ByteBuffer.allocateDirect(TX_CHUNK + 4096).order(ByteOrder.nativeOrder());
  private int seq;
  private boolean closed;

  private NetlinkSocket(Native nat, int fd, int portId, boolean strictDumps, int rcvbuf) {
    this.nat = nat;
    this.c = nat.libc();
    this.fd = fd;
    this.portId = portId;
    this.strictDumps = strictDumps;
    this.maxInFlight = Math.max(16, rcvbuf / ACK_COST / 2);
    kernel.putShort(0, (short) Nl.AF_NETLINK);
    this.seq = (int) (System.nanoTime() & 0xffff);
  }

  /**
   * Opens a socket in the calling thread's network namespace.
   *
   * @param groups  multicast group numbers (RTNLGRP_*) to join, none for a request socket
   * @param timeout how long one receive waits before giving up
   */
  public static NetlinkSocket open(Native nat, Duration timeout, int... groups) {
    return open(nat, Nl.NETLINK_ROUTE, timeout, groups);
  }

  /**
   * Opens a socket of netlink family {@code protocol} ({@link Nl#NETLINK_ROUTE}, {@link Nl#NETLINK_NETFILTER})
   * in the calling thread's network namespace.
   */
  public static NetlinkSocket open(Native nat, int protocol, Duration timeout, int... groups) {
    LibC c = nat.libc();
    int fd = c.socket(Nl.AF_NETLINK, Nl.SOCK_RAW | Nl.SOCK_CLOEXEC, protocol);
    if (fd < 0) {
      throw NetlinkException.of(nat.errno(), "open a netlink socket", null);
    }
    try {
      // Best effort: old kernels lack these; errors then arrive without text, dumps unfiltered.
      setInt(c, fd, Nl.SOL_NETLINK, Nl.NETLINK_EXT_ACK, 1);
      setInt(c, fd, Nl.SOL_NETLINK, Nl.NETLINK_CAP_ACK, 1);
      boolean strict = groups.length == 0 && setInt(c, fd, Nl.SOL_NETLINK, Nl.NETLINK_GET_STRICT_CHK, 1);
      if (!setInt(c, fd, Nl.SOL_SOCKET, Nl.SO_RCVBUFFORCE, RCVBUF)) {
        setInt(c, fd, Nl.SOL_SOCKET, Nl.SO_RCVBUF, RCVBUF);
      }
      ByteBuffer tv = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      tv.putLong(0, timeout.toSeconds()).putLong(8, timeout.toNanosPart() / 1000);
      c.setsockopt(fd, Nl.SOL_SOCKET, Nl.SO_RCVTIMEO, tv, 16);
      ByteBuffer sa = ByteBuffer.allocateDirect(Nl.SOCKADDR_NL_SIZE).order(ByteOrder.nativeOrder());
      sa.putShort(0, (short) Nl.AF_NETLINK);
      if (c.bind(fd, sa, Nl.SOCKADDR_NL_SIZE) < 0) {
        throw NetlinkException.of(nat.errno(), "bind a netlink socket", null);
      }
      for (int g : groups) {
        if (!setInt(c, fd, Nl.SOL_NETLINK, Nl.NETLINK_ADD_MEMBERSHIP, g)) {
          throw NetlinkException.of(nat.errno(), "join rtnetlink group " + g, null);
        }
      }
      IntByReference len = new IntByReference(Nl.SOCKADDR_NL_SIZE);
      if (c.getsockname(fd, sa, len) < 0) {
        throw NetlinkException.of(nat.errno(), "read the netlink port id", null);
      }
      int rcvbuf = getInt(c, fd, Nl.SOL_SOCKET, Nl.SO_RCVBUF);
      return new NetlinkSocket(nat, fd, sa.getInt(4), strict, rcvbuf);
    } catch (RuntimeException e) {
      c.close(fd);
      throw e;
    }
  }

  private static boolean setInt(LibC c, int fd, int level, int opt, int value) {
    ByteBuffer v = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    v.putInt(0, value);
    return c.setsockopt(fd, level, opt, v, 4) == 0;
  }

  private static int getInt(LibC c, int fd, int level, int opt) {
    ByteBuffer v = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
    IntByReference len = new IntByReference(4);
    return c.getsockopt(fd, level, opt, v, len) == 0 ? v.getInt(0) : 0;
  }

  public int portId() {
    return portId;
  }

  /** True when the kernel filters dumps by the request's header (NETLINK_GET_STRICT_CHK accepted). */
  public boolean strictDumps() {
    return strictDumps;
  }

  /** How many requests a batch keeps in flight, from the receive buffer the kernel granted. */
  public int maxInFlight() {
    return maxInFlight;
  }

  public synchronized int nextSeq() {
    seq = seq == Integer.MAX_VALUE ? 1 : seq + 1;
    return seq;
  }

  /**
   * Sends one request (built with NLM_F_ACK) and returns the replies that came before its ACK.
   *
   * @throws NetlinkException typed by errno, with {@code operation} and the kernel's text
   */
  public synchronized List<NetlinkMessage> execute(MessageBuilder request, String operation) {
    int s = nextSeq();
    send(request.build(s), operation);
    List<NetlinkMessage> replies = new ArrayList<>();
    while (true) {
      for (NetlinkMessage m : receive(operation, true)) {
        if (m.seq() != s) {
          log.debug("skipping a stale netlink message (seq {} while waiting for {})", m.seq(), s);
          continue;
        }
        if (m.type() == Nl.NLMSG_ERROR) {
          int code = m.errorCode();
          if (code == 0) {
            return replies;
          }
          throw NetlinkException.of(-code, operation, m.extAckMessage());
        }
        replies.add(m);
      }
    }
  }

  /**
   * Runs a dump (the request must carry NLM_F_DUMP) and returns every part. A dump the kernel marks
   * NLM_F_DUMP_INTR (the table changed under it) is thrown away and asked again.
   */
  public synchronized List<NetlinkMessage> dump(MessageBuilder request, String operation) {
    for (int attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      int s = nextSeq();
      send(request.build(s), operation);
      List<NetlinkMessage> parts = new ArrayList<>();
      boolean interrupted = false;
      boolean done = false;
      while (!done) {
        for (NetlinkMessage m : receive(operation, true)) {
          if (m.seq() != s) {
            log.debug("skipping a stale netlink message (seq {} while dumping {})", m.seq(), s);
            continue;
          }
          interrupted |= (m.flags() & Nl.NLM_F_DUMP_INTR) != 0;
          if (m.type() == Nl.NLMSG_DONE) {
            if (m.payload().limit() >= 4 && m.payload().getInt(0) < 0) {
              throw NetlinkException.of(-m.payload().getInt(0), operation, m.extAckMessage());
            }
            done = true;
            break;
          }
          if (m.type() == Nl.NLMSG_ERROR) {
            if (m.errorCode() != 0) {
              throw NetlinkException.of(-m.errorCode(), operation, m.extAckMessage());
            }
            done = true;
            break;
          }
          parts.add(m);
        }
      }
      if (!interrupted) {
        return parts;
      }
      log.debug("{}: dump interrupted by a concurrent change, attempt {}", operation, attempt);
      LockSupport.parkNanos(attempt * 200_000L);
    }
    throw NetlinkException.of(NetlinkException.EINTR, operation,
        "the dump was interrupted by concurrent changes " + DUMP_ATTEMPTS + " times");
  }

  /** The kernel's answer to one request of a batch: errno 0 is success. */
  public record Ack(int errno, String kernelMessage) {
    static final Ack OK = new Ack(0, null);
  }

  /**
   * Sends every request (each built with NLM_F_ACK) with many in flight and returns one answer per
   * request, in order. Requests are packed many to a datagram; the kernel handles them one by one and
   * queues one ACK each, so the receive buffer bounds how many are sent before ACKs are read.
   */
  public synchronized Ack[] batch(List<MessageBuilder> requests, String operation) {
    Ack[] acks = new Ack[requests.size()];
    int next = 0;
    while (next < requests.size()) {
      int first = next;
      if (seq > Integer.MAX_VALUE - maxInFlight - 1) {
        seq = 0; // wrap before the chunk, so its sequence numbers are contiguous
      }
      int firstSeq = seq + 1;
      int bytes = 0;
      int count = 0;
      List<byte[]> chunk = new ArrayList<>();
      while (next < requests.size() && count < maxInFlight && bytes < TX_CHUNK) {
        byte[] m = requests.get(next).build(nextSeq());
        chunk.add(m);
        bytes += Nl.align(m.length);
        count++;
        next++;
      }
      sendAll(chunk, bytes, operation);
      int pending = count;
      try {
        while (pending > 0) {
          pending -= collectAcks(receiveRaw(operation, true), acks, first, firstSeq, count);
        }
      } catch (NetlinkException e) {
        if (e.errno() != NetlinkException.ENOBUFS) {
          throw e;
        }
        for (int i = first; i < first + count; i++) {
          if (acks[i] == null) {
            acks[i] = new Ack(NetlinkException.ENOBUFS, "acknowledgement lost in a full socket buffer; re-read the kernel state");
          }
        }
      }
    }
    return acks;
  }

  private void send(byte[] message, String operation) {
    sendAll(List.of(message), Nl.align(message.length), operation);
  }

  private void sendAll(List<byte[]> messages, int bytes, String operation) {
    if (tx.capacity() < bytes) {
      tx = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    int off = 0;
    for (byte[] m : messages) {
      tx.put(off, m);
      for (int p = off + m.length; p < off + Nl.align(m.length); p++) {
        tx.put(p, (byte) 0);
      }
      off += Nl.align(m.length);
    }
    while (true) {
      long n = c.sendto(fd, tx, bytes, 0, kernel, Nl.SOCKADDR_NL_SIZE);
      if (n >= 0) {
        return;
      }
      int e = nat.errno();
      if (e != NetlinkException.EINTR) {
        throw NetlinkException.of(e, operation, "sending the request failed");
      }
    }
  }

  /**
   * Reads one datagram from the kernel and splits it. Datagrams not sent by the kernel are dropped; on a
   * request socket, so are messages addressed to another port.
   *
   * @return the messages, or an empty list when the receive timed out and {@code failOnTimeout} is false
   * @throws NetlinkException ENOBUFS when the kernel dropped messages because the receive buffer was full
   */
  public synchronized List<NetlinkMessage> receive(String operation, boolean failOnTimeout) {
    int n = receiveRaw(operation, failOnTimeout);
    if (n < 0) {
      return List.of();
    }
    ByteBuffer copy = ByteBuffer.allocate(n).order(ByteOrder.nativeOrder());
    copy.put(0, rx, 0, n);
    List<NetlinkMessage> all = NetlinkMessage.parseAll(copy, n);
    if (!failOnTimeout) {
      return all;
    }
    List<NetlinkMessage> mine = new ArrayList<>(all.size());
    for (NetlinkMessage m : all) {
      if (m.portId() == portId) {
        mine.add(m);
      } else {
        log.debug("dropping a netlink message for port {} (ours is {})", m.portId(), portId);
      }
    }
    return mine;
  }

  /**
   * Reads the ACKs of a batch straight from the receive buffer (a batch reads thousands; copying each
   * would cost more than the kernel's work). Returns how many new answers it recorded.
   */
  private int collectAcks(int n, Ack[] acks, int first, int firstSeq, int count) {
    int recorded = 0;
    int off = 0;
    while (n - off >= Nl.NLMSG_HDRLEN) {
      int len = rx.getInt(off);
      if (len < Nl.NLMSG_HDRLEN || len > n - off) {
        throw new IllegalStateException("malformed netlink message: length " + len + " at offset " + off);
      }
      int type = Short.toUnsignedInt(rx.getShort(off + 4));
      int i = rx.getInt(off + 8) - firstSeq;
      if (type == Nl.NLMSG_ERROR && rx.getInt(off + 12) == portId && i >= 0 && i < count && acks[first + i] == null
          && len >= Nl.NLMSG_HDRLEN + 4) {
        int code = rx.getInt(off + Nl.NLMSG_HDRLEN);
        if (code == 0) {
          acks[first + i] = Ack.OK;
        } else {
          ByteBuffer copy = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
          copy.put(0, rx, off, len);
          acks[first + i] = new Ack(-code, NetlinkMessage.parseAll(copy, len).get(0).extAckMessage());
        }
        recorded++;
      }
      off += Nl.align(len);
    }
    return recorded;
  }

  /** One datagram from the kernel into {@code rx}; its length, or -1 on a timeout when allowed. */
  private int receiveRaw(String operation, boolean failOnTimeout) {
    while (true) {
      fromLen.putInt(0, Nl.SOCKADDR_NL_SIZE);
      long n = c.recvfrom(fd, rx, rx.capacity(), MSG_TRUNC, from, fromLen);
      if (n < 0) {
        int e = nat.errno();
        if (e == NetlinkException.EINTR) {
          continue;
        }
        if (e == NetlinkException.EAGAIN) {
          if (failOnTimeout) {
            throw NetlinkException.of(e, operation, "no answer from the kernel in time");
          }
          return -1;
        }
        throw NetlinkException.of(e, operation, "receiving from the netlink socket failed");
      }
      if (n > rx.capacity()) {
        throw new IllegalStateException("could not " + operation + ": a " + n + "-byte netlink datagram does not fit the "
            + rx.capacity() + "-byte buffer");
      }
      if (from.getInt(4) != 0) {
        log.debug("dropping a netlink datagram from port {}, not from the kernel", from.getInt(4));
        continue;
      }
      return (int) n;
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      c.close(fd);
    }
  }
}
