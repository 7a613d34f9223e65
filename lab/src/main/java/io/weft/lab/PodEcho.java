package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The tiny program the lab runs inside each pod namespace ({@code ip netns exec POD java -cp ...
 * io.weft.lab.PodEcho PORT}): a UDP echo that answers every datagram with the source address it
 * saw, and a client the harness drives over stdin. java.base only, so it starts fast.
 *
 * <p>Protocol on stdin/stdout, one line each: prints {@code ready} once listening; for
 * {@code ask IP PORT TIMEOUT_MS} sends one datagram to IP:PORT and prints {@code saw ADDR} (the
 * address the receiver reported) or {@code timeout}. Exits when stdin closes, so a pod's echo
 * never outlives the harness that started it.
 */
public final class PodEcho {
  public static final int DEFAULT_PORT = 7007;

  private PodEcho() {}

  public static void main(String[] args) throws IOException {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : DEFAULT_PORT;
    DatagramSocket server = new DatagramSocket(new InetSocketAddress(port));
    Thread echo = new Thread(() -> serve(server), "echo");
    echo.setDaemon(true);
    echo.start();
    System.out.println("ready");
    System.out.flush();
    BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = commands.readLine(); line != null; line = commands.readLine()) {
      String[] words = line.strip().split("\\s+");
      if (words.length == 4 && words[0].equals("ask")) {
        System.out.println(ask(words[1], Integer.parseInt(words[2]), Integer.parseInt(words[3])));
      } else {
        System.out.println("error unknown command: " + line);
      }
      System.out.flush();
    }
    server.close();
  }

  private static void serve(DatagramSocket server) {
    byte[] buffer = new byte[512];
    while (!server.isClosed()) {
      try {
        DatagramPacket request = new DatagramPacket(buffer, buffer.length);
        server.receive(request);
        byte[] answer = request.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
        server.send(new DatagramPacket(answer, answer.length, request.getSocketAddress()));
      } catch (IOException e) {
        // A closed socket ends the loop; anything else is one lost datagram, which the asker reports.
      }
    }
  }

  private static String ask(String ip, int port, int timeoutMillis) {
    try (DatagramSocket client = new DatagramSocket()) {
      client.setSoTimeout(timeoutMillis);
      byte[] hello = "who-am-i".getBytes(StandardCharsets.US_ASCII);
      // IpAddresses-style literal only: getByName on a dotted quad never touches DNS.
      client.send(new DatagramPacket(hello, hello.length, InetAddress.getByName(ip), port));
      byte[] buffer = new byte[512];
      DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
      client.receive(reply);
      return "saw " + new String(buffer, 0, reply.getLength(), StandardCharsets.US_ASCII);
    } catch (SocketTimeoutException e) {
      return "timeout";
    } catch (IOException e) {
      return "error " + e.getMessage();
    }
  }
}
