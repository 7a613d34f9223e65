package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Podman as one lab node's container runtime, with Weft as its CNI network ({@code 10-weft.conflist}:
 * {@code weft}, then {@code portmap}), the way a node runs a runtime built on libcni.
 *
 * <p>The node gets a mount namespace of its own, its "host" view, held by one process in the node's
 * network namespace; podman runs in it, and so does the node's agent (its own mount namespace is a
 * slave of this one, as the DaemonSet's /run/netns is of the host's), so the agent sees the network
 * namespaces podman mounts. In it:
 * <ul>
 *   <li>{@code /run/netns} is a directory of this node's: podman's {@code netns-*} mounts and files stay
 *       in the lab. The host's lab namespaces are hidden there, so a podman node has no lab {@link Pod}s;</li>
 *   <li>{@code /var/lib} is an overlay whose writes land in this node's directory: libcni keeps its cache
 *       in {@code /var/lib/cni} whatever podman is told;</li>
 *   <li>{@code /etc/hosts} and {@code /etc/resolv.conf} are the node's ({@code ip netns exec} would do that,
 *       but it also remounts /sys, which hides the cgroup mounts runc needs).</li>
 * </ul>
 * Storage, run root, temporary files and runc's state are this node's directories too; containers run
 * from a busybox directory ({@code --rootfs}, no image, no registry) in cgroups under the lab's
 * {@link Topology#containerCgroup}. The lab's teardown kills the holder with the node's other processes
 * and the containers through their cgroups ({@link LabCleaner}).
 */
public final class Podman {
  /** The statically linked busybox of Debian's busybox-static: the whole userland of a container. */
  private static final Path BUSYBOX = Path.of("/bin/busybox");
  private static final Path REFERENCE_PLUGINS = Path.of("/usr/lib/cni");

  private final LabNode node;
  private final Path dir;
  private final Path rootfs;
  private final String cgroupParent;
  private final Process holder;

  private Podman(LabNode node, Path dir, Path rootfs, String cgroupParent, Process holder) {
    this.node = node;
    this.dir = dir;
    this.rootfs = rootfs;
    this.cgroupParent = cgroupParent;
    this.holder = holder;
  }

  /** Writes podman's configuration for {@code node} under {@code dir} and starts the node's mount namespace. */
  static Podman start(LabNode node, Path dir, Path rootfs, WeftDist dist, Topology topology, Teardown teardown) {
    try {
      for (String sub : List.of("netns", "net.d", "tmp", "varlib/upper", "varlib/work")) {
        Files.createDirectories(dir.resolve(sub));
      }
      // runc with its state here, for every podman process: podman's --runtime-flag does not reach the
      // cleanup process conmon starts when a container exits, which would use the host's /run/runc.
      Path runc = dir.resolve("runc");
      Files.writeString(runc, "#!/bin/sh\nexec runc --root '" + dir.resolve("runc-state") + "' \"$@\"\n");
      Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.writeString(dir.resolve("net.d/10-weft.conflist"), weftConflist(node.socket()));
      Files.writeString(dir.resolve("containers.conf"), containersConf(dir, runc, dist));
      Files.writeString(dir.resolve("storage.conf"), "[storage]\n"
          // Containers run from a directory: no image layers to stack, so no overlay mounts either.
          + "driver = \"vfs\"\n"
          + "graphroot = \"" + dir.resolve("root") + "\"\n"
          + "runroot = \"" + dir.resolve("runroot") + "\"\n");
      makeRootfs(rootfs);
    } catch (IOException e) {
      throw new LabException("could not write podman's files for " + node.name() + " in " + dir + ": " + e.getMessage(), e);
    }
    String setup = String.join(" && ",
        "mount --bind \"$1\"/netns /run/netns",
        // Shared, so that the agent's mount namespace, a slave of this one, receives podman's netns mounts.
        "mount --make-shared /run/netns",
        "mount -t overlay overlay -o \"lowerdir=/var/lib,upperdir=$1/varlib/upper,workdir=$1/varlib/work\" /var/lib",
        "mount --bind /etc/netns/\"$0\"/hosts /etc/hosts",
        "mount --bind /etc/netns/\"$0\"/resolv.conf /etc/resolv.conf",
        "echo ready",
        "exec sleep infinity");
    // A slave of the host's mount namespace: the lab's mounts never reach the host.
    List<String> argv = List.of("nsenter", "--net=/var/run/netns/" + node.name(),
        "unshare", "--mount", "--propagation", "slave", "--", "sh", "-c", setup, node.name(), dir.toString());
    Process holder = teardown.whileUp("starting podman's mount namespace on " + node.name(), () -> {
      try {
        return new ProcessBuilder(argv)
            .redirectError(ProcessBuilder.Redirect.appendTo(node.logFile().toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
      } catch (IOException e) {
        throw new LabException("could not start podman's mount namespace on " + node.name() + ": " + e.getMessage(), e);
      }
    });
    try {
      String first = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
      if (!"ready".equals(first)) {
        holder.destroyForcibly();
        throw new LabException("could not set up podman's mount namespace on " + node.name() + " (it said " + first
            + "); see " + node.logFile());
      }
    } catch (IOException e) {
      holder.destroyForcibly();
      throw new LabException("could not set up podman's mount namespace on " + node.name() + ": " + e.getMessage(), e);
    }
    return new Podman(node, dir, rootfs, "/" + topology.containerCgroup(), holder);
  }

  private static String weftConflist(Path socket) {
    // docker/10-weft.conflist with this node's socket.
    return "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"plugins\":["
        + "{\"type\":\"weft\",\"apiSocket\":\"" + socket + "\"},"
        + "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}\n";
  }

  private static String containersConf(Path dir, Path runc, WeftDist dist) {
    return "[containers]\n"
        // podman's default nofile ulimit is above what this machine's sandbox may raise: runc fails every
        // start with "error setting rlimit type 7: operation not permitted".
        + "default_ulimits = []\n"
        // Only the containers get cgroups, under the lab's parent; conmon's would be /libpod_parent/conmon,
        // outside it, and stays in the caller's instead.
        + "cgroups = \"no-conmon\"\n"
        + "[network]\n"
        + "network_backend = \"cni\"\n"
        // Weft's plugin first; portmap (chained after it) from Debian's reference plugins.
        + "cni_plugin_dirs = [\"" + dist.bin() + "\", \"" + REFERENCE_PLUGINS + "\"]\n"
        + "network_config_dir = \"" + dir.resolve("net.d") + "\"\n"
        + "default_network = \"weft\"\n"
        + "[engine]\n"
        // runc, not crun (which podman prefers where both are installed): crun refused this machine's hybrid
        // cgroup layout (v1 controllers and a v2 mount) when issue #16 was measured.
        + "runtime = \"" + runc + "\"\n"
        + "cgroup_manager = \"cgroupfs\"\n"
        + "tmp_dir = \"" + dir.resolve("tmp") + "\"\n"
        + "events_logger = \"none\"\n";
  }

  /** A directory with busybox and a link per applet, unless it is there already (one per lab, for every container). */
  private static synchronized void makeRootfs(Path rootfs) throws IOException {
    if (Files.exists(rootfs.resolve("bin/busybox"))) {
      return;
    }
    Path bin = Files.createDirectories(rootfs.resolve("bin"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.createDirectories(rootfs.resolve("tmp"));
    Files.copy(BUSYBOX, bin.resolve("busybox"));
    for (String applet : Command.of(BUSYBOX.toString(), "--list").run().check().stdout().split("\n")) {
      if (!applet.isBlank() && !applet.equals("busybox")) {
        Files.createSymbolicLink(bin.resolve(applet.strip()), Path.of("busybox"));
      }
    }
  }

  public LabNode node() {
    return node;
  }

  /** Where this node's CNI network configs are: {@code 10-weft.conflist}, and any a caller adds. */
  public Path networkConfigDir() {
    return dir.resolve("net.d");
  }

  /** libcni's cache ({@code /var/lib/cni} inside the node): a {@code results/} file per attachment. */
  public Path cniCache() {
    return dir.resolve("varlib/upper/cni");
  }

  /** Where podman mounts its containers' network namespaces ({@code /run/netns} inside the node). */
  public Path netnsDir() {
    return dir.resolve("netns");
  }

  /** runc's state: a directory per container while it exists. */
  public Path runtimeStateDir() {
    return dir.resolve("runc-state");
  }

  /** The argv that runs {@code command} in this node's network and mount namespaces, where podman runs. */
  public List<String> exec(List<String> command) {
    if (!holder.isAlive()) {
      throw new LabException("podman's mount namespace on " + node.name() + " is gone");
    }
    String ns = "/proc/" + holder.pid() + "/ns/";
    List<String> argv = new ArrayList<>(List.of("nsenter", "--mount=" + ns + "mnt", "--net=" + ns + "net"));
    argv.addAll(command);
    return argv;
  }

  /** {@code podman ARGS} on this node. */
  public Command.Result podman(String... args) {
    List<String> command = new ArrayList<>(List.of("podman"));
    command.addAll(List.of(args));
    return Command.of(exec(command))
        .withEnv(Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString(),
            "CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString()))
        .run();
  }

  /**
   * {@code podman run -d OPTIONS COMMAND} from the busybox directory, in the lab's cgroup parent; the
   * container id is the result's stdout.
   */
  public Command.Result run(List<String> options, String... command) {
    List<String> args = new ArrayList<>(List.of("run", "-d", "--cgroup-parent", cgroupParent));
    args.addAll(options);
    args.add("--rootfs");
    args.add(rootfs.toString());
    args.addAll(List.of(command));
    return podman(args.toArray(String[]::new));
  }

  /** The container's address on network {@code network}, as podman reports it ({@code podman inspect}). */
  public String ip(String container, String network) {
    return podman("inspect", "--format", "{{(index .NetworkSettings.Networks \"" + network + "\").IPAddress}}", container)
        .check().stdout().strip();
  }

  /** Kills the process holding the mount namespace; the namespace goes with its last process. */
  void stop() {
    holder.destroyForcibly();
  }

  @Override
  public String toString() {
    return "podman on " + node.name();
  }
}
