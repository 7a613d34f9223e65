package io.weft.dataplane;

import io.weft.core.model.RouteOp;

/** What became of one {@link RouteOp}: {@code error} is null when the kernel acknowledged it. */
public record RouteOpResult(RouteOp op, NetlinkException error) {

  public boolean ok() {
    return error == null;
  }
}
