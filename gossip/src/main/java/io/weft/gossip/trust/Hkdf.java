package io.weft.gossip.trust;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869), and the HMAC itself. Pure functions. */
final class Hkdf {
  static final int HASH_LENGTH = 32;

  private Hkdf() {}

  /** {@code HKDF-Extract(salt, ikm)}; an empty salt means {@code HashLen} zero bytes, as the RFC says. */
  static byte[] extract(byte[] salt, byte[] ikm) {
    return hmac(salt.length == 0 ? new byte[HASH_LENGTH] : salt, ikm);
  }

  /** {@code HKDF-Expand(prk, info, length)}, at most 255 blocks. */
  static byte[] expand(byte[] prk, byte[] info, int length) {
    if (length < 1 || length > 255 * HASH_LENGTH) {
      throw new IllegalArgumentException("HKDF-Expand length " + length + " out of 1.." + 255 * HASH_LENGTH);
    }
    ByteArrayOutputStream okm = new ByteArrayOutputStream(length);
    byte[] block = new byte[0];
    for (int i = 1; okm.size() < length; i++) {
      block = hmac(prk, block, info, new byte[] {(byte) i});
      okm.write(block, 0, Math.min(block.length, length - okm.size()));
    }
    return okm.toByteArray();
  }

  /** HMAC-SHA256 of the parts, concatenated. */
  static byte[] hmac(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] p : parts) {
        mac.update(p);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable in this JVM", e);
    }
  }
}
