package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogConfiguratorTest {

  @Test
  void logbackIsConfiguredInCodeWithQuietLibraries() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertNotNull(root.getAppender("STDERR"), "the service-loaded configurator ran");
    assertEquals(Level.WARN, context.getLogger("org.jgroups").getLevel());
    assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());
  }

  @Test
  void theLevelComesFromTextAndATypoIsInfo() {
    assertEquals(Level.DEBUG, LogConfigurator.level("debug"));
    assertEquals(Level.WARN, LogConfigurator.level(" WARN "));
    assertEquals(Level.INFO, LogConfigurator.level("verbose"));
    assertEquals(Level.INFO, LogConfigurator.level(null));
    assertEquals(Level.INFO, LogConfigurator.level(""));
  }
}
