package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/**
 * The agent runs the start-up rehearsal on a spare thread and ignores its failures (it is only a head
 * start), so nothing else would notice if it stopped working: a rehearsal that threw at its first step
 * once left every join to pay for a cold JGroups stack.
 */
class WarmUpTest {
  @Test
  void theHandshakeRehearsalCompletes() {
    assertDoesNotThrow(HandshakeRunner::warmUp);
  }

  @Test
  void theWholeWarmUpCompletesWithoutTouchingTheNetwork() {
    assertDoesNotThrow(JGroupsMesh::warmUp);
  }
}
