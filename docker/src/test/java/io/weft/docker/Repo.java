package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout and the assembled agent tree are, seen from this module's directory. */
final class Repo {
  private Repo() {}

  /** The repository root: the parent of this module (Maven runs tests with the module as basedir). */
  static Path root() {
    Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    Path root = module.getParent();
    assertTrue(Files.isRegularFile(root.resolve("pom.xml")) && Files.isDirectory(root.resolve("docker")),
        "expected the repository root above the docker module, found " + root);
    return root;
  }

  static Path docker() {
    return root().resolve("docker");
  }

  /** agent/target/weft, which the reactor assembles before this module's tests run. */
  static Path dist() {
    Path dist = root().resolve("agent/target/weft");
    assertTrue(Files.isDirectory(dist.resolve("bin")) && Files.isDirectory(dist.resolve("lib")),
        dist + " is not assembled; run `mvn -B -DskipTests package` (or `mvn -B verify`) from the root first");
    return dist;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new AssertionError("could not read " + file + ": " + e.getMessage(), e);
    }
  }
}
