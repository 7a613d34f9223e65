package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class RouteWatchTest {

  @Test
  void aMonitorLineIsATimedChange() {
    RouteWatch.Change c = RouteWatch.parse("wlab-n1",
        "[2026-11-26T09:18:12.722020] 10.244.7.0/24 via 192.168.1.12 dev eth0 proto 87 ").orElseThrow();
    assertEquals(LocalDateTime.of(2026, 11, 26, 9, 18, 12, 722_020_000).atZone(ZoneId.systemDefault()).toInstant(), c.at());
    assertTrue(c.adds("10.244.7.0/24"));
    assertFalse(c.adds("10.244.7.0/2"), "a prefix of the destination is another destination");
    assertFalse(c.deletes("10.244.7.0/24"));
    RouteWatch.Change d = RouteWatch.parse("wlab-n1",
        "[2026-11-26T09:18:12.728003] Deleted 10.244.7.0/24 via 192.168.1.12 dev eth0 proto 87").orElseThrow();
    assertTrue(d.deletes("10.244.7.0/24"));
    assertFalse(d.adds("10.244.7.0/24"));
  }

  @Test
  void linesWithoutATimestampAreSkipped() {
    assertTrue(RouteWatch.parse("wlab-n1", "Dump was interrupted").isEmpty());
  }
}
