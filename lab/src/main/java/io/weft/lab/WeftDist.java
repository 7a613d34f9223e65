package io.weft.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The runnable tree {@code agent/target/weft/} the lab drives: the real launchers, nothing else. */
public record WeftDist(Path home) {
  public WeftDist {
    home = home.toAbsolutePath().normalize();
  }

  /**
   * Finds the tree: system property {@code weft.home}, else {@code WEFT_HOME}, else
   * {@code agent/target/weft} in the working directory or one of its parents.
   */
  public static WeftDist locate() {
    String configured = System.getProperty("weft.home", System.getenv("WEFT_HOME"));
    if (configured != null && !configured.isBlank()) {
      return verified(Path.of(configured));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("agent/target/weft");
      if (Files.isDirectory(candidate)) {
        return verified(candidate);
      }
    }
    throw new LabException(
        "could not find agent/target/weft from " + Path.of("").toAbsolutePath()
            + ": build it with `mvn -B -DskipTests package` or set -Dweft.home");
  }

  private static WeftDist verified(Path home) {
    WeftDist dist = new WeftDist(home);
    for (Path launcher : List.of(dist.agent(), dist.meshctl(), dist.cniPlugin())) {
      if (!Files.isExecutable(launcher)) {
        throw new LabException("could not use " + home + ": " + launcher + " is missing or not executable");
      }
    }
    return dist;
  }

  public Path bin() {
    return home.resolve("bin");
  }

  public Path agent() {
    return bin().resolve("weft-agent");
  }

  public Path meshctl() {
    return bin().resolve("meshctl");
  }

  public Path cniPlugin() {
    return bin().resolve("weft");
  }
}
