package io.weft.gossip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.gossip.trust.AtomicFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The mesh's files in the state dir: {@code mesh-lease.json} (this node's subnet, when it was first
 * claimed, and the last incarnation) and {@code mesh-peers.json} (mesh addresses seen, tried on
 * restart when every seed is down). Every write is atomic: temp file, fsync, rename, fsync of the dir.
 */
final class StateStore {
  static final String LEASE_FILE = "mesh-lease.json";
  static final String PEERS_FILE = "mesh-peers.json";
  private static final int MAX_PEERS = 64;

  /** What the node held last time. */
  record Lease(String node, Optional<Cidr> subnet, SubnetSource source, long claimedAtMillis, long incarnation) {}

  private final Path dir;
  private final ObjectMapper mapper = new ObjectMapper();

  StateStore(Path dir) {
    this.dir = dir;
  }

  /** The lease file exists but cannot be read (truncated, garbled): the message names it and why. */
  static final class UnreadableLeaseException extends IOException {
    private static final long serialVersionUID = 1L;

    UnreadableLeaseException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The lease, empty when there is no file. */
  Optional<Lease> readLease() throws UnreadableLeaseException {
    Path file = dir.resolve(LEASE_FILE);
    try {
      JsonNode n = mapper.readTree(Files.readAllBytes(file));
      String subnet = n.path("subnet").asText("");
      return Optional.of(new Lease(n.path("node").asText(""),
          subnet.isEmpty() ? Optional.empty() : Optional.of(Cidr.parse(subnet)),
          SubnetSource.valueOf(n.path("source").asText("allocated").toUpperCase(Locale.ROOT)),
          n.path("claimedAtMillis").asLong(0), n.path("incarnation").asLong(0)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      throw new UnreadableLeaseException("could not read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Moves an unreadable lease file aside ({@code mesh-lease.json.bad}), for a person to look at; returns where. */
  Path setLeaseAside() {
    Path file = dir.resolve(LEASE_FILE);
    Path aside = dir.resolve(LEASE_FILE + ".bad");
    try {
      Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("could not move " + file + " aside: " + e.getMessage(), e);
    }
    return aside;
  }

  void writeLease(Lease lease) {
    ObjectNode n = mapper.createObjectNode();
    n.put("node", lease.node());
    n.put("subnet", lease.subnet().map(Cidr::toString).orElse(""));
    n.put("source", lease.source().name().toLowerCase(Locale.ROOT));
    n.put("claimedAtMillis", lease.claimedAtMillis());
    n.put("incarnation", lease.incarnation());
    write(LEASE_FILE, n);
  }

  List<InetSocketAddress> readPeers() {
    Path file = dir.resolve(PEERS_FILE);
    List<InetSocketAddress> peers = new ArrayList<>();
    try {
      for (JsonNode p : mapper.readTree(Files.readAllBytes(file))) {
        String text = p.asText();
        int colon = text.lastIndexOf(':');
        peers.add(new InetSocketAddress(IpAddresses.parse(text.substring(0, colon)),
            Integer.parseInt(text.substring(colon + 1))));
      }
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException | RuntimeException e) {
      // Only a hint for rejoining: a damaged file costs nothing but that hint.
      return List.of();
    }
    return peers;
  }

  void writePeers(Collection<InetSocketAddress> peers) {
    ArrayNode a = mapper.createArrayNode();
    peers.stream().limit(MAX_PEERS)
        .forEach(p -> a.add(p.getAddress().getHostAddress() + ":" + p.getPort()));
    write(PEERS_FILE, a);
  }

  private void write(String name, JsonNode content) {
    Path target = dir.resolve(name);
    try {
      AtomicFile.write(target, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write " + target + ": " + e.getMessage(), e);
    }
  }
}
