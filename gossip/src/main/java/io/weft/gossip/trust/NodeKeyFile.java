package io.weft.gossip.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * {@code node-key} in the state dir: this node's {@link NodeIdentity}, created on first start (mode
 * 0600, written atomically). A file that exists but cannot be read as a key is an error that says so:
 * it is never replaced silently, because a new key makes every peer refuse this node (they bound its
 * name to the old one) until an operator forgets it.
 *
 * <pre>
 * weft-node-key-v1
 * private BASE64(32-byte Ed25519 seed)
 * public BASE64(32-byte Ed25519 public key)
 * </pre>
 */
public final class NodeKeyFile {
  public static final String FILE = "node-key";
  private static final String HEADER = "weft-node-key-v1";

  private NodeKeyFile() {}

  /** The key file is unusable; the message names the file, what is wrong and what to do. */
  public static final class UnusableKeyException extends IOException {
    private static final long serialVersionUID = 1L;

    UnusableKeyException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** This node's identity from {@code dir}, created there when there is none yet. */
  public static NodeIdentity loadOrCreate(Path dir, SecureRandom random) throws IOException {
    Path file = dir.resolve(FILE);
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      NodeIdentity created = NodeIdentity.generate(random);
      AtomicFile.write(file, format(created));
      return created;
    } catch (IOException e) {
      throw unusable(file, "cannot be read: " + e.getMessage(), e);
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
      throw unusable(file, "is readable by group or others; chmod 600 it (the private key may have leaked:"
          + " if others could read it, remove it and forget this node from a peer instead)", null);
    }
    try {
      return parse(lines);
    } catch (IllegalArgumentException e) {
      throw unusable(file, "is not a Weft node key (" + e.getMessage() + ")", e);
    }
  }

  private static NodeIdentity parse(List<String> lines) {
    if (lines.size() != 3 || !HEADER.equals(lines.get(0))) {
      throw new IllegalArgumentException("expected 3 lines starting with " + HEADER);
    }
    byte[] seed = Base64.getDecoder().decode(field(lines.get(1), "private "));
    NodeKey pub = NodeKey.fromBase64(field(lines.get(2), "public "));
    return NodeIdentity.of(seed, pub);
  }

  private static String field(String line, String prefix) {
    if (!line.startsWith(prefix)) {
      throw new IllegalArgumentException("expected a line starting with '" + prefix.trim() + "'");
    }
    return line.substring(prefix.length()).trim();
  }

  static byte[] format(NodeIdentity id) {
    return (HEADER + "\nprivate " + Base64.getEncoder().withoutPadding().encodeToString(id.seed())
        + "\npublic " + id.publicKey().toBase64() + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static UnusableKeyException unusable(Path file, String why, Throwable cause) {
    return new UnusableKeyException("node key " + file + " " + why + "; it is never replaced automatically:"
        + " restore it, or remove it to give this node a new identity (peers then refuse the node until"
        + " `meshctl forget NODE` is run on one of them)", cause);
  }
}
