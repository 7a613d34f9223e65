package io.weft.gossip.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeKeyFileTest {
  @TempDir
  Path dir;

  @Test
  void createdOnFirstStartOwnerOnlyAndTheSameEveryStartAfter() throws Exception {
    NodeIdentity first = NodeKeyFile.loadOrCreate(dir, new SecureRandom());
    Path file = dir.resolve(NodeKeyFile.FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(first.publicKey(), NodeKeyFile.loadOrCreate(dir, new SecureRandom()).publicKey());
    assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(".tmp")), "no temp file left");
  }

  @Test
  void aCorruptFileIsAClearErrorAndIsNeverReplaced() throws Exception {
    Path file = dir.resolve(NodeKeyFile.FILE);
    Files.writeString(file, "weft-node-key-v1\nprivate AAAA\npublic BBBB\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    byte[] before = Files.readAllBytes(file);
    NodeKeyFile.UnusableKeyException e = assertThrows(NodeKeyFile.UnusableKeyException.class,
        () -> NodeKeyFile.loadOrCreate(dir, new SecureRandom()));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("never replaced"), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file));
  }

  @Test
  void aKeyOfAnotherNodesPublicHalfIsRefused() throws Exception {
    NodeIdentity a = NodeKeyFile.loadOrCreate(dir, new SecureRandom());
    Path file = dir.resolve(NodeKeyFile.FILE);
    String other = NodeIdentity.generate(new SecureRandom()).publicKey().toBase64();
    String text = Files.readString(file).replace(a.publicKey().toBase64(), other);
    Files.writeString(file, text);
    assertThrows(NodeKeyFile.UnusableKeyException.class, () -> NodeKeyFile.loadOrCreate(dir, new SecureRandom()));
  }

  @Test
  void aKeyFileReadableByOthersIsRefused() throws Exception {
    NodeKeyFile.loadOrCreate(dir, new SecureRandom());
    Path file = dir.resolve(NodeKeyFile.FILE);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    NodeKeyFile.UnusableKeyException e = assertThrows(NodeKeyFile.UnusableKeyException.class,
        () -> NodeKeyFile.loadOrCreate(dir, new SecureRandom()));
    assertTrue(e.getMessage().contains("readable by group or others"), e.getMessage());
  }
}
