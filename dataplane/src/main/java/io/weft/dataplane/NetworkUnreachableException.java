package io.weft.dataplane;

/** ENETUNREACH: the gateway is not on a connected network of the device. */
public class NetworkUnreachableException extends NetlinkException {
  private static final long serialVersionUID = 1L;

  public NetworkUnreachableException(int errno, String operation, String kernelMessage) {
    super(errno, operation, kernelMessage);
  }
}
