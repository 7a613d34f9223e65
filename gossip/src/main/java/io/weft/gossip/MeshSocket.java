package io.weft.gossip;

import io.weft.gossip.trust.Handshake.Role;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;

/**
 * A mesh TCP connection whose streams exist only once the handshake has established it: JGroups asks
 * for them and gets the frame streams. An outgoing one runs the handshake in {@code connect}, on the
 * connecting thread; an accepted one is handed to JGroups only after {@link MeshServerSocket}'s pool
 * ran it.
 */
final class MeshSocket extends Socket {
  private final HandshakeRunner runner;
  private volatile InputStream in;
  private volatile OutputStream out;

  MeshSocket(HandshakeRunner runner) {
    this.runner = runner;
  }

  @Override
  public void connect(SocketAddress endpoint, int timeout) throws IOException {
    super.connect(endpoint, timeout);
    runner.establish(this, Role.CLIENT, System.nanoTime() + HandshakeRunner.DEADLINE_NANOS);
  }

  InputStream rawIn() throws IOException {
    return super.getInputStream();
  }

  OutputStream rawOut() throws IOException {
    return super.getOutputStream();
  }

  void established(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
  }

  @Override
  public InputStream getInputStream() throws IOException {
    if (in == null) {
      throw new SocketException("mesh connection not established (no handshake)");
    }
    return in;
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    if (out == null) {
      throw new SocketException("mesh connection not established (no handshake)");
    }
    return out;
  }
}
