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
 *
 * <p>A file that cannot be read (truncated or garbled by a disk fault or a hand edit) stays where it is and
 * its address stays taken, owner unknown: freeing it would hand a live pod's address to the next pod.
 */
final class AllocationStore {
  private static final Logger log = LoggerFactory.getLogger(AllocationStore.class);
  static final String CURSOR_FILE = "last_reserved";
  /** Written and removed by {@link #checkWritable}; a crash may leave it behind. */
  private static final String CHECK_FILE = "write-check";
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

  /** What is on disk: readable allocations, and addresses whose file cannot be read. */
  record Loaded(List<Allocation> allocations, List<UnknownOwner> unknownOwners) {}

  /**
   * Every allocation on disk; leftovers of an interrupted write are removed. Files named like an address
   * of the subnet whose content cannot be read are {@link UnknownOwner}s, left in place. ({@code .bad}
   * files are what earlier versions set aside; their address may have been handed out since.)
   */
  Loaded load() throws IOException {
    List<Allocation> allocations = new ArrayList<>();
    List<UnknownOwner> unknown = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(TMP_SUFFIX)) {
          Files.deleteIfExists(f);
          continue;
        }
        if (name.equals(CURSOR_FILE) || name.equals(CHECK_FILE) || name.endsWith(".bad")) {
          continue;
        }
        InetAddress address;
        try {
          address = IpAddresses.parse(name);
        } catch (IllegalArgumentException e) {
          log.warn("IPAM: ignoring {}: not an allocation (its name is not an address)", f);
          continue;
        }
        if (!subnet.contains(address)) {
          log.warn("IPAM: ignoring {}: {} is outside {}", f, name, subnet);
          continue;
        }
        try {
          allocations.add(read(f, address));
        } catch (IOException | RuntimeException e) {
          // Jackson's messages go on with a source location on a second line: the first says what is wrong.
          String problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
          log.warn("IPAM: allocation file {} is unreadable ({}); {} stays reserved, owner unknown, until a DEL names it"
              + " or no pod on this node can hold it", f, problem, name);
          unknown.add(new UnknownOwner(address, "unreadable allocation file " + f + ": " + problem));
        }
      }
    }
    return new Loaded(allocations, unknown);
  }

  private Allocation read(Path f, InetAddress address) throws IOException {
    JsonNode n = json.readTree(Files.readAllBytes(f));
    if (n == null || !n.path("containerId").isTextual() || !n.path("ifname").isTextual()) {
      throw new IOException("missing containerId or ifname");
    }
    Instant since = n.path("since").isTextual() ? Instant.parse(n.path("since").asText()) : Instant.EPOCH;
    return new Allocation(n.path("containerId").asText(), n.path("ifname").asText(), address,
        n.path("pod").asText(""), n.path("netns").asText(""), since);
  }

  /** Writes the allocation durably (see the class comment). */
  void save(Allocation a) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("containerId", a.containerId());
    m.put("ifname", a.ifname());
    m.put("pod", a.pod());
    m.put("netns", a.netns());
    m.put("since", a.since().toString());
    writeAtomically(a.address().getHostAddress(), json.writeValueAsBytes(m), true);
  }

  void delete(Allocation a) throws IOException {
    delete(a.address());
  }

  void delete(InetAddress address) throws IOException {
    Files.deleteIfExists(dir.resolve(address.getHostAddress()));
  }

  /**
   * Writes, forces and removes a small file, as {@link #save} would: fails the way the next ADD would on a
   * read-only or full file system, without waiting for that ADD.
   */
  void checkWritable() throws IOException {
    writeAtomically(CHECK_FILE, "write check\n".getBytes(StandardCharsets.US_ASCII), true);
    Files.deleteIfExists(dir.resolve(CHECK_FILE));
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
