package io.weft.gossip.trust;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;

/**
 * Buffers plaintext and seals it into a frame on flush (or when a frame is full). Thread-safe by
 * design: every method holds this stream's lock, which guards the buffer and the frame counter, so
 * two writers can never seal two frames under one nonce, whatever JGroups' own locking does.
 */
public final class FrameOutputStream extends OutputStream {
  private final OutputStream out;
  private final FrameCipher cipher;
  private final byte[] buf = new byte[FrameCipher.MAX_PLAIN];
  private int n;

  public FrameOutputStream(OutputStream out, byte[] key) {
    this.out = out;
    this.cipher = new FrameCipher(key);
  }

  @Override
  public synchronized void write(int b) throws IOException {
    if (n == buf.length) {
      seal();
    }
    buf[n++] = (byte) b;
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (n == buf.length) {
        seal();
      }
      int k = Math.min(len, buf.length - n);
      System.arraycopy(b, off, buf, n, k);
      n += k;
      off += k;
      len -= k;
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    if (n > 0) {
      seal();
    }
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private void seal() throws IOException {
    try {
      // One write per frame: a 4-byte write and then the rest would, with Nagle's algorithm, hold the
      // rest back until the peer's (delayed, up to 40 ms) ACK of the first part.
      out.write(cipher.seal(buf, 0, n));
      n = 0;
    } catch (GeneralSecurityException e) {
      throw new IOException("could not seal mesh frame: " + e.getMessage(), e);
    }
  }
}
