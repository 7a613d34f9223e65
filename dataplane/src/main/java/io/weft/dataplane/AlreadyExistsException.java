package io.weft.dataplane;

/** EEXIST: the object is already there (a route with this prefix, a link with this name, an address). */
public class AlreadyExistsException extends NetlinkException {
  private static final long serialVersionUID = 1L;

  public AlreadyExistsException(int errno, String operation, String kernelMessage) {
    super(errno, operation, kernelMessage);
  }
}
