package io.weft.gossip;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The bodies of signed statements ({@link io.weft.gossip.trust.Statement}): written once by their author,
 * read by every receiver with every length bounded before it is read, and nothing left over.
 */
final class Bodies {
  private Bodies() {}

  /** Writes a body; the chained calls never fail (the bytes go to memory). */
  static final class Writer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    private final DataOutputStream out = new DataOutputStream(bytes);

    /** {@code b} with its 2-byte length before it. */
    Writer bytes(byte[] b) {
      return write(() -> {
        out.writeShort(b.length);
        out.write(b);
      });
    }

    Writer writeUTF(String s) {
      return write(() -> out.writeUTF(s));
    }

    Writer writeLong(long v) {
      return write(() -> out.writeLong(v));
    }

    Writer writeBoolean(boolean v) {
      return write(() -> out.writeBoolean(v));
    }

    byte[] toByteArray() {
      return bytes.toByteArray();
    }

    private interface Step {
      void run() throws IOException;
    }

    private Writer write(Step step) {
      try {
        step.run();
      } catch (IOException e) {
        throw new UncheckedIOException("could not write a statement body", e);
      }
      return this;
    }
  }

  /** Reads a body; every problem is an {@link IOException} naming what was being read. */
  static final class Reader {
    private final DataInputStream in;

    Reader(byte[] body) {
      this.in = new DataInputStream(new ByteArrayInputStream(body));
    }

    /** Bytes written by {@link Writer#bytes}, refused by their length before they are read when over {@code max}. */
    byte[] bytes(int max, String what) throws IOException {
      int len = in.readUnsignedShort();
      if (len > max) {
        throw new IOException(what + " of " + len + " bytes (limit " + max + ")");
      }
      byte[] b = in.readNBytes(len);
      if (b.length != len) {
        throw new IOException(what + " truncated");
      }
      return b;
    }

    /** A node name: at most a DNS name's length ({@link io.weft.core.plan.NodeRules#MAX_NAME_LENGTH}) of modified UTF-8. */
    String name() throws IOException {
      return Wire.readName(in);
    }

    /** A writeUTF string, refused by its length prefix before it is read when longer than {@code max} bytes. */
    String utf(int max, String what) throws IOException {
      return Wire.readBounded(in, max, what);
    }

    long readLong() throws IOException {
      return in.readLong();
    }

    boolean readBoolean() throws IOException {
      return in.readBoolean();
    }

    /** Refuses bytes left after the body's last field. */
    void end(String what) throws IOException {
      if (in.available() > 0) {
        throw new IOException(in.available() + " trailing bytes after the " + what);
      }
    }
  }
}
