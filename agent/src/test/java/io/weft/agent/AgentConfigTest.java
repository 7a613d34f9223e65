package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.agent.converge.TunnelSettings;
import io.weft.core.model.TunnelMode;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentConfigTest {
  static final Inet4Address NODE_IP = IpAddresses.parseV4("192.168.1.11");

  static final HostFacts HOST = new HostFacts() {
    @Override
    public String hostname() {
      return "node-a";
    }

    @Override
    public Set<Inet4Address> ipv4Addresses() {
      return Set.of(NODE_IP, IpAddresses.parseV4("127.0.0.1"));
    }

    @Override
    public Optional<Inet4Address> defaultRouteIpv4() {
      return Optional.of(NODE_IP);
    }
  };

  @TempDir
  Path tmp;

  AgentConfig config;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  /** Runs the command; without a secret given, as an open mesh (--insecure), which most tests here are about. */
  int run(Map<String, String> env, String... args) {
    List<String> given = List.of(args);
    boolean secretChosen = given.contains("--secret-file") || given.contains("--insecure")
        || env.containsKey("WEFT_SECRET_FILE") || env.containsKey("WEFT_INSECURE");
    return runExactly(env, secretChosen ? args : Stream.concat(Stream.of("--insecure"), given.stream()).toArray(String[]::new));
  }

  int runExactly(Map<String, String> env, String... args) {
    return AgentMain.run(args, env, HOST, c -> {
      config = c;
      return 0;
    }, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  int run(String... args) {
    return run(Map.of(), args);
  }

  @Test
  void defaultsFollowTheSpec() {
    assertEquals(0, run());
    assertEquals("node-a", config.nodeName());
    assertEquals(NODE_IP, config.nodeIp());
    assertEquals(List.of(), config.seeds());
    assertEquals(6783, config.port());
    assertEquals(Cidr.parse("10.244.0.0/16"), config.clusterCidr());
    assertEquals(Optional.empty(), config.podSubnet());
    assertEquals("v-net-0", config.bridge());
    assertEquals(Path.of("/var/lib/weft"), config.stateDir());
    assertEquals(Path.of("/run/weft/weft.sock"), config.apiSocket());
    assertEquals(new InetSocketAddress(IpAddresses.parse("127.0.0.1"), 6782), config.metricsAddress());
    assertTrue(config.secret().isEmpty());
    assertEquals(Duration.ofSeconds(120), config.peerGrace());
    assertEquals(Duration.ofHours(24), config.leaseTime());
    assertEquals(Optional.of(Path.of("/etc/iproute2/rt_protos.d")), config.rtProtosDir());
  }

  @Test
  void everyFlagIsRead() throws Exception {
    Path secret = secretFile("secret", GOOD_SECRET + "\n");
    assertEquals(0, run("--node-name", "n1", "--node-ip", "192.168.1.11", "--peer", "192.168.1.12",
        "--peer", "192.168.1.13:7000,192.168.1.14", "--port", "7783", "--cluster-cidr", "10.32.0.0/12",
        "--pod-subnet", "10.32.5.0/24", "--bridge", "br-weft", "--state-dir", tmp.toString(),
        "--api-socket", tmp.resolve("w.sock").toString(), "--metrics-address", "0.0.0.0:9100",
        "--secret-file", secret.toString(), "--peer-grace", "30s", "--lease-time", "2h", "--adopt-grace", "5s",
        "--resync-interval", "10s", "--rt-protos-dir", "none"));
    assertEquals("n1", config.nodeName());
    assertEquals(List.of(new InetSocketAddress("192.168.1.12", 7783), new InetSocketAddress("192.168.1.13", 7000),
        new InetSocketAddress("192.168.1.14", 7783)), config.seeds());
    assertEquals(Optional.of(Cidr.parse("10.32.5.0/24")), config.podSubnet());
    assertEquals(GOOD_SECRET, new String(config.secret().orElseThrow(), StandardCharsets.US_ASCII));
    assertEquals(Duration.ofSeconds(30), config.peerGrace());
    assertEquals(Duration.ofHours(2), config.leaseTime());
    assertEquals(Optional.empty(), config.rtProtosDir());
    assertTrue(!config.toString().contains(GOOD_SECRET.substring(0, 12)), "the secret is never printed");
  }

  @Test
  void environmentTwinsAreReadAndFlagsWin() {
    Map<String, String> env = new HashMap<>();
    env.put("WEFT_NODE_NAME", "from-env");
    env.put("WEFT_PEER", "192.168.1.12,192.168.1.13");
    env.put("WEFT_PEER_GRACE", "45s");
    env.put("WEFT_BRIDGE", "");
    assertEquals(0, run(env, "--node-name", "from-flag"));
    assertEquals("from-flag", config.nodeName());
    assertEquals(2, config.seeds().size());
    assertEquals(Duration.ofSeconds(45), config.peerGrace());
    assertEquals("v-net-0", config.bridge(), "an empty variable counts as unset");
  }

  @Test
  void emptyItemsOfAListAreSkippedAsBefore() {
    assertEquals(0, run(Map.of("WEFT_PEER", "192.168.1.12,", "WEFT_NO_MASQUERADE_CIDR", ",10.0.0.0/8"),
        "--peer", "192.168.1.13,,192.168.1.14"));
    assertEquals(List.of(new InetSocketAddress("192.168.1.13", 6783), new InetSocketAddress("192.168.1.14", 6783)),
        config.seeds());
    assertEquals(List.of(Cidr.parse("10.0.0.0/8")), config.noMasqueradeCidrs());
    assertEquals(0, run(Map.of("WEFT_PEER", "192.168.1.12, 192.168.1.13")));
    assertEquals(2, config.seeds().size(), "items may have spaces around them");
  }

  @Test
  void tunnelAndEgressDefaultsAndTheirEnvironmentTwins() {
    assertEquals(0, run());
    assertEquals(TunnelSettings.of(TunnelMode.AUTO, 87, 4789), config.tunnel());
    assertTrue(config.masquerade());
    assertEquals(List.of(), config.noMasqueradeCidrs());

    assertEquals(0, run(Map.of("WEFT_TUNNEL", "always", "WEFT_VXLAN_VNI", "4242", "WEFT_VXLAN_PORT", "8472",
        "WEFT_MASQUERADE", "false", "WEFT_NO_MASQUERADE_CIDR", "172.16.0.0/12,192.168.0.0/16")));
    assertEquals(TunnelSettings.of(TunnelMode.ALWAYS, 4242, 8472), config.tunnel());
    assertFalse(config.masquerade());
    assertEquals(List.of(Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16")), config.noMasqueradeCidrs());

    assertEquals(0, run(Map.of("WEFT_MASQUERADE", "false"), "--masquerade", "--tunnel", "never",
        "--no-masquerade-cidr", "10.0.0.0/8", "--no-masquerade-cidr", "172.16.0.0/12"));
    assertTrue(config.masquerade(), "a bare --masquerade means true, and the flag wins over its twin");
    assertEquals(TunnelMode.NEVER, config.tunnel().mode());
    assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12")), config.noMasqueradeCidrs());
    assertEquals(0, run("--masquerade=false"));
    assertFalse(config.masquerade());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--node-ip|10.9.9.9|--node-ip 10.9.9.9: not an address of this host",
      "--node-ip|not-an-ip|--node-ip not-an-ip: not an IPv4 address",
      "--node-ip|127.0.0.1|--node-ip 127.0.0.1: a loopback address",
      "--node-ip|169.254.1.1|--node-ip 169.254.1.1: a link-local address",
      "--node-ip|0.0.0.0|--node-ip 0.0.0.0: in 0.0.0.0/8",
      "--node-ip|224.0.0.1|--node-ip 224.0.0.1: a multicast or reserved",
      "--node-name|bad name!|--node-name bad name!: use a lowercase RFC 1123 name",
      "--node-name|Node-A|--node-name Node-A: use a lowercase RFC 1123 name",
      "--node-name|node_a|--node-name node_a: use a lowercase RFC 1123 name",
      "--peer-dns|bad name!|--peer-dns bad name!: not a DNS name",
      "--port|70000|--port 70000: not a port",
      "--port|x|--port x: not a port",
      "--cluster-cidr|10.244.0.0/25|--cluster-cidr 10.244.0.0/25: must be an IPv4 prefix",
      "--cluster-cidr|10.244.1.5/16|--cluster-cidr 10.244.1.5/16: '10.244.1.5/16' is not a CIDR: host bits set",
      "--pod-subnet|10.9.1.0/24|--pod-subnet 10.9.1.0/24: not inside --cluster-cidr 10.244.0.0/16",
      "--pod-subnet|10.244.0.0/23|--pod-subnet 10.244.0.0/23: must be a /24",
      "--bridge|this-name-is-far-too-long|--bridge this-name-is-far-too-long: not an interface name",
      "--metrics-address|localhost|--metrics-address localhost: use IP:PORT",
      "--metrics-address|127.0.0.1:99999|--metrics-address 127.0.0.1:99999: not a port",
      "--secret-file|/nonexistent/secret|--secret-file /nonexistent/secret: no such file",
      "--peer-grace|soon|--peer-grace soon: not a duration",
      "--lease-time|0s|--lease-time 0s: must be more than zero",
      "--peer|192.168.1.12:0|--peer 192.168.1.12:0: not a port",
      "--peer|no-such-host.invalid|--peer no-such-host.invalid: cannot resolve host",
      "--tunnel|sometimes|--tunnel sometimes: use auto, always or never",
      "--vxlan-vni|0|--vxlan-vni 0: not a VXLAN network identifier (1-16777215)",
      "--vxlan-vni|16777216|--vxlan-vni 16777216: not a VXLAN network identifier",
      "--vxlan-port|6783|--vxlan-port 6783: is the mesh port too (--port)",
      "--vxlan-port|0|--vxlan-port 0: not a port",
      "--masquerade|maybe|--masquerade maybe: use true or false",
      "--no-masquerade-cidr|10.1.2.3/8|--no-masquerade-cidr 10.1.2.3/8: not an IPv4 CIDR",
      "--no-masquerade-cidr|0.0.0.0/0|--no-masquerade-cidr 0.0.0.0/0: covers every destination; use --masquerade=false"})
  void everyBadValueIsRefusedWithExitTwoAndOneLine(String flag, String value, String expected) {
    assertEquals(2, run(flag, value));
    String text = err.toString();
    assertEquals(1, text.lines().count(), text);
    assertTrue(text.contains(expected), text);
    assertEquals(null, config, "the agent never started");
  }

  @Test
  void theHostnameIsAnnouncedLowercaseAsPeersAcceptIt() {
    HostFacts upper = new HostFacts() {
      @Override
      public String hostname() {
        return "MyHost_01.Example.COM.";
      }

      @Override
      public Set<Inet4Address> ipv4Addresses() {
        return HOST.ipv4Addresses();
      }

      @Override
      public Optional<Inet4Address> defaultRouteIpv4() {
        return HOST.defaultRouteIpv4();
      }
    };
    assertEquals(0, AgentMain.run(new String[] {"--insecure"}, Map.of(), upper, c -> {
      config = c;
      return 0;
    }, new PrintWriter(out, true), new PrintWriter(err, true)));
    assertEquals("myhost-01.example.com", config.hostname());
    assertEquals("myhost-01.example.com", config.nodeName());
    assertEquals("n", AgentCommand.normalizeHostname("-N-"));
  }

  @Test
  void peerDnsIsReadFromTheFlagOrItsTwin() {
    assertEquals(0, run(Map.of("WEFT_PEER_DNS", "weft-peers.weft.svc")));
    assertEquals("weft-peers.weft.svc", config.peerDns());
    assertEquals(0, run("--peer-dns", "weft-peers.weft.svc.cluster.local."));
    assertEquals("weft-peers.weft.svc.cluster.local.", config.peerDns());
    assertEquals(0, run());
    assertEquals(null, config.peerDns());
  }

  @Test
  void aBadEnvironmentValueNamesTheVariable() {
    assertEquals(2, run(Map.of("WEFT_POD_SUBNET", "10.9.1.0/24")));
    assertEquals("weft-agent: WEFT_POD_SUBNET 10.9.1.0/24: not inside --cluster-cidr 10.244.0.0/16\n", err.toString());
  }

  @Test
  void aValueItsTypeRefusesNamesTheFlagOrTheVariableItCameFrom() {
    assertEquals(2, run(Map.of("WEFT_PORT", "x")));
    assertEquals("weft-agent: WEFT_PORT x: not a port (1-65535)\n", err.toString());
    err.getBuffer().setLength(0);
    assertEquals(2, run(Map.of("WEFT_PORT", "7000"), "--port=99999"));
    assertEquals("weft-agent: --port 99999: not a port (1-65535)\n", err.toString(), "the flag wins, and is named");
    err.getBuffer().setLength(0);
    assertEquals(2, run("--peer", "192.168.1.12,192.168.1.13:0"));
    assertEquals("weft-agent: --peer 192.168.1.13:0: not a port (1-65535)\n", err.toString(), "the bad item of a list");
    err.getBuffer().setLength(0);
    assertEquals(2, run(Map.of("WEFT_RESYNC_INTERVAL", "0s")));
    assertEquals("weft-agent: WEFT_RESYNC_INTERVAL 0s: must be more than zero\n", err.toString());
  }

  /** docs/reference.md names each flag's twin by this rule (ReferenceTest); here every flag really reads it. */
  @Test
  void everyFlagReadsTheTwinTheReferenceNames() {
    CommandLine spec = new CommandLine(new AgentCommand(HOST, c -> 0));
    List<String> flags = spec.getCommandSpec().options().stream()
        .filter(o -> !o.usageHelp() && !o.versionHelp()).map(o -> o.longestName()).toList();
    assertTrue(flags.size() >= 22, flags.toString());
    for (String flag : flags) {
      String twin = "WEFT_" + flag.substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
      err.getBuffer().setLength(0);
      config = null;
      // No valid value of any flag (a seed's port 0 is refused before any name lookup): refused, naming the twin.
      assertEquals(2, run(Map.of(twin, flag.equals("--peer") ? "x:0" : "%\0bad")), flag + ": " + err);
      assertTrue(err.toString().startsWith("weft-agent: " + twin + " "), flag + ": " + err);
    }
  }

  @Test
  void aStartStepThatCannotUseAValueNamesTheFlag() {
    assertEquals("--state-dir /proc/weft: cannot create it: no such file or directory: /proc/weft",
        Agent.unusable("--state-dir", "/proc/weft", "cannot create it", new java.nio.file.NoSuchFileException("/proc/weft")).getMessage());
    assertEquals("--metrics-address 127.0.0.1:6782: cannot listen: Address already in use",
        Agent.unusable("--metrics-address", "127.0.0.1:6782", "cannot listen", new java.net.BindException("Address already in use")).getMessage());
  }

  /** {@code head -c 32 /dev/urandom | base64}, once. */
  static final String GOOD_SECRET = "q3JtU8m0cV1r2fH7Yk9wXo4ZbLpN6sEaTg5dQiC8uRw=";

  private Path secretFile(String name, String content) throws Exception {
    Path secret = tmp.resolve(name);
    Files.writeString(secret, content, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    return secret;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "abc|holds 3 bytes; a mesh secret needs at least 32 random bytes",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|is one character repeated 40 times",
      "passwordpasswordpasswordpassword|looks like low-entropy text",
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ|is a pattern",
      "0123456789abcdef0123456789abcdef|is a pattern"})
  void aWeakSecretIsRefusedWithHowToMakeOne(String content, String why) throws Exception {
    Path secret = secretFile("weak", content + "\n");
    assertEquals(2, run("--secret-file", secret.toString()));
    assertTrue(err.toString().contains(why), err.toString());
    assertTrue(err.toString().contains("head -c 32 /dev/urandom | base64"), err.toString());
    assertEquals(1, err.toString().lines().count(), err.toString());
  }

  @Test
  void aSecretReadableByGroupOrOthersIsRefused() throws Exception {
    Path secret = secretFile("open", GOOD_SECRET);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
    assertEquals(2, run("--secret-file", secret.toString()));
    assertTrue(err.toString().contains("is readable by group or others (rw-r-----); chmod 600 it"), err.toString());
  }

  @Test
  void noSecretAtAllNeedsAnExplicitInsecure() throws Exception {
    assertEquals(2, runExactly(Map.of()));
    assertTrue(err.toString().contains("no --secret-file: give every agent the same mesh secret"), err.toString());
    assertTrue(err.toString().contains("--insecure"), err.toString());
    assertEquals(null, config, "the agent never started");
    assertEquals(0, runExactly(Map.of("WEFT_INSECURE", "true")));
    assertTrue(config.secret().isEmpty());
    Path secret = secretFile("secret", GOOD_SECRET);
    assertEquals(2, runExactly(Map.of(), "--insecure", "--secret-file", secret.toString()));
    assertTrue(err.toString().contains("--insecure (or WEFT_INSECURE) and --secret-file"), err.toString());
  }

  @Test
  void anUnreadableSecretIsRefused() throws Exception {
    Path secret = tmp.resolve("locked");
    Files.writeString(secret, GOOD_SECRET);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    // root reads anything: only meaningful for a normal user.
    if (!Files.isReadable(secret)) {
      assertEquals(2, run("--secret-file", secret.toString()));
      assertTrue(err.toString().contains("not readable"), err.toString());
    }
  }

  @Test
  void anUnknownFlagIsAUsageErrorWithExitTwo() {
    assertEquals(2, run("--frobnicate"));
    assertEquals(1, err.toString().lines().count());
    assertTrue(err.toString().contains("Unknown option: '--frobnicate'"), err.toString());
  }

  @Test
  void theNodeIpDefaultsToTheDefaultRouteInterfaceOrFailsClearly() {
    HostFacts noDefault = new HostFacts() {
      @Override
      public String hostname() {
        return "node-a";
      }

      @Override
      public Set<Inet4Address> ipv4Addresses() {
        return Set.of();
      }

      @Override
      public Optional<Inet4Address> defaultRouteIpv4() {
        return Optional.empty();
      }
    };
    int code = AgentMain.run(new String[0], Map.of(), noDefault, c -> 0, new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(2, code);
    assertTrue(err.toString().contains("--node-ip: not given and no interface holds a default route"), err.toString());
  }

  @Test
  void helpTeachesWithExamplesAndVersionPrints() {
    assertEquals(0, run("--help"));
    String help = out.toString();
    assertTrue(help.contains("Examples:"), help);
    assertTrue(help.contains("--peer 192.168.1.11"), help);
    assertTrue(help.contains("WEFT_NODE_IP"), help);
    assertTrue(help.contains("cleanup"), help);
    out.getBuffer().setLength(0);
    assertEquals(0, run("--version"));
    assertTrue(out.toString().startsWith("weft-agent "), out.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("cleanup", "--help"));
    assertTrue(out.toString().contains("protocol 87"), out.toString());
  }

  @Test
  void durationsParseAndFormat() {
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofDays(7), Durations.parse("7d"));
    assertEquals(Duration.ofSeconds(90), Durations.parse("PT90S"));
    assertEquals("2m", Durations.format(Duration.ofMinutes(2)));
    assertEquals("1m30s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("1d", Durations.format(Duration.ofHours(24)));
    assertEquals("2h30m", Durations.format(Duration.ofMinutes(150)));
    assertNotNull(EnvDefaults.envName("--node-ip"));
    assertEquals("WEFT_NODE_IP", EnvDefaults.envName("--node-ip"));
  }
}
