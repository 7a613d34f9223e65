package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pod: a network namespace wired by the real CNI plugin on its node. Traffic helpers run inside
 * it: {@link #ping} (iputils) and {@link #sourceSeenBy} (the {@link PodEcho} in the target pod
 * reports which source address reached it — the pod's own IP when there is no NAT).
 */
public final class Pod {
  private final String name;
  private final LabNode node;
  private final String containerId;
  private final String ip;
  private Process echo;
  private BufferedReader echoOut;
  private Writer echoIn;

  private final Teardown teardown;

  Pod(String name, LabNode node, String containerId, String ip, Teardown teardown) {
    this.teardown = teardown;
    this.name = name;
    this.node = node;
    this.containerId = containerId;
    this.ip = ip;
  }

  /** The namespace name, also the pod's name. */
  public String name() {
    return name;
  }

  public LabNode node() {
    return node;
  }

  public String containerId() {
    return containerId;
  }

  /** The pod's IPv4 address, as the CNI result gave it (without prefix length). */
  public String ip() {
    return ip;
  }

  /** The argv that runs {@code command} inside this pod. */
  public List<String> exec(String... command) {
    return Ip.exec(name, List.of(command));
  }

  /** One ICMP echo to {@code address}, waiting at most a second. */
  public boolean ping(String address) {
    return Command.of(exec("ping", "-n", "-q", "-c", "1", "-W", "1", address)).run().ok();
  }

  /**
   * Sends one UDP datagram from this pod to {@code target}'s echo and returns the source address
   * the target saw, or null when nothing came back within {@code timeout}.
   */
  public String sourceSeenBy(Pod target, Duration timeout) {
    // The target's lock is taken and released before this pod's: two pods asking each other at
    // once must not each hold one lock and wait for the other.
    target.ensureEcho();
    return sourceSeenAt(target.ip, timeout);
  }

  /**
   * Sends one UDP datagram from this pod to the echo at {@code ip} (a pod's or the outside host's) and
   * returns the source address it saw, or null when nothing came back within {@code timeout}.
   */
  public synchronized String sourceSeenAt(String ip, Duration timeout) {
    ensureEcho();
    try {
      echoIn.write("ask " + ip + " " + PodEcho.DEFAULT_PORT + " " + timeout.toMillis() + "\n");
      echoIn.flush();
      String answer = echoOut.readLine();
      if (answer == null) {
        throw new LabException("echo in pod " + name + " exited; see its output in the node log");
      }
      return answer.startsWith("saw ") ? answer.substring(4).strip() : null;
    } catch (IOException e) {
      throw new LabException("could not ask echo in pod " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@link TcpProbe} {@code send} from this pod: connects to {@code ip:port}, sends {@code bytes}
   * and returns its output ({@code saw ADDR}, {@code sent ...}, {@code received ...}; exit 0 when the
   * server received exactly what was sent).
   */
  public Command.Result tcpSend(String ip, int port, long bytes) {
    return Command.of(Ip.exec(name, probeJava(TcpProbe.class, "send", ip, Integer.toString(port),
        Long.toString(bytes)))).run();
  }

  /** The argv of a small lab JVM running {@code main} with {@code args} (java.base only). */
  static List<String> probeJava(Class<?> main, String... args) {
    List<String> java = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx32m", "-Xss256k",
        "-cp", labClasspath(), main.getName()));
    java.addAll(List.of(args));
    return java;
  }

  /** Starts the pod's echo (a small JVM inside the pod namespace) unless it is running. */
  public synchronized void ensureEcho() {
    if (echo != null && echo.isAlive()) {
      return;
    }
    List<String> java = probeJava(PodEcho.class, Integer.toString(PodEcho.DEFAULT_PORT));
    try {
      ProcessBuilder builder = new ProcessBuilder(Ip.exec(name, java))
          .redirectError(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()));
      echo = teardown.whileUp("starting the echo in " + name, () -> start(builder));
      echoOut = new BufferedReader(new InputStreamReader(echo.getInputStream(), StandardCharsets.UTF_8));
      echoIn = new OutputStreamWriter(echo.getOutputStream(), StandardCharsets.UTF_8);
      String first = echoOut.readLine();
      if (!"ready".equals(first)) {
        throw new LabException("could not start echo in pod " + name + ": it said " + first);
      }
    } catch (IOException e) {
      throw new LabException("could not start echo in pod " + name + ": " + e.getMessage(), e);
    }
  }

  /** Stops the echo, if any: closing its stdin ends it; a stuck one is killed. */
  public synchronized void stopEcho() {
    if (echo == null) {
      return;
    }
    try {
      echoIn.close();
      if (!echo.waitFor(2, TimeUnit.SECONDS)) {
        echo.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      echo.destroyForcibly();
    } catch (InterruptedException e) {
      echo.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    echo = null;
  }

  /** Starts a {@link TcpProbe} server in this pod on {@code port}; the lab's teardown ends it with the pod. */
  public Process startTcpServer(int port) {
    ProcessBuilder builder = new ProcessBuilder(Ip.exec(name, probeJava(TcpProbe.class, "serve", Integer.toString(port))))
        .redirectError(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()));
    Process p = startInside(builder);
    try {
      String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      if (!"ready".equals(first)) {
        p.destroyForcibly();
        throw new LabException("TCP server in pod " + name + " did not start: it said " + first);
      }
    } catch (IOException e) {
      p.destroyForcibly();
      throw new LabException("TCP server in pod " + name + " did not start: " + e.getMessage(), e);
    }
    return p;
  }

  /** Starts a process inside this pod unless the lab is being torn down. */
  Process startInside(ProcessBuilder builder) {
    return teardown.whileUp("starting a process in " + name, () -> start(builder));
  }

  private Process start(ProcessBuilder builder) {
    try {
      return builder.start();
    } catch (IOException e) {
      throw new LabException("could not start " + String.join(" ", builder.command()) + ": " + e.getMessage(), e);
    }
  }

  private static String labClasspath() {
    try {
      return Path.of(PodEcho.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new LabException("could not locate the lab's classes for the pod echo", e);
    }
  }

  @Override
  public String toString() {
    return name + "(" + ip + ")";
  }
}
