package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConvergenceBenchTest {
  private static final List<String> LOG = List.of(
      "==== 2026-11-26T09:21:19.300Z lab: starting ...",
      "09:21:22.256 INFO  [weft-mesh-events-192.168.1.12:6783] Agent: joined the mesh as wlab-n2 with pod subnet 10.244.15.0/24 (allocated)",
      "09:21:22.460 INFO  [weft-converge] Agent: started: first routes in the kernel; ms since the process started at"
          + " the end of each step: main 94, config 431, join sent 544, joined 909, routes 969");

  @Test
  void theAgentsStartupLineIsReadStepByStep() {
    Map<String, Long> steps = ConvergenceBench.startupSteps(LOG).orElseThrow();
    assertEquals(List.of("main", "config", "join sent", "joined", "routes"), List.copyOf(steps.keySet()));
    assertEquals(969L, steps.get("routes"));
    assertEquals(544L, steps.get("join sent"));
  }

  @Test
  void theJoinTimeIsTheJoinedLinesTimeOfDay() {
    assertEquals(LocalTime.of(9, 21, 22, 256_000_000).atDate(LocalDate.now()).atZone(ZoneId.systemDefault()).toInstant(),
        ConvergenceBench.joinedAt(LOG).orElseThrow());
    assertTrue(ConvergenceBench.joinedAt(List.of("nothing")).isEmpty());
  }
}
