package io.weft.lab;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One external command run to completion with a timeout: argv, optional stdin and environment.
 * Output is captured; {@link Result#check} turns a non-zero exit into a {@link LabException}
 * that names the command and quotes its stderr.
 */
public record Command(List<String> argv, Map<String, String> env, byte[] stdin, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  public Command {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    stdin = stdin == null ? new byte[0] : stdin.clone();
  }

  public static Command of(String... argv) {
    return new Command(List.of(argv), Map.of(), null, DEFAULT_TIMEOUT);
  }

  public static Command of(List<String> argv) {
    return new Command(argv, Map.of(), null, DEFAULT_TIMEOUT);
  }

  public Command withEnv(Map<String, String> extra) {
    return new Command(argv, extra, stdin, timeout);
  }

  public Command withStdin(String text) {
    return new Command(argv, env, text.getBytes(StandardCharsets.UTF_8), timeout);
  }

  public Command withTimeout(Duration limit) {
    return new Command(argv, env, stdin, limit);
  }

  /** What a command left behind. */
  public record Result(List<String> argv, int exit, String stdout, String stderr) {
    public boolean ok() {
      return exit == 0;
    }

    /** Returns this result when the command succeeded, else throws naming the command. */
    public Result check() {
      if (exit != 0) {
        throw new LabException(
            "command failed (exit " + exit + "): " + String.join(" ", argv) + ": " + reason());
      }
      return this;
    }

    private String reason() {
      String text = stderr.isBlank() ? stdout : stderr;
      return text.strip().isEmpty() ? "(no output)" : text.strip();
    }
  }

  /** Runs the command and waits for it; never throws for a non-zero exit (see {@link Result#check}). */
  public Result run() {
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new LabException("could not start " + String.join(" ", argv) + ": " + e.getMessage(), e);
    }
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    try (var in = process.getOutputStream()) {
      in.write(stdin);
    } catch (IOException e) {
      // The command may exit without reading its stdin; its exit status tells the story.
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new LabException(
            "command timed out after " + timeout.toSeconds() + "s: " + String.join(" ", argv));
      }
      return new Result(argv, process.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new LabException("interrupted while running " + String.join(" ", argv), e);
    }
  }

  // A plain thread per stream: the common pool has one worker on a 2-core machine, and many
  // commands run in parallel (one per node), so pooled draining would serialise them.
  private static CompletableFuture<String> drain(InputStream stream) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                text.completeExceptionally(new UncheckedIOException(e));
              }
            },
            "lab-drain");
    reader.setDaemon(true);
    reader.start();
    return text;
  }
}
