package io.weft.gossip.trust;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * X25519 (RFC 7748) through the JDK's XDH, with keys on the wire as RFC 7748's 32-byte little-endian
 * u-coordinates. Pure apart from the random source of {@link #generate}.
 */
final class X25519 {
  static final int KEY_LENGTH = 32;
  private static final byte[] BASE_POINT = basePoint();

  private X25519() {}

  /** An ephemeral key pair: the private key and the public key's wire form. */
  record Ephemeral(PrivateKey privateKey, byte[] publicKey) {}

  static Ephemeral generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(NamedParameterSpec.X25519, random);
      KeyPair kp = g.generateKeyPair();
      return new Ephemeral(kp.getPrivate(), encodeU(((XECPublicKey) kp.getPublic()).getU()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 unavailable in this JVM", e);
    }
  }

  /** A private key from RFC 7748's 32-byte scalar (clamped by the JDK as the RFC says). */
  static PrivateKey privateKey(byte[] scalar) {
    try {
      return KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 unavailable in this JVM", e);
    }
  }

  /** {@code X25519(k, 9)}: the public key of a private key. */
  static byte[] publicKey(PrivateKey privateKey) {
    return agree(privateKey, BASE_POINT);
  }

  /**
   * {@code X25519(k, u)}: the shared secret with the peer's public key.
   *
   * @throws IllegalArgumentException for a peer key of small order (the result would be all zeros,
   *     RFC 7748 section 6.1), which no honest peer sends
   */
  static byte[] agree(PrivateKey privateKey, byte[] peerPublic) {
    if (peerPublic.length != KEY_LENGTH) {
      throw new IllegalArgumentException("X25519 public key of " + peerPublic.length + " bytes");
    }
    byte[] shared;
    try {
      KeyAgreement ka = KeyAgreement.getInstance("XDH");
      ka.init(privateKey);
      ka.doPhase(decode(peerPublic), true);
      shared = ka.generateSecret();
    } catch (java.security.InvalidKeyException e) {
      throw new IllegalArgumentException("X25519 public key of small order", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 unavailable in this JVM", e);
    }
    if (Arrays.equals(shared, new byte[KEY_LENGTH])) {
      throw new IllegalArgumentException("X25519 public key of small order");
    }
    return shared;
  }

  private static PublicKey decode(byte[] u) throws GeneralSecurityException {
    byte[] be = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH; i++) {
      be[i] = u[KEY_LENGTH - 1 - i];
    }
    be[0] &= 0x7f; // RFC 7748 section 5: the most significant bit is masked
    return KeyFactory.getInstance("XDH")
        .generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
  }

  private static byte[] encodeU(BigInteger u) {
    byte[] be = u.toByteArray();
    byte[] le = new byte[KEY_LENGTH];
    for (int i = 0; i < KEY_LENGTH && i < be.length; i++) {
      le[i] = be[be.length - 1 - i];
    }
    return le;
  }

  private static byte[] basePoint() {
    byte[] nine = new byte[KEY_LENGTH];
    nine[0] = 9;
    return nine;
  }
}
