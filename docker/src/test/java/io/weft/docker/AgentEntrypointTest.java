package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker/agent-entrypoint.sh: refuses weft.yaml's placeholder secret, otherwise becomes the agent. */
class AgentEntrypointTest {
  static final String PLACEHOLDER = "replace-me-with-a-random-secret";
  private static final Path SCRIPT = Repo.docker().resolve("agent-entrypoint.sh");

  @TempDir Path tmp;
  private Path fakeAgent;

  @BeforeEach
  void fakeAgent() throws IOException {
    fakeAgent = tmp.resolve("weft-agent");
    Files.writeString(fakeAgent, "#!/bin/sh\necho \"agent $*\"\n");
    Files.setPosixFilePermissions(fakeAgent, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void refusesThePlaceholderSecretWithConfigurationErrorStatus() throws IOException {
    Path secret = tmp.resolve("mesh-secret");
    Files.writeString(secret, PLACEHOLDER);

    Shell.Result result = Shell.sh(SCRIPT, Map.of("WEFT_AGENT", fakeAgent.toString(),
        "WEFT_SECRET_FILE", secret.toString()));

    assertEquals(2, result.exitCode(), result::toString);
    assertEquals("", result.stdout(), "the agent must not start");
    assertTrue(result.stderr().contains("weft-mesh-secret"), result::toString);
  }

  @Test
  void runsTheAgentWithItsArgumentsWhenTheSecretIsReal() throws IOException {
    Path secret = tmp.resolve("mesh-secret");
    Files.writeString(secret, "k3VhYx0Ww8bD9Tn1o2rJ6sZfQeL4mPcA");

    Shell.Result result = Shell.sh(SCRIPT, Map.of("WEFT_AGENT", fakeAgent.toString(),
        "WEFT_SECRET_FILE", secret.toString()), "cleanup");

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals("agent cleanup\n", result.stdout());
  }

  @Test
  void runsTheAgentWithoutASecretFile() {
    Shell.Result result = Shell.sh(SCRIPT, Map.of("WEFT_AGENT", fakeAgent.toString(), "WEFT_SECRET_FILE", ""),
        "--version");

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals("agent --version\n", result.stdout());
  }
}
