package io.weft.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.cleanup.CleanupCommand;
import io.weft.core.net.Cidr;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.gossip.JGroupsMesh;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * Entry point of {@code weft-agent}. Exit codes: 0 clean stop (SIGTERM/SIGINT: leave the mesh, keep the
 * routes), 2 bad configuration (one line saying which value and why), 1 anything else.
 */
public final class AgentMain {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_CONFIG = 2;

  private AgentMain() {}

  public static void main(String[] args) {
    StartupTimeline timeline = StartupTimeline.sinceProcessStart();
    timeline.mark("main");
    if (!asksForHelpOrVersion(args)) {
      // jnr-ffi generates the netlink binding's native stubs at first use (about 200 ms of class
      // generation): done on a helper thread while picocli parses, since validating needs netlink next.
      Thread init = new Thread(() -> NetlinkDataplane.current().close(), "weft-netlink-init");
      init.setDaemon(true);
      init.setUncaughtExceptionHandler((t, e) -> { /* the main thread opens netlink again and reports it */ });
      init.start();
      // Likewise, on the other core while the configuration is read and in the order the main thread needs
      // them: the IP address library (its first parse, about 15 ms, would otherwise be the default
      // --cluster-cidr's), logback, Jackson (its first mapper formats dates: 20-30 ms of locale data, which
      // the node key and subnet lease files otherwise pay on the main thread) and a first JGroups stack build
      // (100-300 ms cold, about 10 ms for the join's own build after it).
      Thread warm = new Thread(() -> {
        Cidr.parse(AgentCommand.DEFAULT_CLUSTER_CIDR);
        LoggerFactory.getILoggerFactory();
        new ObjectMapper();
        try {
          JGroupsMesh.warmUp();
        } catch (Exception e) {
          // only a head start: the join builds its own stack and reports what fails there
        }
      }, "weft-warm-up");
      warm.setDaemon(true);
      warm.setUncaughtExceptionHandler((t, e) -> { /* only a head start: the join loads what it needs */ });
      warm.start();
    }
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, System.getenv(), new NetlinkHostFacts(NetlinkDataplane::current),
        config -> runUntilSignalled(config, timeline), out, err));
  }

  /** {@code --help} and {@code --version} must not touch netlink (they run anywhere, e.g. in a build). */
  static boolean asksForHelpOrVersion(String[] args) {
    for (String arg : args) {
      if (arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version")) {
        return true;
      }
    }
    return false;
  }

  /** Parses and validates, then runs; every path ends in an exit code. */
  static int run(String[] args, Map<String, String> env, HostFacts host, AgentCommand.Runner runner,
      PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new AgentCommand(host, runner));
    cmd.addSubcommand("cleanup", new CleanupCommand(NetlinkDataplane::current));
    EnvDefaults twins = new EnvDefaults(env);
    cmd.setDefaultValueProvider(twins);
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler((e, argv) -> {
      if (e.getCause() instanceof TypeConversionException bad && e.getArgSpec() instanceof OptionSpec option) {
        // A value one of FlagTypes refused: said like every other bad value, naming where it came from.
        String flag = option.longestName();
        String source = givenOnCommandLine(argv, option) ? flag : twins.sourceOf(flag);
        err.println(e.getCommandLine().getCommandName() + ": " + source + " " + e.getValue() + ": " + bad.getMessage());
      } else {
        err.println(e.getCommandLine().getCommandName() + ": " + e.getMessage() + " (see --help)");
      }
      return EXIT_CONFIG;
    });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      if (e instanceof ConfigException) {
        err.println("weft-agent: " + e.getMessage());
        return EXIT_CONFIG;
      }
      err.println("weft-agent: " + e.getMessage());
      LoggerFactory.getLogger(AgentMain.class).debug("failure", e);
      return EXIT_FAILED;
    });
    return cmd.execute(args);
  }

  private static boolean givenOnCommandLine(String[] argv, OptionSpec option) {
    for (String arg : argv) {
      for (String name : option.names()) {
        if (arg.equals(name) || arg.startsWith(name + "=")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Starts the agent and blocks until the JVM is asked to stop (SIGTERM, SIGINT) or the agent fails; the
   * shutdown hook stops the agent (leave the mesh, keep the routes) and ends the process with 0 after a
   * signal, 1 after a failure.
   */
  static int runUntilSignalled(AgentConfig config, StartupTimeline timeline) throws Exception {
    timeline.mark("config");
    Logger log = LoggerFactory.getLogger(AgentMain.class);
    AtomicInteger exitCode = new AtomicInteger(EXIT_OK);
    CountDownLatch failed = new CountDownLatch(1);
    Agent agent = Agent.start(config, timeline, error -> {
      exitCode.set(EXIT_FAILED);
      failed.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping: leaving the mesh; the routes stay in the kernel (peers keep theirs to this node for their peer grace)");
      agent.close();
      log.info("stopped");
      // The JVM would report a signal as 128+signal; a clean stop is exit code 0 (SPEC.md).
      Runtime.getRuntime().halt(exitCode.get());
    }, "weft-shutdown"));
    failed.await();
    return exitCode.get();
  }
}
