package io.weft.gossip.trust;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;

/**
 * This node's identity: an Ed25519 key pair (RFC 8032, the JDK's). The only thing that can speak for
 * the node; the mesh secret only admits it. Immutable and thread-safe (each signature uses its own
 * {@link Signature}). Kept in the state dir by {@link NodeKeyFile}.
 */
public final class NodeIdentity {
  public static final int SEED_LENGTH = 32;
  public static final int SIGNATURE_LENGTH = 64;

  private final PrivateKey privateKey;
  private final byte[] seed;
  private final NodeKey publicKey;

  private NodeIdentity(PrivateKey privateKey, byte[] seed, NodeKey publicKey) {
    this.privateKey = privateKey;
    this.seed = seed;
    this.publicKey = publicKey;
  }

  /** A new key pair; the random source gives the 32-byte private seed. */
  public static NodeIdentity generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, random);
      KeyPair kp = g.generateKeyPair();
      byte[] seed = ((EdECPrivateKey) kp.getPrivate()).getBytes()
          .orElseThrow(() -> new IllegalStateException("the JDK's Ed25519 key has no exportable seed"));
      return new NodeIdentity(kp.getPrivate(), seed, NodeKey.of((EdECPublicKey) kp.getPublic()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable in this JVM", e);
    }
  }

  /**
   * The identity a seed and its public key make, as read back from a file.
   *
   * @throws IllegalArgumentException when the public key is not the seed's
   */
  public static NodeIdentity of(byte[] seed, NodeKey publicKey) {
    if (seed.length != SEED_LENGTH) {
      throw new IllegalArgumentException("an Ed25519 private seed is " + SEED_LENGTH + " bytes, not " + seed.length);
    }
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed.clone()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 private seed: " + e.getMessage(), e);
    }
    NodeIdentity id = new NodeIdentity(key, seed.clone(), publicKey);
    byte[] probe = "weft node key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    if (!publicKey.verifies(probe, id.sign(probe))) {
      throw new IllegalArgumentException("the public key is not the private key's");
    }
    return id;
  }

  public NodeKey publicKey() {
    return publicKey;
  }

  /** The private seed, for {@link NodeKeyFile} only. */
  byte[] seed() {
    return seed.clone();
  }

  /** The Ed25519 signature of {@code message} (64 bytes). */
  public byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable in this JVM", e);
    }
  }

  /** Never prints the private key. */
  @Override
  public String toString() {
    return "NodeIdentity[" + publicKey.fingerprint() + "]";
  }
}
