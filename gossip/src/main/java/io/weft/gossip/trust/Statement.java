package io.weft.gossip.trust;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * What one node says about itself, signed with its node key: the exact body bytes, the author's Ed25519
 * public key and the signature over {@code "weft statement v1" 0x00 | kind | body}. The kind is in the
 * signed message, not on the wire (the message type implies it), so no statement can pass for one of
 * another kind. The body is kept as received, so a relay sends on exactly what was signed.
 *
 * <p>Immutable; equal when every byte is. Whether the signature holds is {@link #verifies()}; whether the
 * author may speak for the node the body names is the key bindings' question, not this class's.
 */
public final class Statement {
  private static final byte[] DOMAIN = "weft statement v1\0".getBytes(StandardCharsets.US_ASCII);

  /** What a statement says; its byte is part of the signed message. */
  public enum Kind {
    /** A node's own record, with its subnet claim's time and whether it is pinned. */
    ANNOUNCEMENT(1),
    /** A node asks the coordinator for a subnet. */
    SUBNET_REQUEST(2),
    /** An operator's {@code meshctl forget}, signed by the node it ran on. */
    FORGET(3);

    private final int code;

    Kind(int code) {
      this.code = code;
    }
  }

  private final Kind kind;
  private final byte[] body;
  private final NodeKey author;
  private final byte[] signature;

  private Statement(Kind kind, byte[] body, NodeKey author, byte[] signature) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.body = body;
    this.author = Objects.requireNonNull(author, "author");
    this.signature = signature;
  }

  /** {@code body} signed by {@code identity}. */
  public static Statement sign(NodeIdentity identity, Kind kind, byte[] body) {
    byte[] copy = body.clone();
    return new Statement(kind, copy, identity.publicKey(), identity.sign(signedMessage(kind, copy)));
  }

  /**
   * A statement as received: nothing is checked here but the lengths.
   *
   * @throws IllegalArgumentException when the signature is not 64 bytes
   */
  public static Statement of(Kind kind, byte[] body, NodeKey author, byte[] signature) {
    if (signature.length != NodeIdentity.SIGNATURE_LENGTH) {
      throw new IllegalArgumentException("an Ed25519 signature is " + NodeIdentity.SIGNATURE_LENGTH + " bytes, not "
          + signature.length);
    }
    return new Statement(kind, body.clone(), author, signature.clone());
  }

  /** Whether the signature is the author key's over this kind and body. */
  public boolean verifies() {
    return author.verifies(signedMessage(kind, body), signature);
  }

  public Kind kind() {
    return kind;
  }

  /** A copy of the signed body. */
  public byte[] body() {
    return body.clone();
  }

  public NodeKey author() {
    return author;
  }

  /** A copy of the signature. */
  public byte[] signature() {
    return signature.clone();
  }

  /** Wire form: body length (2 bytes), body, author key (32), signature (64). */
  public void writeTo(DataOutputStream out) throws IOException {
    out.writeShort(body.length);
    out.write(body);
    out.write(author.encoded());
    out.write(signature);
  }

  /**
   * Reads the wire form of a statement of {@code kind}.
   *
   * @throws IOException when it is truncated or its body is longer than {@code maxBody}
   */
  public static Statement readFrom(DataInputStream in, Kind kind, int maxBody) throws IOException {
    int len = in.readUnsignedShort();
    if (len > maxBody) {
      throw new IOException(kind + " statement of " + len + " bytes (limit " + maxBody + ")");
    }
    byte[] body = readExactly(in, len, "statement body");
    NodeKey author = NodeKey.of(readExactly(in, NodeKey.LENGTH, "author key"));
    return new Statement(kind, body, author, readExactly(in, NodeIdentity.SIGNATURE_LENGTH, "signature"));
  }

  private static byte[] readExactly(DataInputStream in, int n, String what) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException(what + " truncated");
    }
    return b;
  }

  private static byte[] signedMessage(Kind kind, byte[] body) {
    byte[] m = Arrays.copyOf(DOMAIN, DOMAIN.length + 1 + body.length);
    m[DOMAIN.length] = (byte) kind.code;
    System.arraycopy(body, 0, m, DOMAIN.length + 1, body.length);
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Statement s && kind == s.kind && author.equals(s.author) && Arrays.equals(body, s.body)
        && MessageDigest.isEqual(signature, s.signature);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * kind.hashCode() + Arrays.hashCode(body)) + author.hashCode();
  }

  @Override
  public String toString() {
    return kind + " statement of " + body.length + " bytes by " + author.fingerprint();
  }
}
