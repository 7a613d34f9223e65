package io.weft.docker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an ELF executable's headers (no {@code file} or {@code ldd} needed): what it needs from the host
 * to start. A static executable asks for no program interpreter (no PT_INTERP) and names no shared
 * library (no DT_NEEDED); a static-pie one may have a dynamic section, but one with no DT_NEEDED.
 */
final class Elf {
  private static final int PT_DYNAMIC = 2;
  private static final int PT_INTERP = 3;
  private static final long DT_NULL = 0;
  private static final long DT_NEEDED = 1;
  private static final int ET_EXEC = 2;
  private static final int ET_DYN = 3;

  private Elf() {}

  /**
   * What {@code file} needs besides the kernel: "PT_INTERP /lib64/ld-linux-x86-64.so.2",
   * "DT_NEEDED" once per shared library. Empty for a static executable. Throws if it is no ELF executable.
   */
  static List<String> hostDependencies(Path file) throws IOException {
    ByteBuffer elf = ByteBuffer.wrap(Files.readAllBytes(file));
    if (elf.limit() < 64 || elf.getInt(0) != 0x7f454c46) {
      throw new AssertionError(file + " is not an ELF file");
    }
    boolean wide = switch (elf.get(4)) {
      case 1 -> false;
      case 2 -> true;
      default -> throw new AssertionError(file + ": unknown ELF class " + elf.get(4));
    };
    elf.order(elf.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    int type = Short.toUnsignedInt(elf.getShort(16));
    if (type != ET_EXEC && type != ET_DYN) {
      throw new AssertionError(file + " is an ELF file but not an executable (e_type " + type + ")");
    }
    long phoff = wide ? elf.getLong(0x20) : Integer.toUnsignedLong(elf.getInt(0x1c));
    int phentsize = Short.toUnsignedInt(elf.getShort(wide ? 0x36 : 0x2a));
    int phnum = Short.toUnsignedInt(elf.getShort(wide ? 0x38 : 0x2c));

    List<String> needs = new ArrayList<>();
    for (int i = 0; i < phnum; i++) {
      int header = Math.toIntExact(phoff + (long) i * phentsize);
      int kind = elf.getInt(header);
      long offset = wide ? elf.getLong(header + 8) : Integer.toUnsignedLong(elf.getInt(header + 4));
      long size = wide ? elf.getLong(header + 32) : Integer.toUnsignedLong(elf.getInt(header + 16));
      if (kind == PT_INTERP) {
        byte[] path = new byte[Math.toIntExact(size)];
        elf.get(Math.toIntExact(offset), path);
        needs.add("PT_INTERP " + new String(path, StandardCharsets.US_ASCII).replace("\0", ""));
      } else if (kind == PT_DYNAMIC) {
        int entry = wide ? 16 : 8;
        for (long at = offset; at + entry <= offset + size; at += entry) {
          int pos = Math.toIntExact(at);
          long tag = wide ? elf.getLong(pos) : elf.getInt(pos);
          if (tag == DT_NULL) {
            break;
          }
          if (tag == DT_NEEDED) {
            needs.add("DT_NEEDED");
          }
        }
      }
    }
    return needs;
  }
}
