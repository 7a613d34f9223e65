package io.weft.agent;

import io.weft.core.model.Route;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Names protocol 87 {@code weft} for {@code ip route} ({@code rt_protos.d/weft.conf}) when iproute2's config exists. */
public final class RtProtos {
  private static final Logger log = LoggerFactory.getLogger(RtProtos.class);
  static final String CONTENT = Route.PROTOCOL_WEFT + "\tweft\n";

  private RtProtos() {}

  /**
   * Writes {@code dir/weft.conf} if {@code dir}'s parent (e.g. {@code /etc/iproute2}) exists. A failure is
   * only a warning: routes work without the name.
   *
   * @return the file written or already right, if any
   */
  public static Optional<Path> install(Optional<Path> dir) {
    if (dir.isEmpty() || dir.get().getParent() == null || !Files.isDirectory(dir.get().getParent())) {
      return Optional.empty();
    }
    Optional<Path> already = writtenByWeft(dir.get());
    if (already.isPresent()) {
      return already;
    }
    Path file = dir.get().resolve("weft.conf");
    try {
      Files.createDirectories(dir.get());
      Files.writeString(file, CONTENT, StandardCharsets.UTF_8);
      log.info("installed {} so `ip route` shows protocol {} as weft", file, Route.PROTOCOL_WEFT);
      return Optional.of(file);
    } catch (IOException e) {
      log.warn("could not write {}: {}; `ip route` will show proto {} instead of proto weft", file, e.toString(),
          Route.PROTOCOL_WEFT);
      return Optional.empty();
    }
  }

  /**
   * {@code dir/weft.conf} if it is the file {@link #install} writes, for {@code weft-agent cleanup} to
   * remove; a file of that name with other content belongs to someone else and is left alone.
   */
  public static Optional<Path> writtenByWeft(Path dir) {
    Path file = dir.resolve("weft.conf");
    try {
      return Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(CONTENT)
          ? Optional.of(file) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
