package io.weft.dataplane;

/** ENODEV: the named or indexed interface does not exist. */
public class NoSuchDeviceException extends NetlinkException {
  private static final long serialVersionUID = 1L;

  public NoSuchDeviceException(int errno, String operation, String kernelMessage) {
    super(errno, operation, kernelMessage);
  }
}
