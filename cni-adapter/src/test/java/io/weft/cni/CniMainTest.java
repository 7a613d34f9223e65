package io.weft.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CniMainTest {

  @Test
  void printsTheOutcomeWithANewline() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = CniMain.run(Map.of("CNI_COMMAND", "VERSION"), new ByteArrayInputStream(new byte[0]),
        new PrintStream(out, true, StandardCharsets.UTF_8), (s, p, b) -> {
          throw new AssertionError("VERSION is local");
        });
    assertEquals(0, exit);
    assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("]}\n"));
  }

  @Test
  void anUnreadableStdinIsAnIoFailure() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream broken = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("stdin closed");
      }
    };
    assertEquals(1, CniMain.run(Map.of("CNI_COMMAND", "ADD"), broken, new PrintStream(out, true, StandardCharsets.UTF_8), null));
    assertEquals(5L, Json.parseObject(out.toString(StandardCharsets.UTF_8)).get("code"));
  }

  @Test
  void theCdsTrainingRunStillWorks() throws Exception {
    CdsTraining.main(new String[0]);
  }
}
