package io.weft.dataplane.netlink;

import java.util.function.IntSupplier;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * The libc binding and its errno. Building the binding costs about half a CPU-second in a cold JVM (jnr
 * generates and loads glue classes), so one binding is built per JVM on first use and shared: it holds no
 * state of its own, only the function table of libc, which is process-wide anyway.
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
    static final Native INSTANCE = new Native(LibraryLoader.create(LibC.class).load("c"));
  }
}
