package io.weft.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A short libFuzzer run (clang, AddressSanitizer and UndefinedBehaviorSanitizer) over the forwarder's input
 * handling, from the corpus kept in src/test/fuzz-corpus. Longer runs: see docs/operations.md.
 */
class ForwarderFuzzTest {
  static final int SECONDS = Integer.getInteger("weft.fuzz.seconds", 15);

  @Test
  void theInputHandlingSurvivesTheFuzzer() throws Exception {
    assumeTrue(onPath("clang"), "clang is not installed (Debian: apt-get install clang libfuzzer-14-dev); fuzzing skipped");
    Path target = Path.of("target/fuzz").toAbsolutePath();
    Path found = target.resolve("corpus");
    Files.createDirectories(found);
    Path fuzzer = target.resolve("fuzz_forward");
    run(List.of("clang", "-std=c11", "-g", "-O1", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all",
        "-o", fuzzer.toString(), "src/test/c/fuzz_forward.c", "src/main/c/forward.c"), 120);
    // New inputs go to the first directory (under target/); the kept corpus is only read.
    run(List.of(fuzzer.toString(), "-max_total_time=" + SECONDS, "-timeout=5", "-artifact_prefix=" + target + "/",
        found.toString(), "src/test/fuzz-corpus"), SECONDS + 60);
  }

  private static void run(List<String> command, int timeoutSeconds) throws Exception {
    Path log = Files.createTempFile("weft-fuzz", ".log");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      String output = Files.readString(log);
      assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n"
          + output.substring(Math.max(0, output.length() - 4000)));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
