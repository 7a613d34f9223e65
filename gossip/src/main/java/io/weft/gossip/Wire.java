package io.weft.gossip;

import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.plan.NodeRules;
import io.weft.gossip.trust.Statement;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The mesh's application messages. Binary envelope (magic, format version, type) around signed
 * statements ({@link Statement}: a node's announcement, with the core codec's JSON record in it, its
 * subnet request, an operator's forget), each carried as the exact bytes its author signed, so a relay
 * sends on what was signed. What only the coordinator says (grants, reservations and holdings in a Sync,
 * the agreed holdings) is not signed: who may say it is a rule every member evaluates identically
 * ({@link MeshLink#mayRelay}, the cluster CIDR and subnet size). Decoding never trusts a length:
 * every count and size is bounded (a list by the member's cap, {@link OverCapException}; a node name by
 * the DNS name length), and any problem is a {@link MalformedMessageException}.
 */
final class Wire {
  static final int MAGIC = 0x5746; // "WF"
  /** 2: statements signed with node keys (1: unsigned records, before this release). */
  static final int FORMAT = 2;
  /** A subnet's text: "255.255.255.255/32" is the longest. */
  static final int MAX_SUBNET_CHARS = 18;

  private final int maxListEntries;

  /** @param maxListEntries the longest list one message may carry (the member's cap on what it keeps) */
  Wire(int maxListEntries) {
    this.maxListEntries = maxListEntries;
  }

  /** Anything the mesh sends. */
  sealed interface Msg permits Announce, SyncRequest, Sync, AllocRequest, AllocGrant, Forget, Agreed {}

  /** A node's own record (multicast by its owner), signed by it. */
  record Announce(Announcement announcement) implements Msg {}

  /** A joiner asks the coordinator for everything it knows. */
  record SyncRequest() implements Msg {}

  /**
   * Everything a member knows: records (each its node's signed announcement, with the relay's own
   * observation of whether the node is down), the operators' signed forgets, pending subnet grants and the
   * subnet holdings its part of the mesh agreed (a joiner learns who the incumbents are; after a partition
   * each half learns the other's).
   */
  record Sync(List<SyncEntry> entries, List<Forgetting> forgets, List<Reservation> reservations,
      List<Holding> holdings) implements Msg {}

  /** A node's signed announcement, and whether the relay sees it down (its word, not the node's). */
  record SyncEntry(Announcement announcement, boolean down, long downSinceMillis) {}

  /** A joiner asks the coordinator for a subnet, signed by it. */
  record AllocRequest(SubnetRequest request) implements Msg {}

  /** The coordinator's answer, multicast so every member (and any next coordinator) reserves it. */
  record AllocGrant(Reservation reservation) implements Msg {}

  /** Remove a node for good: an operator's forget, signed by the node it ran on. */
  record Forget(Forgetting forgetting) implements Msg {}

  /** The coordinator's agreed subnet holdings (all of them), multicast whenever they change. */
  record Agreed(List<Holding> holdings) implements Msg {}

  /** A subnet granted to a node that has not announced it yet. */
  record Reservation(String name, Cidr subnet, long claimedAtMillis, long untilMillis) {}

  /** Bytes that are not a mesh message. */
  static class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedMessageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A well-formed message carrying a list longer than this member keeps: refused before it is read. */
  static final class OverCapException extends MalformedMessageException {
    private static final long serialVersionUID = 1L;

    OverCapException(String message) {
      super(message, null);
    }
  }

  byte[] encode(Msg msg) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeShort(MAGIC);
      out.writeByte(FORMAT);
      if (msg instanceof Announce a) {
        out.writeByte(1);
        a.announcement().statement().writeTo(out);
      } else if (msg instanceof SyncRequest) {
        out.writeByte(2);
      } else if (msg instanceof Sync s) {
        out.writeByte(3);
        out.writeInt(s.entries().size());
        for (SyncEntry e : s.entries()) {
          e.announcement().statement().writeTo(out);
          out.writeBoolean(e.down());
          out.writeLong(e.downSinceMillis());
        }
        out.writeInt(s.forgets().size());
        for (Forgetting f : s.forgets()) {
          f.statement().writeTo(out);
        }
        out.writeInt(s.reservations().size());
        for (Reservation r : s.reservations()) {
          writeReservation(out, r);
        }
        writeHoldings(out, s.holdings());
      } else if (msg instanceof AllocRequest r) {
        out.writeByte(4);
        r.request().statement().writeTo(out);
      } else if (msg instanceof AllocGrant g) {
        out.writeByte(5);
        writeReservation(out, g.reservation());
      } else if (msg instanceof Forget f) {
        out.writeByte(6);
        f.forgetting().statement().writeTo(out);
      } else if (msg instanceof Agreed a) {
        out.writeByte(7);
        writeHoldings(out, a.holdings());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not encode mesh message " + msg.getClass().getSimpleName(), e);
    }
    return bytes.toByteArray();
  }

  Msg decode(byte[] data, int offset, int length) throws MalformedMessageException {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, offset, length));
      int magic = in.readUnsignedShort();
      int format = in.readUnsignedByte();
      if (magic != MAGIC || format != FORMAT) {
        throw new IOException(String.format("not a Weft mesh message (magic %04x, format %d)", magic, format));
      }
      int type = in.readUnsignedByte();
      Msg msg = switch (type) {
        case 1 -> new Announce(readAnnouncement(in));
        case 2 -> new SyncRequest();
        case 3 -> {
          int n = count(in, "records");
          List<SyncEntry> entries = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            entries.add(new SyncEntry(readAnnouncement(in), in.readBoolean(), in.readLong()));
          }
          int t = count(in, "tombstones");
          List<Forgetting> forgets = new ArrayList<>(t);
          for (int i = 0; i < t; i++) {
            forgets.add(readForgetting(in));
          }
          int r = count(in, "reservations");
          List<Reservation> reservations = new ArrayList<>(r);
          for (int i = 0; i < r; i++) {
            reservations.add(readReservation(in));
          }
          yield new Sync(entries, forgets, reservations, readHoldings(in));
        }
        case 4 -> new AllocRequest(SubnetRequest.of(Statement.readFrom(in, Statement.Kind.SUBNET_REQUEST,
            SubnetRequest.MAX_BODY)));
        case 5 -> new AllocGrant(readReservation(in));
        case 6 -> new Forget(readForgetting(in));
        case 7 -> new Agreed(readHoldings(in));
        default -> throw new IOException("unknown mesh message type " + type);
      };
      if (in.available() > 0) {
        throw new IOException(in.available() + " trailing bytes after " + msg.getClass().getSimpleName());
      }
      return msg;
    } catch (OverCapException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new MalformedMessageException(e.getMessage(), e);
    }
  }

  private int count(DataInputStream in, String what) throws IOException, OverCapException {
    int n = in.readInt();
    if (n < 0) {
      throw new IOException("list of " + n + " " + what);
    }
    if (n > maxListEntries) {
      throw new OverCapException("a message of " + n + " " + what + " (this member keeps at most " + maxListEntries + ")");
    }
    return n;
  }

  /** A node name: at most a DNS name's length ({@link NodeRules#MAX_NAME_LENGTH}) of modified UTF-8. */
  static String readName(DataInputStream in) throws IOException {
    return readBounded(in, NodeRules.MAX_NAME_LENGTH, "node name");
  }

  /** A writeUTF string, refused by its length prefix before it is read when longer than {@code max} bytes. */
  static String readBounded(DataInputStream in, int max, String what) throws IOException {
    in.mark(2);
    int len = in.readUnsignedShort();
    if (len > max) {
      throw new IOException(what + " of " + len + " bytes (limit " + max + ")");
    }
    in.reset();
    return in.readUTF();
  }

  private static Announcement readAnnouncement(DataInputStream in) throws IOException {
    return Announcement.of(Statement.readFrom(in, Statement.Kind.ANNOUNCEMENT, Announcement.MAX_BODY));
  }

  private static Forgetting readForgetting(DataInputStream in) throws IOException {
    return Forgetting.of(Statement.readFrom(in, Statement.Kind.FORGET, Forgetting.MAX_BODY));
  }

  private static void writeReservation(DataOutputStream out, Reservation r) throws IOException {
    out.writeUTF(r.name());
    out.writeUTF(r.subnet().toString());
    out.writeLong(r.claimedAtMillis());
    out.writeLong(r.untilMillis());
  }

  private static void writeHoldings(DataOutputStream out, List<Holding> holdings) throws IOException {
    out.writeInt(holdings.size());
    for (Holding h : holdings) {
      out.writeUTF(h.nodeName());
      out.writeUTF(h.subnet().toString());
    }
  }

  private List<Holding> readHoldings(DataInputStream in) throws IOException, OverCapException {
    int n = count(in, "subnet holdings");
    List<Holding> holdings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      holdings.add(new Holding(readName(in), Cidr.parse(readBounded(in, MAX_SUBNET_CHARS, "subnet"))));
    }
    return holdings;
  }

  private static Reservation readReservation(DataInputStream in) throws IOException {
    return new Reservation(readName(in), Cidr.parse(readBounded(in, MAX_SUBNET_CHARS, "subnet")), in.readLong(),
        in.readLong());
  }
}
