package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.egress.EgressPlan;
import io.weft.dataplane.netfilter.IptablesRules;
import io.weft.unixhttp.UnixHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/meshctl puts only weft-meshctl.jar, weft-unix-http.jar, weft-dataplane.jar, weft-core.jar and Jackson on
 * the classpath:
 * every command must run in a class loader that has nothing else (no picocli, logback, netty, JGroups, jnr),
 * doctor without an agent too (it then reads the packet filter itself).
 */
class MeshctlClasspathTest {
  @TempDir
  Path tmp;

  static URL where(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation();
  }

  @Test
  void everyCommandRunsWithOnlyItsOwnJarsAndJackson() throws Exception {
    URL[] urls = {where(Meshctl.class), where(MeshctlClasspathTest.class), where(UnixHttpClient.class), where(IptablesRules.class),
        where(EgressPlan.class), where(ObjectMapper.class), where(JsonFactory.class), where(JsonProperty.class)};
    try (URLClassLoader isolated = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
      Class<?> fakeClass = isolated.loadClass(FakeAgent.class.getName());
      Constructor<?> fakeCtor = fakeClass.getDeclaredConstructor(Path.class);
      fakeCtor.setAccessible(true);
      Path socket = tmp.resolve("weft.sock");
      Object fake = fakeCtor.newInstance(socket);
      Method answer = fakeClass.getDeclaredMethod("answer", String.class, int.class, String.class);
      answer.setAccessible(true);
      answer.invoke(fake, "GET /v1/status", 200, MeshctlTest.HEALTHY);
      answer.invoke(fake, "GET /v1/peers", 200, "{\"peers\":[]}");
      answer.invoke(fake, "GET /v1/routes", 200, "{\"routes\":[]}");
      answer.invoke(fake, "GET /v1/ipam", 200, "{\"subnet\":\"10.244.1.0/24\",\"allocations\":[]}");
      answer.invoke(fake, "POST /v1/forget", 200, "{\"forgotten\":\"x\"}");

      Class<?> meshctlClass = isolated.loadClass(Meshctl.class.getName());
      Constructor<?> ctor = meshctlClass.getDeclaredConstructor(PrintStream.class, PrintStream.class, long.class, Path.class);
      ctor.setAccessible(true);
      Method run = meshctlClass.getDeclaredMethod("run", String[].class, String.class);
      run.setAccessible(true);
      PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true);
      Object meshctl = ctor.newInstance(sink, sink, System.currentTimeMillis(), tmp);
      String s = socket.toString();
      assertEquals(0, run.invoke(meshctl, new String[] {"status", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"status", "-o", "json", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"status", "peers", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"status", "routes", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"status", "ipam", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"forget", "x", "--socket", s}, null));
      assertEquals(0, run.invoke(meshctl, new String[] {"--help"}, null));
      assertEquals(3, run.invoke(meshctl, new String[] {"status", "--socket", tmp.resolve("none.sock").toString()}, null));
      // No agent: the agent check fails (exit 1), and the forwarding check reads iptables-save here (read only).
      assertEquals(1, run.invoke(meshctl, new String[] {"doctor", "--socket", tmp.resolve("none.sock").toString()}, null));
      ((AutoCloseable) fake).close();
    }
  }
}
