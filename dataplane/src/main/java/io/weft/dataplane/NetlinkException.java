package io.weft.dataplane;

import java.util.Map;

/**
 * The kernel refused a request. The message names the operation and its object, the errno and the
 * kernel's extended-ACK text when it sent one:
 * {@code could not add route 10.244.2.0/24 via 192.168.1.12: network unreachable (Nexthop has invalid gateway)}.
 *
 * <p>Callers act on the subclasses ({@link AlreadyExistsException}, {@link NotFoundException},
 * {@link NoSuchDeviceException}, {@link NetworkUnreachableException}, {@link PermissionDeniedException});
 * anything else arrives as this class with its {@link #errno()}.
 */
public class NetlinkException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int ESRCH = 3;
  public static final int EINTR = 4;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ERANGE = 34;
  public static final int EMSGSIZE = 90;
  public static final int EPROTONOSUPPORT = 93;
  public static final int EOPNOTSUPP = 95;
  public static final int EAFNOSUPPORT = 97;
  public static final int EADDRINUSE = 98;
  public static final int EADDRNOTAVAIL = 99;
  public static final int ENETDOWN = 100;
  public static final int ENETUNREACH = 101;
  public static final int ENOBUFS = 105;
  public static final int EHOSTUNREACH = 113;

  private static final Map<Integer, String> TEXT = Map.ofEntries(
      Map.entry(EPERM, "operation not permitted"),
      Map.entry(ENOENT, "no such file or directory"),
      Map.entry(ESRCH, "no such process"),
      Map.entry(EINTR, "interrupted system call"),
      Map.entry(EBADF, "bad file descriptor"),
      Map.entry(EAGAIN, "resource temporarily unavailable"),
      Map.entry(ENOMEM, "out of memory"),
      Map.entry(EACCES, "permission denied"),
      Map.entry(EBUSY, "device or resource busy"),
      Map.entry(EEXIST, "file exists"),
      Map.entry(ENODEV, "no such device"),
      Map.entry(EINVAL, "invalid argument"),
      Map.entry(ERANGE, "numerical result out of range"),
      Map.entry(EMSGSIZE, "message too long"),
      Map.entry(EPROTONOSUPPORT, "protocol not supported"),
      Map.entry(EOPNOTSUPP, "operation not supported"),
      Map.entry(EAFNOSUPPORT, "address family not supported"),
      Map.entry(EADDRINUSE, "address already in use"),
      Map.entry(EADDRNOTAVAIL, "cannot assign requested address"),
      Map.entry(ENETDOWN, "network is down"),
      Map.entry(ENETUNREACH, "network unreachable"),
      Map.entry(ENOBUFS, "no buffer space available"),
      Map.entry(EHOSTUNREACH, "no route to host"));

  private final int errno;
  private final String operation;
  private final String kernelMessage;

  public NetlinkException(int errno, String operation, String kernelMessage) {
    super(format(errno, operation, kernelMessage));
    this.errno = errno;
    this.operation = operation;
    this.kernelMessage = kernelMessage;
  }

  /** The typed exception for {@code errno}: what callers catch. */
  public static NetlinkException of(int errno, String operation, String kernelMessage) {
    return switch (errno) {
      case EEXIST -> new AlreadyExistsException(errno, operation, kernelMessage);
      case ENOENT, ESRCH -> new NotFoundException(errno, operation, kernelMessage);
      case ENODEV -> new NoSuchDeviceException(errno, operation, kernelMessage);
      case ENETUNREACH -> new NetworkUnreachableException(errno, operation, kernelMessage);
      case EPERM, EACCES -> new PermissionDeniedException(errno, operation, kernelMessage);
      default -> new NetlinkException(errno, operation, kernelMessage);
    };
  }

  /** Human text for an errno ({@code "file exists"}), or {@code "errno N"}. */
  public static String describe(int errno) {
    return TEXT.getOrDefault(errno, "errno " + errno);
  }

  private static String format(int errno, String operation, String kernelMessage) {
    String s = "could not " + operation + ": " + describe(errno);
    return kernelMessage == null || kernelMessage.isEmpty() ? s : s + " (" + kernelMessage + ")";
  }

  /** The positive errno the kernel (or libc) returned. */
  public int errno() {
    return errno;
  }

  /** What was attempted, e.g. {@code add route 10.244.2.0/24 via 192.168.1.12}. */
  public String operation() {
    return operation;
  }

  /** The kernel's extended-ACK message, or null. */
  public String kernelMessage() {
    return kernelMessage;
  }
}
