package io.weft.gossip.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.gossip.trust.KeyBindings.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyBindingStoreTest {
  private static final NodeKey OLD = NodeIdentity.generate(new SecureRandom()).publicKey();
  private static final NodeKey NEW = NodeIdentity.generate(new SecureRandom()).publicKey();

  @TempDir
  Path dir;

  @Test
  void firstSightBindsAndIsRememberedAcrossRestarts() throws Exception {
    KeyBindingStore store = KeyBindingStore.open(dir);
    assertEquals(Verdict.FIRST_SIGHT, store.admit("node-b", OLD, "10.0.0.2:6783", 1));
    assertEquals(Verdict.KNOWN, store.admit("node-b", OLD, "10.0.0.2:6783", 2));
    assertEquals(Optional.of(OLD), KeyBindingStore.open(dir).bindings().keyOf("node-b"));
  }

  @Test
  void anotherKeyForAKnownNameIsAConflictNamingBothFingerprintsUntilForgotten() throws Exception {
    KeyBindingStore store = KeyBindingStore.open(dir);
    store.admit("node-b", OLD, "10.0.0.2:6783", 1);
    assertEquals(Verdict.CONFLICT, store.admit("node-b", NEW, "10.0.0.9:40000", 5));
    List<KeyConflict> conflicts = store.conflicts();
    assertEquals(1, conflicts.size());
    String problem = conflicts.get(0).describe();
    assertTrue(problem.contains("node-b") && problem.contains(OLD.fingerprint()) && problem.contains(NEW.fingerprint())
        && problem.contains("meshctl forget node-b"), problem);
    assertEquals(Optional.of(OLD), store.bindings().keyOf("node-b"), "the binding is not replaced");

    store.forget("node-b");
    assertEquals(List.of(), store.conflicts());
    assertEquals(Verdict.FIRST_SIGHT, store.admit("node-b", NEW, "10.0.0.9:40000", 6));
    assertEquals(Optional.of(NEW), KeyBindingStore.open(dir).bindings().keyOf("node-b"));
  }

  @Test
  void newNamesStopAtTheCap() {
    KeyBindings b = KeyBindings.empty(1).bind("node-a", OLD);
    assertEquals(Verdict.FULL, b.check("node-b", NEW));
    assertEquals(Verdict.KNOWN, b.check("node-a", OLD));
  }

  @Test
  void aCorruptFileIsAClearError() throws Exception {
    Files.writeString(dir.resolve(KeyBindingStore.FILE), "{\"bindings\": [{\"node\": \"a\", \"key\": \"!!\"}]}");
    KeyBindingStore.UnusableBindingsException e =
        assertThrows(KeyBindingStore.UnusableBindingsException.class, () -> KeyBindingStore.open(dir));
    assertTrue(e.getMessage().contains(KeyBindingStore.FILE), e.getMessage());
  }
}
