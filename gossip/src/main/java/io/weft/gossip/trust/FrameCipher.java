package io.weft.gossip.trust;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of a connection's frames: {@code length(4) | AES-256-GCM(ciphertext | tag)}, the length
 * authenticated as associated data, the 96-bit nonce the frame's number in this direction. The number
 * is unique because every connection has fresh keys; so a frame forged, altered, replayed, reordered or
 * dropped fails to open. Not thread-safe: each instance belongs to one stream, used under its lock.
 */
final class FrameCipher {
  static final int HEADER = 4;
  static final int TAG = 16;
  /** Plaintext per frame. */
  static final int MAX_PLAIN = 16 * 1024;

  private final SecretKeySpec key;
  private final Cipher cipher;
  private long number;

  FrameCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM unavailable in this JVM", e);
    }
  }

  /** The whole frame, header included, for {@code plain[off, off+len)}. */
  byte[] seal(byte[] plain, int off, int len) throws GeneralSecurityException {
    if (len > MAX_PLAIN) {
      throw new IllegalArgumentException("frame of " + len + " bytes, at most " + MAX_PLAIN);
    }
    byte[] frame = new byte[HEADER + len + TAG];
    ByteBuffer.wrap(frame).putInt(len + TAG);
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nextNonce()));
    cipher.updateAAD(frame, 0, HEADER);
    cipher.doFinal(plain, off, len, frame, HEADER);
    return frame;
  }

  /** Whether a header's length can be a frame's. */
  static boolean plausible(int sealedLength) {
    return sealedLength >= TAG && sealedLength <= MAX_PLAIN + TAG;
  }

  /** The plaintext of the next frame; {@link AEADBadTagException} when it is not exactly that frame. */
  byte[] open(int sealedLength, byte[] sealed) throws GeneralSecurityException {
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nextNonce()));
    cipher.updateAAD(ByteBuffer.allocate(HEADER).putInt(sealedLength).array());
    return cipher.doFinal(sealed);
  }

  private byte[] nextNonce() {
    if (number == Long.MAX_VALUE) {
      // 2^63 frames: never in practice, but a nonce must never repeat under one key.
      throw new IllegalStateException("frame counter exhausted; the connection must be re-established");
    }
    return ByteBuffer.allocate(12).putInt(0).putLong(number++).array();
  }
}
