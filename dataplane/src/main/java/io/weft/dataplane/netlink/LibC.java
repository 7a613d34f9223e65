package io.weft.dataplane.netlink;

import java.nio.ByteBuffer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls netlink needs, bound by jnr-ffi. Buffers passed here are direct and used from
 * position 0. Every call returns -1 and leaves errno (read through {@link Native#errno()}) on failure.
 */
public interface LibC {
  int socket(int domain, int type, int protocol);

  int bind(int fd, @In ByteBuffer addr, int addrlen);

  int getsockname(int fd, @Out ByteBuffer addr, IntByReference addrlen);

  int setsockopt(int fd, int level, int optname, @In ByteBuffer optval, int optlen);

  int getsockopt(int fd, int level, int optname, @Out ByteBuffer optval, IntByReference optlen);

  @ssize_t long sendto(int fd, @In ByteBuffer buf, @size_t long len, int flags, @In ByteBuffer addr, int addrlen);

  /** {@code addrlen} is a direct 4-byte buffer holding the socklen_t in and out. */
  @ssize_t long recvfrom(int fd, @Out ByteBuffer buf, @size_t long len, int flags, @Out ByteBuffer addr,
      ByteBuffer addrlen);

  int close(int fd);

  int setns(int fd, int nstype);

  int open(String path, int flags);
}
