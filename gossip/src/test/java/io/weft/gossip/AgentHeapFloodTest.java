package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.plan.Plausibility;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The record flood against an agent-sized heap: an honest member in a JVM of its own with weft-agent's heap
 * flags ({@code -Xmx64m}, agent/src/main/dist/bin/weft-agent), a rogue coordinator that holds the secret
 * sending 20,000 records with 253-character names. Before the caps this ran the agent out of memory.
 */
class AgentHeapFloodTest {
  private static final String SECRET = "an agent-heap flood test secret of 32+ bytes";
  private static final int CAP = Plausibility.cap(MeshConfig.DEFAULT_CLUSTER_CIDR, 24);
  private static final Pattern REPORT = Pattern.compile("held=(\\d+) over_cap=(\\d+) heap_used_kb=(\\d+) heap_max_kb=(\\d+)");
  private final Members members = new Members();
  private Process victim;
  private RogueMember rogue;

  @AfterEach
  void tearDown() throws Exception {
    if (victim != null) {
      victim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (rogue != null) {
      rogue.close();
    }
    members.close();
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void anAgentSizedHeapSurvivesARecordFloodFromAnAuthenticatedCoordinator() throws Exception {
    rogue = RogueMember.join(members, 9, SECRET.getBytes(StandardCharsets.US_ASCII), "rogue", List.of());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    victim = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-XX:InitialHeapSize=16m", "-XX:MinHeapSize=8m",
        "-Xmx64m", "-Xss512k", "-XX:MaxMetaspaceSize=64m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), FloodVictim.class.getName(),
        members.cluster, members.ip(5).getHostAddress(), String.valueOf(members.port), members.stateDir(5).toString(),
        members.ip(9).getHostAddress(), SECRET)
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(victim.getInputStream(), StandardCharsets.US_ASCII));
    Writer in = new OutputStreamWriter(victim.getOutputStream(), StandardCharsets.US_ASCII);
    assertEquals("joined", answer(out), "the victim joined the rogue's mesh");

    rogue.flood(0, 20_000, 500, System.currentTimeMillis());

    // 512 places: the first Sync takes 500, the second the last 12; it and the 38 after it are counted.
    Matcher m = null;
    long deadline = System.nanoTime() + Members.PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      in.write("report\n");
      in.flush();
      String line = answer(out);
      m = REPORT.matcher(line);
      assertTrue(m.matches(), line);
      // The counters are live, the records held are the latest snapshot's (taken within 50 ms of a change,
      // once the loop has worked through the Syncs queued before it): wait for both.
      if (Long.parseLong(m.group(2)) == 39 && Integer.parseInt(m.group(1)) == CAP) {
        break;
      }
      Thread.sleep(500);
    }
    assertNotNull(m);
    assertEquals(39, Long.parseLong(m.group(2)), "every Sync past the cap was refused and counted");
    assertEquals(CAP, Integer.parseInt(m.group(1)), "the victim holds the cap, no more");
    assertTrue(victim.isAlive());
    System.out.printf("agent-heap flood: %d records in 40 Syncs; the victim (-Xmx64m) holds %s, refused over_cap %s,"
        + " heap used after a full GC %s KB of %s KB%n", 20_000, m.group(1), m.group(2), m.group(3), m.group(4));
    in.close();
    assertTrue(victim.waitFor(30, TimeUnit.SECONDS), "the victim ends at end of input");
  }

  /** The victim's next answer; its log lines (on the same stdout) are passed on to this test's output. */
  private static String answer(BufferedReader out) throws IOException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith(FloodVictim.ANSWER)) {
        return line.substring(FloodVictim.ANSWER.length());
      }
      System.out.println("victim| " + line);
    }
    throw new AssertionError("the victim ended without answering");
  }
}
