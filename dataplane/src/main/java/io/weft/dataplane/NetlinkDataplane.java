package io.weft.dataplane;

import java.nio.file.Path;

/** Work in progress: the rtnetlink implementation. */
public final class NetlinkDataplane implements Dataplane {
  private NetlinkDataplane() {}

  public static NetlinkDataplane current() {
    throw new UnsupportedOperationException("in progress");
  }

  public static NetlinkDataplane in(Path netnsPath) {
    throw new UnsupportedOperationException("in progress");
  }

  @Override public RouteTable routes() { throw new UnsupportedOperationException(); }
  @Override public Links links() { throw new UnsupportedOperationException(); }
  @Override public Addresses addresses() { throw new UnsupportedOperationException(); }
  @Override public Sysctls sysctls() { throw new UnsupportedOperationException(); }
  @Override public NetworkEvents events() { throw new UnsupportedOperationException(); }
  @Override public void close() {}
}
