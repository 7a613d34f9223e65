package io.weft.cni;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Build time only: the run that the class archives of {@code bin/weft} are recorded from, the AppCDS
 * archive {@code lib/weft-cni.jsa} (JDK 17/21) and the AOT cache {@code lib/weft-cni.aot} (JDK 25+, which
 * also keeps the classes linked and their invokedynamic sites resolved). It drives {@link CniMain#run} the
 * way real calls go (an ADD answered by a stand-in agent on a temporary unix socket, a DEL, an ADD whose
 * agent is unreachable, a VERSION), so every class a real call loads comes from the archive, pre-parsed and
 * pre-verified, instead of from the jar.
 */
public final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("weft-cds-training");
    Path socket = dir.resolve("agent.sock");
    CniResult result = new CniResult(
        List.of(new CniResult.Interface("v-net-0", "02:00:00:00:00:01", 0, null),
            new CniResult.Interface("weft00000000", "02:00:00:00:00:02", 1500, null),
            new CniResult.Interface("eth0", "02:00:00:00:00:03", 1500, "/var/run/netns/training")),
        List.of(new CniResult.IpConfig("10.244.0.2/24", "10.244.0.1", 2)),
        List.of(new CniResult.RouteEntry("0.0.0.0/0", "10.244.0.1")));
    String config = "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"" + socket
        + "\",\"mtu\":1500,\"dns\":{},\"runtimeConfig\":{\"ips\":[]}}";
    CniPlugin.Agent agent = CniMain.agent(new AgentClient(CniMain.AGENT_TIMEOUT_MILLIS));
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), false, StandardCharsets.UTF_8);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread standIn = new Thread(new Runnable() {
        @Override
        public void run() {
          answer(server, CniReply.ok(result));
          answer(server, CniReply.ok());
        }
      }, "weft-cds-agent");
      standIn.start();
      require(CniMain.run(env("ADD"), input(config), out, agent) == 0, "ADD");
      require(CniMain.run(env("DEL"), input(config), out, agent) == 0, "DEL");
      standIn.join();
    } finally {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(dir);
    }
    require(CniMain.run(env("ADD"), input(config), out, agent) == 1, "ADD without agent");
    require(CniMain.run(env("VERSION"), input("{\"cniVersion\":\"1.0.0\"}"), out, agent) == 0, "VERSION");
  }

  private static Map<String, String> env(String command) {
    // Start from the process environment, as main does (its classes belong in the archive too).
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", "weft-cds-training");
    env.put("CNI_NETNS", "/var/run/netns/training");
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_PATH", "/opt/cni/bin");
    env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=training");
    return env;
  }

  private static ByteArrayInputStream input(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("CDS training: " + what + " did not go as expected");
    }
  }

  /** Reads one request (headers, then Content-Length bytes) and sends {@code body} back. */
  private static void answer(ServerSocketChannel server, String body) {
    try (SocketChannel c = server.accept()) {
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(8192);
      int need = -1;
      while (need < 0 || in.size() < need) {
        b.clear();
        if (c.read(b) < 0) {
          break;
        }
        in.write(b.array(), 0, b.position());
        String text = in.toString(StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        int length = text.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
        if (end >= 0 && length >= 0) {
          int eol = text.indexOf("\r\n", length);
          need = end + 4 + Integer.parseInt(text.substring(length + 15, eol).trim());
        }
      }
      byte[] payload = body.getBytes(StandardCharsets.UTF_8);
      String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + payload.length
          + "\r\nConnection: close\r\n\r\n";
      c.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
      c.write(ByteBuffer.wrap(payload));
    } catch (IOException e) {
      throw new IllegalStateException("CDS training: stand-in agent failed", e);
    }
  }
}
