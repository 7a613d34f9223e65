package io.weft.dataplane;

/** ENOENT or ESRCH: the route, address or namespace is not there. */
public class NotFoundException extends NetlinkException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(int errno, String operation, String kernelMessage) {
    super(errno, operation, kernelMessage);
  }
}
