package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * A TCP server and client the lab runs inside pod and host namespaces (java.base only, like
 * {@link PodEcho}), for what a ping cannot show: the source address a TCP server sees (masquerade) and
 * a bulk transfer arriving whole (MTU, no black hole).
 *
 * <ul>
 *   <li>{@code serve PORT}: prints {@code ready}; for each connection writes {@code saw ADDR}, reads to
 *       the end and writes {@code sha256 HEX BYTES} of what it read.</li>
 *   <li>{@code send IP PORT BYTES}: connects, prints the server's {@code saw} line, sends BYTES
 *       pseudo-random bytes, then prints {@code sent HEX BYTES} and the server's {@code sha256} line;
 *       exits 0 when both digests agree, 1 when they differ, 2 when the connection fails.</li>
 *   <li>{@code connect IP PORT COUNT}: COUNT short connections one after the other (connect, read the
 *       {@code saw} line, close) and prints {@code connections COUNT in MILLIS ms} (exit 2 on a failure).</li>
 * </ul>
 */
public final class TcpProbe {
  private static final int CHUNK = 64 * 1024;

  private TcpProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("serve")) {
      serve(Integer.parseInt(args[1]));
    } else if (args.length == 4 && args[0].equals("send")) {
      System.exit(send(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3])));
    } else if (args.length == 4 && args[0].equals("connect")) {
      System.exit(connect(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3])));
    } else {
      System.err.println("usage: TcpProbe serve PORT | TcpProbe send IP PORT BYTES | TcpProbe connect IP PORT COUNT");
      System.exit(2);
    }
  }

  private static void serve(int port) throws IOException {
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(port));
      System.out.println("ready");
      System.out.flush();
      while (true) {
        Socket s = server.accept();
        Thread t = new Thread(() -> answer(s), "tcp-probe");
        t.setDaemon(true);
        t.start();
      }
    }
  }

  private static void answer(Socket s) {
    try (s) {
      OutputStream out = s.getOutputStream();
      String peer = ((InetSocketAddress) s.getRemoteSocketAddress()).getAddress().getHostAddress();
      out.write(("saw " + peer + "\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      MessageDigest sha = sha256();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[CHUNK];
      long total = 0;
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        sha.update(buf, 0, n);
        total += n;
      }
      out.write(("sha256 " + HexFormat.of().formatHex(sha.digest()) + " " + total + "\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      System.err.println("tcp-probe: " + e.getMessage());
    }
  }

  private static int send(String ip, int port, long bytes) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), 3000);
      s.setSoTimeout(30_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      System.out.println(in.readLine());
      MessageDigest sha = sha256();
      Random random = new Random(bytes);
      byte[] buf = new byte[CHUNK];
      OutputStream out = s.getOutputStream();
      for (long left = bytes; left > 0; ) {
        int n = (int) Math.min(buf.length, left);
        random.nextBytes(buf);
        sha.update(buf, 0, n);
        out.write(buf, 0, n);
        left -= n;
      }
      out.flush();
      s.shutdownOutput();
      String sent = "sha256 " + HexFormat.of().formatHex(sha.digest()) + " " + bytes;
      String received = in.readLine();
      System.out.println("sent " + sent);
      System.out.println("received " + received);
      return sent.equals(received) ? 0 : 1;
    } catch (IOException e) {
      System.out.println("failed " + e);
      return 2;
    }
  }

  private static int connect(String ip, int port, int count) {
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(ip, port), 3000);
        s.setSoTimeout(3000);
        s.shutdownOutput();
        if (s.getInputStream().read() < 0) {
          throw new IOException("closed before answering");
        }
      } catch (IOException e) {
        System.out.println("failed at connection " + (i + 1) + ": " + e);
        return 2;
      }
    }
    System.out.println("connections " + count + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
    return 0;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
