package io.weft.dataplane.netlink;

import java.util.function.IntSupplier;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * The libc binding and its errno. Building the binding costs tens of milliseconds in a cold JVM, so one
 * binding is built per JVM on first use and shared: it holds no state of its own, only the function table
 * of libc, which is process-wide anyway.
 */
public final class Native {
  private final LibC libc;
  private final IntSupplier errno;

  private Native(LibC libc) {
    this.libc = libc;
    Runtime runtime = Runtime.getRuntime(libc);
    this.errno = () -> LastError.getLastError(runtime);
  }

  /** A binding to something else than libc: tests script the kernel with it. */
  Native(LibC libc, IntSupplier errno) {
    this.libc = libc;
    this.errno = errno;
  }

  /** The shared binding, built on first call. */
  public static Native get() {
    return Holder.INSTANCE;
  }

  public LibC libc() {
    return libc;
  }

  /** errno of the last call made through {@link #libc()} on this thread. */
  public int errno() {
    return errno.getAsInt();
  }

  private static final class Holder {
    private static final String ASM_SWITCH = "jnr.ffi.asm.enabled";
    static final Native INSTANCE = load();

    /**
     * jnr-ffi's default loader generates a bytecode stub per function (ASM), about 100 ms of a cold
     * agent start; its reflection loader binds the same functions in about 20 ms, and the few hundred
     * nanoseconds it adds to a call are nothing next to the netlink system call behind it. jnr reads the
     * switch once, when it loads its first library, and an explicit {@code -Djnr.ffi.asm.enabled} wins.
     */
    private static Native load() {
      if (System.getProperty(ASM_SWITCH) == null) {
        System.setProperty(ASM_SWITCH, "false");
      }
      return new Native(LibraryLoader.create(LibC.class).load("c"));
    }
  }
}
