package io.weft.gossip;

import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.KeyBindingStore;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import org.jgroups.util.SocketFactory;

/**
 * JGroups' socket factory for the mesh: every TCP connection it makes or accepts runs Weft's handshake
 * ({@link io.weft.gossip.trust.Handshake}, docs/security.md) and then carries every byte, JGroups'
 * own preamble included, in AES-256-GCM frames. Accepted connections are handshaken off JGroups'
 * acceptor thread ({@link MeshServerSocket}); no UDP socket is ever opened.
 */
final class MeshSecurity implements SocketFactory {
  private final HandshakeRunner runner;
  private final String self;

  /**
   * @param credentials this node's secret-derived key, identity and name
   * @param bindings    the name → key bindings peers are checked against
   * @param stats       the mesh's connection counters
   * @param self        this node's mesh address, for thread names and log lines
   */
  MeshSecurity(Credentials credentials, KeyBindingStore bindings, ConnectionStats stats, String self) {
    this.runner = new HandshakeRunner(credentials, bindings, stats);
    this.self = self;
  }

  @Override
  public Socket createSocket(String service) {
    return new MeshSocket(runner);
  }

  @Override
  public Socket createSocket(String service, String host, int port) throws IOException {
    return connected(new InetSocketAddress(host, port), null, 0);
  }

  @Override
  public Socket createSocket(String service, InetAddress address, int port) throws IOException {
    return connected(new InetSocketAddress(address, port), null, 0);
  }

  @Override
  public Socket createSocket(String service, String host, int port, InetAddress localAddr, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(host, port), localAddr, localPort);
  }

  @Override
  public Socket createSocket(String service, InetAddress address, int port, InetAddress localAddr, int localPort)
      throws IOException {
    return connected(new InetSocketAddress(address, port), localAddr, localPort);
  }

  private Socket connected(SocketAddress to, InetAddress localAddr, int localPort) throws IOException {
    MeshSocket s = new MeshSocket(runner);
    if (localAddr != null) {
      s.bind(new InetSocketAddress(localAddr, localPort));
    }
    s.connect(to);
    return s;
  }

  @Override
  public ServerSocket createServerSocket(String service) throws IOException {
    return new MeshServerSocket(runner, self);
  }

  @Override
  public ServerSocket createServerSocket(String service, int port) throws IOException {
    return bound(port, 50, null);
  }

  @Override
  public ServerSocket createServerSocket(String service, int port, int backlog) throws IOException {
    return bound(port, backlog, null);
  }

  @Override
  public ServerSocket createServerSocket(String service, int port, int backlog, InetAddress bindAddr)
      throws IOException {
    return bound(port, backlog, bindAddr);
  }

  private ServerSocket bound(int port, int backlog, InetAddress bindAddr) throws IOException {
    MeshServerSocket s = new MeshServerSocket(runner, self);
    s.bind(new InetSocketAddress(bindAddr, port), backlog);
    return s;
  }

  @Override
  public DatagramSocket createDatagramSocket(String service) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, SocketAddress bindaddr) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, int port) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, int port, InetAddress laddr) throws SocketException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service) throws IOException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service, int port) throws IOException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service, SocketAddress bindaddr) throws IOException {
    throw udp(service);
  }

  /** The mesh listens on its one TCP port only (diagnostics and UDP discovery are off by design). */
  private static SocketException udp(String service) {
    return new SocketException("weft mesh opens no UDP sockets (asked for " + service + ")");
  }

  @Override
  public void close(Socket sock) throws IOException {
    sock.close();
  }

  @Override
  public void close(ServerSocket sock) throws IOException {
    sock.close();
  }

  @Override
  public void close(DatagramSocket sock) {
    sock.close();
  }
}
