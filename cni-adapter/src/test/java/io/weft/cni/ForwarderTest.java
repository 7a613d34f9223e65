package io.weft.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forwarder executable (target/weft) as a runtime runs it, against a stand-in agent on a unix socket. */
class ForwarderTest {
  static final Path WEFT = Path.of("target/weft").toAbsolutePath();

  @TempDir Path dir;

  /** What the forwarder printed, its exit status, and the request the stand-in agent received. */
  record Run(int exit, String stdout, byte[] request) {
    String requestText() {
      return new String(request, StandardCharsets.UTF_8);
    }
  }

  @Test
  void versionIsAnsweredWithoutTheAgentInTheConfigsVersion() throws Exception {
    Run r = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\",\"apiSocket\":\"/nonexistent.sock\"}", null);
    assertEquals(0, r.exit());
    assertEquals("{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n", r.stdout());
    Run anyOther = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.3.1\"}", null);
    assertTrue(anyOther.stdout().startsWith("{\"cniVersion\":\"1.1.0\","), anyOther.stdout());
    assertEquals(0, run(Map.of("CNI_COMMAND", "VERSION"), "", null).exit());
  }

  @Test
  void everyOtherCallGoesToTheAgentWhoseAnswerAndExitStatusAreTheForwarders() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("CNI_COMMAND", "ADD");
    env.put("CNI_CONTAINERID", "c1");
    env.put("CNI_NETNS", "/var/run/netns/p1");
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_ARGS", "");
    env.put("CNI_PATH", "/opt/cni/bin");
    String config = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"SOCKET\",\"x\":\"é\"}";
    Run r = run(env, config, request -> answer(200, 7, "{\"printed\":true}\n"));
    assertEquals(7, r.exit());
    assertEquals("{\"printed\":true}\n", r.stdout());
    String sent = r.requestText();
    assertTrue(sent.startsWith("POST /v1/cni HTTP/1.1\r\n"), sent);
    String body = sent.substring(sent.indexOf("\r\n\r\n") + 4);
    assertEquals("CNI_COMMAND=ADD\0CNI_CONTAINERID=c1\0CNI_NETNS=/var/run/netns/p1\0CNI_IFNAME=eth0\0CNI_ARGS=\0"
        + "CNI_PATH=/opt/cni/bin\0\0" + config.replace("SOCKET", socket().toString()), body);
  }

  @Test
  void anUnreachableAgentIsCode11NamingTheSocket() throws Exception {
    Run r = run(Map.of("CNI_COMMAND", "ADD"), "{\"cniVersion\":\"1.0.0\",\"apiSocket\":\"/nonexistent/weft.sock\"}", null);
    assertEquals(1, r.exit());
    assertEquals("{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"weft agent not reachable at /nonexistent/weft.sock\","
        + "\"details\":\"No such file or directory (is weft-agent running on this node?)\"}\n", r.stdout());
  }

  @Test
  void anAnswerThatIsNotACniAnswerIsCode11() throws Exception {
    String config = "{\"cniVersion\":\"1.1.0\",\"apiSocket\":\"SOCKET\"}";
    Run busy = run(Map.of("CNI_COMMAND", "DEL"), config,
        request -> "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 17\r\n\r\n{\"error\":\"\u0001busy\"}".getBytes(StandardCharsets.ISO_8859_1));
    assertEquals(1, busy.exit());
    assertTrue(busy.stdout().contains("\"code\":11,\"msg\":\"weft agent at " + socket() + " answered HTTP 503\","
        + "\"details\":\"{\\\"error\\\":\\\"\\u0001busy\\\"}\""), busy.stdout());
    Run garbage = run(Map.of("CNI_COMMAND", "DEL"), config, request -> "garbage".getBytes(StandardCharsets.UTF_8));
    assertTrue(garbage.stdout().contains("\"code\":11,\"msg\":\"malformed answer from the weft agent at"), garbage.stdout());
    Run truncated = run(Map.of("CNI_COMMAND", "DEL"), config,
        request -> "HTTP/1.1 200 OK\r\nWeft-Cni-Exit: 0\r\nContent-Length: 99\r\n\r\n{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(1, truncated.exit());
  }

  @Test
  void inputItCannotForwardIsRefusedWithTheSpecsCodes() throws Exception {
    byte[] huge = new byte[(1 << 20) + 1];
    Arrays.fill(huge, (byte) ' ');
    Run big = run(Map.of("CNI_COMMAND", "ADD"), huge, null);
    assertEquals(1, big.exit());
    assertTrue(big.stdout().contains("\"code\":7,") && big.stdout().contains("at most 1 MiB"), big.stdout());
    Run relative = run(Map.of("CNI_COMMAND", "ADD"), "{\"apiSocket\":\"weft.sock\"}", null);
    assertTrue(relative.stdout().contains("\"code\":7,\"msg\":\"invalid network config\""), relative.stdout());
    Run tooLong = run(Map.of("CNI_COMMAND", "ADD"), "{\"apiSocket\":\"/" + "x".repeat(120) + "\"}", null);
    assertTrue(tooLong.stdout().contains("\"code\":7,"), tooLong.stdout());
    Run hugeEnv = run(Map.of("CNI_COMMAND", "ADD", "CNI_ARGS", "A=" + "x".repeat(70_000)), "{}", null);
    assertTrue(hugeEnv.stdout().contains("\"code\":4,"), hugeEnv.stdout());
  }

  @Test
  void malformedConfigsStillReachTheAgentWhichReportsThem() throws Exception {
    Run r = run(Map.of("CNI_COMMAND", "ADD"), "{\"apiSocket\":\"SOCKET\", not json", request -> answer(200, 1, "{\"code\":6}\n"));
    assertEquals(1, r.exit());
    assertEquals("{\"code\":6}\n", r.stdout());
  }

  private Path socket() {
    return dir.resolve("agent.sock");
  }

  private static byte[] answer(int status, int exit, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return ("HTTP/1.1 " + status + " OK\r\nContent-Type: application/json\r\nWeft-Cni-Exit: " + exit
        + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
  }

  private Run run(Map<String, String> env, String config, Function<byte[], byte[]> agent) throws Exception {
    return run(env, config.replace("SOCKET", socket().toString()).getBytes(StandardCharsets.UTF_8), agent);
  }

  /** Runs the forwarder with exactly these variables; when agent is given, it answers one request. */
  private Run run(Map<String, String> env, byte[] stdin, Function<byte[], byte[]> agent) throws Exception {
    assertTrue(Files.isExecutable(WEFT), WEFT + " is missing: run this module's compile phase first");
    Files.deleteIfExists(socket());
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket()));
      CompletableFuture<byte[]> received = agent == null ? CompletableFuture.completedFuture(new byte[0])
          : CompletableFuture.supplyAsync(() -> serveOne(server, agent));
      ProcessBuilder pb = new ProcessBuilder(WEFT.toString());
      pb.environment().clear();
      pb.environment().putAll(env);
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      Process p = pb.start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      } catch (IOException closedEarly) {
        // the forwarder stops reading at its cap
      }
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the forwarder hung");
      return new Run(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8), received.get(10, TimeUnit.SECONDS));
    }
  }

  private static byte[] serveOne(ServerSocketChannel server, Function<byte[], byte[]> agent) {
    try (SocketChannel c = server.accept()) {
      byte[] request = readRequest(Channels.newInputStream(c));
      c.write(ByteBuffer.wrap(agent.apply(request)));
      return request;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One HTTP request: up to the blank line, then Content-Length bytes (the forwarder keeps its end open). */
  private static byte[] readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (!new String(b.toByteArray(), StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        return b.toByteArray();
      }
      b.write(c);
    }
    String head = new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
    int at = head.indexOf("Content-Length: ") + "Content-Length: ".length();
    int length = Integer.parseInt(head.substring(at, head.indexOf("\r\n", at)));
    b.write(in.readNBytes(length));
    return b.toByteArray();
  }

  private static byte[] readAll(InputStream in) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
