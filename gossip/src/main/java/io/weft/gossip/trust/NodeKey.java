package io.weft.gossip.trust;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * A node's public identity key: Ed25519, in RFC 8032's 32-byte encoding. Immutable; equal by content.
 * Its fingerprint, {@code SHA256:} and the unpadded base64 of the key's SHA-256 (the form OpenSSH
 * prints), is how operators see it.
 */
public final class NodeKey {
  public static final int LENGTH = 32;
  private final byte[] encoded;
  /** The JDK's form of the key, decoded once (a Sync's records are verified by the hundred). */
  private volatile PublicKey decoded;

  private NodeKey(byte[] encoded) {
    this.encoded = encoded;
  }

  /** @throws IllegalArgumentException when {@code encoded} is not 32 bytes */
  public static NodeKey of(byte[] encoded) {
    if (encoded.length != LENGTH) {
      throw new IllegalArgumentException("an Ed25519 public key is " + LENGTH + " bytes, not " + encoded.length);
    }
    return new NodeKey(encoded.clone());
  }

  static NodeKey of(EdECPublicKey key) {
    EdECPoint p = key.getPoint();
    byte[] be = p.getY().toByteArray();
    byte[] le = new byte[LENGTH];
    for (int i = 0; i < LENGTH && i < be.length; i++) {
      le[i] = be[be.length - 1 - i];
    }
    if (p.isXOdd()) {
      le[LENGTH - 1] |= (byte) 0x80;
    }
    return new NodeKey(le);
  }

  public byte[] encoded() {
    return encoded.clone();
  }

  /** {@code SHA256:<base64>} of the encoded key. */
  public String fingerprint() {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(encoded);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }

  /** Whether {@code signature} is this key's Ed25519 signature of {@code message}; false for any malformed input. */
  public boolean verifies(byte[] message, byte[] signature) {
    try {
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(publicKey());
      v.update(message);
      return v.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private PublicKey publicKey() throws GeneralSecurityException {
    PublicKey k = decoded;
    if (k == null) {
      k = decode();
      decoded = k;
    }
    return k;
  }

  private PublicKey decode() throws GeneralSecurityException {
    byte[] be = new byte[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      be[i] = encoded[LENGTH - 1 - i];
    }
    boolean xOdd = (be[0] & 0x80) != 0;
    be[0] &= 0x7f;
    return KeyFactory.getInstance("Ed25519")
        .generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, be))));
  }

  /** For files: unpadded base64 of the encoded key. */
  public String toBase64() {
    return Base64.getEncoder().withoutPadding().encodeToString(encoded);
  }

  /** @throws IllegalArgumentException when {@code text} is not the base64 of a 32-byte key */
  public static NodeKey fromBase64(String text) {
    return of(Base64.getDecoder().decode(text.getBytes(StandardCharsets.US_ASCII)));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeKey k && MessageDigest.isEqual(encoded, k.encoded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encoded);
  }

  @Override
  public String toString() {
    return fingerprint();
  }
}
