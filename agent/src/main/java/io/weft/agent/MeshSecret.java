package io.weft.agent;

import io.weft.gossip.MeshConfig;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The mesh secret file's policy: not readable by group or others, at least 32 bytes, and not
 * obviously low in entropy (one character repeated, a short alphabet, a run such as {@code abcd…}).
 * The entropy checks are an estimate from the bytes themselves: they catch a typed password or a
 * placeholder, not a weak random generator.
 */
final class MeshSecret {
  /** How to make a good one, in every refusal. */
  static final String HOW_TO = "make one with: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE";
  /** The estimate a secret's bytes must reach: n times their empirical Shannon entropy per byte. */
  static final double MIN_ESTIMATED_BITS = 128;

  private MeshSecret() {}

  /** The file cannot be the mesh secret; the message says why and how to make one. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /** The secret in {@code file}, a trailing newline (from {@code echo} or an editor) not part of it. */
  static byte[] read(Path file) throws Refused {
    byte[] bytes;
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new Refused("no such file");
    } catch (AccessDeniedException e) {
      throw new Refused("not readable (permission denied)");
    } catch (IOException e) {
      throw new Refused("cannot read: " + e.getMessage());
    }
    if (mode.contains(PosixFilePermission.GROUP_READ) || mode.contains(PosixFilePermission.OTHERS_READ)) {
      throw new Refused("is readable by group or others (" + PosixFilePermissions.toString(mode) + "); chmod 600 it"
          + " (in Kubernetes, defaultMode: 0400 on the Secret's volume)");
    }
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    byte[] secret = Arrays.copyOf(bytes, end);
    Optional<String> weak = weakness(secret);
    if (weak.isPresent()) {
      throw new Refused(weak.get() + "; " + HOW_TO);
    }
    return secret;
  }

  /** Why {@code secret} is too weak to be a mesh secret, or empty when it is not obviously so. */
  static Optional<String> weakness(byte[] secret) {
    int n = secret.length;
    if (n < MeshConfig.MIN_SECRET_BYTES) {
      return Optional.of("holds " + n + " bytes; a mesh secret needs at least " + MeshConfig.MIN_SECRET_BYTES
          + " random bytes");
    }
    int[] counts = new int[256];
    for (byte b : secret) {
      counts[b & 0xff]++;
    }
    if (counts[secret[0] & 0xff] == n) {
      return Optional.of("is one character repeated " + n + " times");
    }
    double bits = 0;
    for (int c : counts) {
      if (c > 0) {
        double p = (double) c / n;
        bits -= c * (Math.log(p) / Math.log(2));
      }
    }
    if (bits < MIN_ESTIMATED_BITS) {
      return Optional.of(String.format(java.util.Locale.ROOT,
          "looks like low-entropy text (its bytes carry an estimated %.0f bits; at least %.0f needed)", bits,
          MIN_ESTIMATED_BITS));
    }
    int[] steps = new int[256];
    int mostCommonStep = 0;
    for (int i = 1; i < n; i++) {
      int step = (secret[i] - secret[i - 1]) & 0xff;
      mostCommonStep = Math.max(mostCommonStep, ++steps[step]);
    }
    if (mostCommonStep * 4 > n - 1) {
      return Optional.of("is a pattern (" + mostCommonStep + " of its " + (n - 1)
          + " neighbouring bytes differ by the same step, as in abcd… or 0123…)");
    }
    return Optional.empty();
  }
}
