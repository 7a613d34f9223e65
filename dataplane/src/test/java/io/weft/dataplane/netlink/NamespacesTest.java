package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.PermissionDeniedException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The enter-act-return dance, against a scripted setns. */
class NamespacesTest {
  final ScriptedKernel kernel = new ScriptedKernel();
  final Namespaces namespaces = new Namespaces(kernel.binding());
  final Path pod = Path.of("/run/netns/wdp-pod");

  @Test
  void runsTheActionOnAnotherThreadThatEntersAndReturns() {
    kernel.setnsAnswers.add(0);
    kernel.setnsAnswers.add(0);
    AtomicReference<Thread> ran = new AtomicReference<>();
    String out = namespaces.call(pod, "test", () -> {
      ran.set(Thread.currentThread());
      return "ok";
    });
    assertEquals("ok", out);
    assertTrue(ran.get() != Thread.currentThread());
    assertEquals(java.util.List.of("/proc/thread-self/ns/net", pod.toString()), kernel.opened);
    assertTrue(kernel.setnsAnswers.isEmpty(), "entered, then returned");
  }

  @Test
  void theCurrentNamespaceRunsRightHere() {
    assertEquals(Thread.currentThread(), namespaces.call(null, "test", Thread::currentThread));
  }

  @Test
  void aThreadThatCannotReturnDiesAndTheCallerIsTold() {
    kernel.setnsAnswers.add(0);
    kernel.setnsAnswers.add(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> namespaces.call(pod, "open a socket", () -> "ok"));
    assertInstanceOf(Error.class, e.getCause());
    assertTrue(e.getMessage().contains("stranded"), e.getMessage());
  }

  @Test
  void failingToEnterIsAPermissionProblemAndTheActionNeverRuns() {
    kernel.setnsAnswers.add(1);
    AtomicReference<Boolean> ran = new AtomicReference<>(false);
    assertThrows(PermissionDeniedException.class, () -> namespaces.call(pod, "open a socket", () -> ran.getAndSet(true)));
    assertEquals(false, ran.get());
  }

  @Test
  void aMissingNamespaceIsNotFound() {
    assertThrows(NotFoundException.class, () -> namespaces.call(Path.of("/nowhere/ns"), "open a socket", () -> "x"));
  }

  @Test
  void actionExceptionsReachTheCallerAsThrown() {
    kernel.setnsAnswers.add(0);
    kernel.setnsAnswers.add(0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> namespaces.call(pod, "x", () -> {
      throw new IllegalArgumentException("boom");
    }));
    assertEquals("boom", e.getMessage());
  }
}
