package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's Java runtime is cut with jlink to the modules docker/jre-modules.sh names. A provider the JDK
 * finds by a service lookup (SunEC, for X25519 and Ed25519) is invisible to jdeps, and without it the agent
 * in the image could not create its node key or finish a handshake. So this cuts the same runtime from the
 * JDK running the tests and runs the agent's crypto and mesh stack on it ({@link RuntimeProbe}).
 */
class ImageRuntimeTest {
  @Test
  void theDockerfileCutsItsRuntimeWithTheModuleScript() {
    String dockerfile = Repo.read(Repo.docker().resolve("Dockerfile"));
    assertTrue(dockerfile.contains("modules=\"$(sh /src/docker/jre-modules.sh /src/agent/target/weft/lib)\""),
        "the Dockerfile's jlink takes its modules from docker/jre-modules.sh");
    assertTrue(dockerfile.contains("jlink --add-modules \"$modules\""), "and hands them to jlink");
  }

  @Test
  void theAgentsCryptoAndMeshStackRunOnTheJlinkedRuntime(@TempDir Path tmp) throws Exception {
    Path lib = Repo.dist().resolve("lib");
    Shell.Result modules = Shell.sh(Repo.docker().resolve("jre-modules.sh"), Map.of(), lib.toString());
    assertEquals(0, modules.exitCode(), modules::toString);
    assertTrue(modules.stdout().contains("jdk.crypto.ec"), modules::toString);

    Path jdk = Path.of(System.getProperty("java.home"));
    Path jre = tmp.resolve("jre");
    Shell.Result jlink = Shell.runClean(List.of(jdk.resolve("bin/jlink").toString(), "--add-modules",
        modules.stdout().strip(), "--strip-debug", "--no-header-files", "--no-man-pages", "--output", jre.toString()),
        Map.of("PATH", System.getenv("PATH")), null);
    assertEquals(0, jlink.exitCode(), jlink::toString);

    Path state = Files.createDirectories(tmp.resolve("state"));
    Path probe = Path.of(RuntimeProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Shell.Result run = Shell.runClean(List.of(jre.resolve("bin/java").toString(), "-cp", lib + "/*:" + probe,
        RuntimeProbe.class.getName(), state.toString()), Map.of(), null);
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("ok", run.stdout().strip(), run::toString);
    assertTrue(Files.exists(state.resolve("node-key")), "the node key was created");
  }
}
