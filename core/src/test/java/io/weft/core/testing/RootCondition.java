package io.weft.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Enables {@link RequiresRoot} tests only where they can really run, and says why otherwise. */
public final class RootCondition implements ExecutionCondition {
  private static final String HOW = " (run `mvn verify` as root on Linux, as CI does)";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return ConditionEvaluationResult.disabled("needs Linux network namespaces" + HOW);
    }
    if (!isRoot()) {
      return ConditionEvaluationResult.disabled("needs root to create network namespaces" + HOW);
    }
    if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))
        && !Files.isExecutable(Path.of("/usr/bin/ip"))) {
      return ConditionEvaluationResult.disabled("needs iproute2's `ip` to check the kernel" + HOW);
    }
    return ConditionEvaluationResult.enabled("running as root with iproute2");
  }

  private static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      return p.waitFor(5, TimeUnit.SECONDS) && "0".equals(out);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
