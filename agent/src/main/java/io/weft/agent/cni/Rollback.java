package io.weft.agent.cni;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The undo list of one ADD: each step that changed something registers how to take it back; on failure
 * they run newest first, so a failed ADD leaves no veth and no address behind. A failing undo step is
 * logged and the rest still run.
 */
final class Rollback {
  private static final Logger log = LoggerFactory.getLogger(Rollback.class);

  private record Step(String what, Runnable undo) {}

  private final Deque<Step> steps = new ArrayDeque<>();

  void onFailure(String what, Runnable undo) {
    steps.push(new Step(what, undo));
  }

  void run() {
    while (!steps.isEmpty()) {
      Step s = steps.pop();
      try {
        s.undo().run();
      } catch (RuntimeException e) {
        log.warn("CNI: could not undo '{}' after a failed ADD: {}", s.what(), e.getMessage());
      }
    }
  }
}
