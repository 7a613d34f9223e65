package io.weft.gossip.trust;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, authenticates and opens frames; any tampering fails the connection. Holds its lock in every
 * method (the frame counter and the open frame are its state), though one JGroups receiver thread is
 * its only reader.
 */
public final class FrameInputStream extends InputStream {
  private static final Logger log = LoggerFactory.getLogger(FrameInputStream.class);
  private final DataInputStream in;
  private final FrameCipher cipher;
  private final String peer;
  private byte[] plain = new byte[0];
  private int pos;

  public FrameInputStream(InputStream in, byte[] key, String peer) {
    this.in = new DataInputStream(in);
    this.cipher = new FrameCipher(key);
    this.peer = peer;
  }

  /** Reads and opens the next frame unless one is open: false at end of stream. */
  public synchronized boolean awaitFrame() throws IOException {
    return fill();
  }

  @Override
  public synchronized int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return plain[pos++] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int k = Math.min(len, plain.length - pos);
    System.arraycopy(plain, pos, b, off, k);
    pos += k;
    return k;
  }

  @Override
  public synchronized int available() {
    return plain.length - pos;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private boolean fill() throws IOException {
    while (pos >= plain.length) {
      int len;
      try {
        len = in.readInt();
      } catch (EOFException e) {
        return false;
      }
      if (!FrameCipher.plausible(len)) {
        throw new IOException("mesh frame from " + peer + " claims " + len + " bytes: not a Weft frame");
      }
      byte[] sealed = new byte[len];
      in.readFully(sealed);
      try {
        plain = cipher.open(len, sealed);
        pos = 0;
      } catch (GeneralSecurityException e) {
        log.warn("mesh frame from {} failed authentication (tampered or replayed); closing the connection", peer);
        throw new IOException("mesh frame from " + peer + " failed authentication", e);
      }
    }
    return true;
  }
}
