package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightTest {
  @TempDir
  Path dir;

  @Test
  void aHostnameListedInTheHostsFileNeedsNoWarning() throws Exception {
    Path hosts = Files.writeString(dir.resolve("hosts"),
        "127.0.0.1 localhost\n# 10.0.0.9 node-b\n127.0.1.1 Node-A.example node-a   # this host\n");
    assertEquals(Optional.empty(), Preflight.hostnameNotInHostsFile("node-a", hosts));
    assertEquals(Optional.empty(), Preflight.hostnameNotInHostsFile("node-a.example", hosts));
  }

  @Test
  void aMissingOrCommentedOutHostnameIsReportedWithItsFix() throws Exception {
    Path hosts = Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n# 10.0.0.9 node-b\n");
    String warning = Preflight.hostnameNotInHostsFile("node-b", hosts).orElseThrow();
    assertTrue(warning.contains("127.0.1.1 node-b"), warning);
  }

  @Test
  void anUnreadableHostsFileIsNotGuessedAbout() {
    assertEquals(Optional.empty(), Preflight.hostnameNotInHostsFile("node-a", dir.resolve("missing")));
  }
}
