package io.weft.agent.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.dataplane.memory.InMemoryDataplane;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CleanupCommandTest {
  @TempDir
  Path tmp;

  private final StringWriter out = new StringWriter();

  private int cleanup(String rtProtosDir) {
    CommandLine cli = new CommandLine(new CleanupCommand(InMemoryDataplane::new));
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(new StringWriter()));
    return cli.execute("--rt-protos-dir", rtProtosDir, "--api-socket", tmp.resolve("no-agent.sock").toString(),
        "--cni-conf-file", tmp.resolve("10-weft.conflist").toString(), "--cni-bin-file", tmp.resolve("weft").toString());
  }

  @Test
  void removesTheProtocolNameWeftWrote() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rt_protos.d"));
    Path ours = Files.writeString(dir.resolve("weft.conf"), "87\tweft\n");
    Path neighbour = Files.writeString(dir.resolve("bird.conf"), "12\tbird\n");

    assertEquals(0, cleanup(dir.toString()));

    assertFalse(Files.exists(ours));
    assertTrue(Files.exists(neighbour));
    assertTrue(out.toString().contains("removed " + ours), out.toString());
  }

  @Test
  void leavesAWeftConfItDidNotWrite() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rt_protos.d"));
    Path edited = Files.writeString(dir.resolve("weft.conf"), "87\tweft\n88\tlocal-bgp\n");

    assertEquals(0, cleanup(dir.toString()));
    assertTrue(Files.exists(edited), "someone else's lines are in it");

    Files.writeString(edited, "87\tweft\n");
    assertEquals(0, cleanup("none"));
    assertTrue(Files.exists(edited), "'none' skips it, as for the agent");
  }
}
