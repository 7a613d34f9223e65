package io.weft.agent.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allocations on disk, one file per address: {@code <state-dir>/ipam/10.244.1.0_24/10.244.1.5} holding the
 * attachment as JSON. The file name is the address, so two owners of one address cannot exist on disk.
 *
 * <p>Crash safety: a file is written under a temporary name, forced to disk, renamed into place and the
 * directory forced, so after a crash it is either there whole or not at all. An allocation is saved before
 * any kernel change of its ADD, so a kill -9 mid-ADD leaves at most an allocation whose attachment is not
 * complete; the runtime's DEL (or a GC) releases it. Deletes are not forced: one that a crash undoes comes
 * back as such a reclaimable allocation, never as a duplicate.
 */
final class AllocationStore {
  private static final Logger log = LoggerFactory.getLogger(AllocationStore.class);
  static final String CURSOR_FILE = "last_reserved";
  private static final String TMP_SUFFIX = ".tmp";

  private final Path dir;
  private final Cidr subnet;
  private final ObjectMapper json = new ObjectMapper();

  AllocationStore(Path stateDir, Cidr subnet) throws IOException {
    this.subnet = subnet;
    this.dir = stateDir.resolve("ipam").resolve(subnet.toString().replace('/', '_'));
    Files.createDirectories(dir);
  }

  Path directory() {
    return dir;
  }

  /** Every allocation on disk; leftovers of an interrupted write are removed, unreadable files set aside. */
  List<Allocation> load() throws IOException {
    List<Allocation> out = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(TMP_SUFFIX)) {
          Files.deleteIfExists(f);
        } else if (!name.equals(CURSOR_FILE) && !name.endsWith(".bad")) {
          try {
            out.add(read(f));
          } catch (IOException | RuntimeException e) {
            Path aside = f.resolveSibling(name + ".bad");
            log.warn("IPAM: unreadable allocation {} ({}); moved to {} and its address freed", f, e.getMessage(), aside);
            Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
    return out;
  }

  private Allocation read(Path f) throws IOException {
    InetAddress address = IpAddresses.parse(f.getFileName().toString());
    if (!subnet.contains(address)) {
      throw new IOException(address.getHostAddress() + " is outside " + subnet);
    }
    JsonNode n = json.readTree(Files.readAllBytes(f));
    if (n == null || !n.path("containerId").isTextual() || !n.path("ifname").isTextual()) {
      throw new IOException("missing containerId or ifname");
    }
    Instant since = n.path("since").isTextual() ? Instant.parse(n.path("since").asText()) : Instant.EPOCH;
    return new Allocation(n.path("containerId").asText(), n.path("ifname").asText(), address,
        n.path("pod").asText(""), since);
  }

  /** Writes the allocation durably (see the class comment). */
  void save(Allocation a) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("containerId", a.containerId());
    m.put("ifname", a.ifname());
    m.put("pod", a.pod());
    m.put("since", a.since().toString());
    writeAtomically(a.address().getHostAddress(), json.writeValueAsBytes(m), true);
  }

  void delete(Allocation a) throws IOException {
    Files.deleteIfExists(dir.resolve(a.address().getHostAddress()));
  }

  /** The offset of the last address handed out, or 1 (so the search starts at .2) when unknown. */
  long loadCursor() {
    try {
      return Long.parseLong(Files.readString(dir.resolve(CURSOR_FILE)).trim());
    } catch (IOException | NumberFormatException e) {
      return 1;
    }
  }

  /** Not forced: losing it in a crash only makes the round-robin restart earlier. */
  void saveCursor(long offset) throws IOException {
    writeAtomically(CURSOR_FILE, Long.toString(offset).getBytes(StandardCharsets.US_ASCII), false);
  }

  private void writeAtomically(String name, byte[] content, boolean durable) throws IOException {
    Path tmp = dir.resolve(name + TMP_SUFFIX);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(content);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      if (durable) {
        ch.force(true);
      }
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    if (durable) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    }
  }
}
