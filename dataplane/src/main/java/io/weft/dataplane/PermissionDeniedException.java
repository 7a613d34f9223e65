package io.weft.dataplane;

/** EPERM or EACCES: the process lacks CAP_NET_ADMIN (or CAP_SYS_ADMIN for namespaces). */
public class PermissionDeniedException extends NetlinkException {
  private static final long serialVersionUID = 1L;

  public PermissionDeniedException(int errno, String operation, String kernelMessage) {
    super(errno, operation, kernelMessage);
  }
}
