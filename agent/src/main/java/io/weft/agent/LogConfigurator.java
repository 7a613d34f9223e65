package io.weft.agent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Logging set up in code (found by logback through {@code META-INF/services}): one line per event on
 * stderr (journald and {@code kubectl logs} add their own timestamps; ours is for plain runs), JGroups
 * and Netty at WARN. Level: {@code -Dweft.log.level}, else {@code WEFT_LOG_LEVEL}, else INFO.
 *
 * <p>Why not logback.xml: parsing it loads logback's XML configurator and the JDK's XML parser, about 370
 * classes the daemon keeps in metaspace for its whole life; measured in the notes (agent RSS). An
 * explicit {@code -Dlogback.configurationFile=FILE} still wins.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level(System.getProperty("weft.log.level", System.getenv("WEFT_LOG_LEVEL"))));
    root.addAppender(stderr);
    context.getLogger("org.jgroups").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** An unknown or empty level is INFO (a typo must not silence the agent). */
  static Level level(String text) {
    return text == null || text.isBlank() ? Level.INFO : Level.toLevel(text.trim(), Level.INFO);
  }
}
