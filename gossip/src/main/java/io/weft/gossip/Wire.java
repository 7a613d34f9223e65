package io.weft.gossip;

import io.weft.core.codec.NodeRecordCodec;
import io.weft.core.model.NodeRecord;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.plan.NodeRules;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mesh's application messages. Binary envelope (magic, format version, type) around the core
 * codec's JSON records, so records keep one wire form everywhere. Decoding never trusts a length:
 * every count and size is bounded (a list by the member's cap, {@link OverCapException}; a node name by
 * the DNS name length), and any problem is a {@link MalformedMessageException}.
 */
final class Wire {
  static final int MAGIC = 0x5746; // "WF"
  static final int FORMAT = 1;
  /** A subnet's text: "255.255.255.255/32" is the longest. */
  private static final int MAX_SUBNET_CHARS = 18;

  private final NodeRecordCodec codec = new NodeRecordCodec();
  private final int maxListEntries;

  /** @param maxListEntries the longest list one message may carry (the member's cap on what it keeps) */
  Wire(int maxListEntries) {
    this.maxListEntries = maxListEntries;
  }

  /** Anything the mesh sends. */
  sealed interface Msg permits Announce, SyncRequest, Sync, AllocRequest, AllocGrant, Forget, Agreed {}

  /** A node's own record (multicast by its owner). */
  record Announce(Announcement announcement) implements Msg {}

  /** A joiner asks the coordinator for everything it knows. */
  record SyncRequest() implements Msg {}

  /**
   * Everything a member knows: records (with state), tombstones, pending subnet grants and the subnet
   * holdings its part of the mesh agreed (a joiner learns who the incumbents are; after a partition each
   * half learns the other's).
   */
  record Sync(List<SyncEntry> entries, List<Tombstone> tombstones, List<Reservation> reservations,
      List<Holding> holdings) implements Msg {}

  record SyncEntry(Announcement announcement, boolean down, long downSinceMillis) {}

  /** A joiner asks the coordinator for a subnet; {@code preferred} is its remembered one. */
  record AllocRequest(String name, Optional<Cidr> preferred, long preferredClaimedAt, boolean pinned)
      implements Msg {}

  /** The coordinator's answer, multicast so every member (and any next coordinator) reserves it. */
  record AllocGrant(Reservation reservation) implements Msg {}

  /** Remove a node for good. */
  record Forget(Tombstone tombstone) implements Msg {}

  /** The coordinator's agreed subnet holdings (all of them), multicast whenever they change. */
  record Agreed(List<Holding> holdings) implements Msg {}

  /** A node removed for good: records of this incarnation or older are ignored until {@code untilMillis}. */
  record Tombstone(String name, long incarnation, long untilMillis) {}

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
        writeAnnouncement(out, a.announcement());
      } else if (msg instanceof SyncRequest) {
        out.writeByte(2);
      } else if (msg instanceof Sync s) {
        out.writeByte(3);
        out.writeInt(s.entries().size());
        for (SyncEntry e : s.entries()) {
          writeAnnouncement(out, e.announcement());
          out.writeBoolean(e.down());
          out.writeLong(e.downSinceMillis());
        }
        out.writeInt(s.tombstones().size());
        for (Tombstone t : s.tombstones()) {
          writeTombstone(out, t);
        }
        out.writeInt(s.reservations().size());
        for (Reservation r : s.reservations()) {
          writeReservation(out, r);
        }
        writeHoldings(out, s.holdings());
      } else if (msg instanceof AllocRequest r) {
        out.writeByte(4);
        out.writeUTF(r.name());
        out.writeUTF(r.preferred().map(Cidr::toString).orElse(""));
        out.writeLong(r.preferredClaimedAt());
        out.writeBoolean(r.pinned());
      } else if (msg instanceof AllocGrant g) {
        out.writeByte(5);
        writeReservation(out, g.reservation());
      } else if (msg instanceof Forget f) {
        out.writeByte(6);
        writeTombstone(out, f.tombstone());
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
          List<Tombstone> tombstones = new ArrayList<>(t);
          for (int i = 0; i < t; i++) {
            tombstones.add(readTombstone(in));
          }
          int r = count(in, "reservations");
          List<Reservation> reservations = new ArrayList<>(r);
          for (int i = 0; i < r; i++) {
            reservations.add(readReservation(in));
          }
          yield new Sync(entries, tombstones, reservations, readHoldings(in));
        }
        case 4 -> {
          String name = readName(in);
          String preferred = readBounded(in, MAX_SUBNET_CHARS, "subnet");
          yield new AllocRequest(name, preferred.isEmpty() ? Optional.empty() : Optional.of(Cidr.parse(preferred)),
              in.readLong(), in.readBoolean());
        }
        case 5 -> new AllocGrant(readReservation(in));
        case 6 -> new Forget(readTombstone(in));
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
  private static String readName(DataInputStream in) throws IOException {
    return readBounded(in, NodeRules.MAX_NAME_LENGTH, "node name");
  }

  /** A writeUTF string, refused by its length prefix before it is read when longer than {@code max} bytes. */
  private static String readBounded(DataInputStream in, int max, String what) throws IOException {
    in.mark(2);
    int len = in.readUnsignedShort();
    if (len > max) {
      throw new IOException(what + " of " + len + " bytes (limit " + max + ")");
    }
    in.reset();
    return in.readUTF();
  }

  private void writeAnnouncement(DataOutputStream out, Announcement a) throws IOException {
    byte[] json = codec.encode(a.record());
    out.writeShort(json.length);
    out.write(json);
    out.writeLong(a.claimedAtMillis());
    out.writeBoolean(a.pinned());
  }

  private Announcement readAnnouncement(DataInputStream in) throws IOException {
    int len = in.readUnsignedShort();
    if (len > NodeRecordCodec.MAX_RECORD_BYTES) {
      throw new IOException("record of " + len + " bytes (limit " + NodeRecordCodec.MAX_RECORD_BYTES + ")");
    }
    byte[] json = in.readNBytes(len);
    if (json.length != len) {
      throw new IOException("record truncated");
    }
    NodeRecord record = codec.decode(json);
    return new Announcement(record, in.readLong(), in.readBoolean());
  }

  private static void writeTombstone(DataOutputStream out, Tombstone t) throws IOException {
    out.writeUTF(t.name());
    out.writeLong(t.incarnation());
    out.writeLong(t.untilMillis());
  }

  private static Tombstone readTombstone(DataInputStream in) throws IOException {
    return new Tombstone(readName(in), in.readLong(), in.readLong());
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
