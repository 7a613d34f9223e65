package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupTimelineTest {

  @Test
  void stepsAreMillisSinceTheOriginAndTheLineComesOnce() {
    AtomicLong clock = new AtomicLong(10_000);
    StartupTimeline timeline = new StartupTimeline(9_800, clock::get);
    timeline.mark("main");
    clock.set(10_450);
    timeline.mark("join sent");
    clock.set(10_900);
    assertEquals(Optional.of("main 200, join sent 650, routes 1100"), timeline.finish("routes"));
    timeline.mark("late");
    assertEquals(Optional.empty(), timeline.finish("routes"), "logged once only");
  }

  @Test
  void processAgeComesFromStartTicksAndUptime(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("self"));
    // A command name with blanks and a parenthesis, as /proc shows it; starttime (field 22) 12345 ticks.
    Files.writeString(proc.resolve("self/stat"),
        "4242 (java (weft) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 30 0 12345 3000000 2000\n");
    Files.writeString(proc.resolve("uptime"), "125.20 240.10\n");
    assertEquals(Optional.of(1_750L), StartupTimeline.processAgeMillis(proc));
  }

  @Test
  void withoutProcTheAgeIsUnknown(@TempDir Path proc) {
    assertTrue(StartupTimeline.processAgeMillis(proc).isEmpty());
  }
}
