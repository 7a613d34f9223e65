package io.weft.docker;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a POSIX sh script or a program the way a node would: a given environment, output captured. */
final class Shell {
  private static final long TIMEOUT_SECONDS = 60;

  /** Exit status and the two output streams of one run. */
  record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  private Shell() {}

  /** {@code /bin/sh script args...} with the current environment plus {@code env}. */
  static Result sh(Path script, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of("/bin/sh", script.toString()));
    command.addAll(List.of(args));
    return run(command, env, false, null);
  }

  /** Runs {@code command} with exactly {@code env} (nothing inherited) and {@code stdin} as its input. */
  static Result runClean(List<String> command, Map<String, String> env, String stdin) {
    return run(command, env, true, stdin);
  }

  private static Result run(List<String> command, Map<String, String> env, boolean clean, String stdin) {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (clean) {
      builder.environment().clear();
    }
    builder.environment().putAll(env);
    Path err = null;
    try {
      // stderr to a file: reading one pipe while the other fills up could block the child.
      err = Files.createTempFile("wpk-stderr", ".txt");
      builder.redirectError(err.toFile());
      if (stdin == null) {
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      }
      Process process = builder.start();
      if (stdin != null) {
        try (OutputStream in = process.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(err));
    } catch (IOException e) {
      throw new AssertionError("could not run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    } finally {
      if (err != null) {
        try {
          Files.deleteIfExists(err);
        } catch (IOException e) {
          // A leftover temp file is harmless; the run's own result matters more.
        }
      }
    }
  }
}
