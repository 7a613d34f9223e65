package io.weft.gossip.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mesh-keys.json} in the state dir: the node-name → key bindings this node has made, and the
 * conflicts it has refused since it started. Thread-safe: handshakes on several threads admit peers;
 * one lock guards the bindings, the conflicts and the file, and is held across nothing else.
 */
public final class KeyBindingStore {
  public static final String FILE = "mesh-keys.json";
  /** Far above any real mesh (a /16 holds 256 node subnets); a flood of new names stops here. */
  public static final int MAX_BINDINGS = 4096;
  private static final int MAX_CONFLICTS = 64;
  private static final Logger log = LoggerFactory.getLogger(KeyBindingStore.class);

  private final Path file;
  private final ObjectMapper mapper = new ObjectMapper();
  private KeyBindings bindings;
  private final Map<String, KeyConflict> conflicts = new LinkedHashMap<>();

  private KeyBindingStore(Path file, KeyBindings bindings) {
    this.file = file;
    this.bindings = bindings;
  }

  /** The unusable bindings file: its message names the file and what to do. */
  public static final class UnusableBindingsException extends IOException {
    private static final long serialVersionUID = 1L;

    UnusableBindingsException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The bindings kept in {@code dir}, none when there is no file yet. */
  public static KeyBindingStore open(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    Map<String, NodeKey> byName = new HashMap<>();
    try {
      JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
      for (JsonNode b : root.path("bindings")) {
        byName.put(b.path("node").asText(), NodeKey.fromBase64(b.path("key").asText()));
      }
      if (!root.path("bindings").isArray()) {
        throw new IllegalArgumentException("no \"bindings\" array");
      }
    } catch (NoSuchFileException e) {
      // first start: nothing bound yet
    } catch (IOException | IllegalArgumentException e) {
      throw new UnusableBindingsException("node key bindings " + file + " cannot be read (" + e.getMessage()
          + "); it is never replaced automatically: restore it, or remove it to bind every peer again on first sight", e);
    }
    return new KeyBindingStore(file, KeyBindings.of(byName, MAX_BINDINGS));
  }

  /**
   * Admits {@code name} presenting {@code key}: binds it on first sight (and writes the file), accepts
   * it when it is bound to that key, records a conflict otherwise.
   */
  public synchronized KeyBindings.Verdict admit(String name, NodeKey key, String from, long nowMillis) {
    KeyBindings.Verdict v = check(name, key, from, nowMillis);
    if (v == KeyBindings.Verdict.FIRST_SIGHT) {
      bind(name, key, from);
      save();
    }
    return v;
  }

  /**
   * Checks a statement's author against the name it speaks for, binding nothing yet (the statement may
   * still be refused or stale: {@link #bindFirstSeen} binds what was kept). A conflict is recorded as a
   * connection's is.
   */
  public synchronized KeyBindings.Verdict check(String name, NodeKey key, String from, long nowMillis) {
    KeyBindings.Verdict v = bindings.check(name, key);
    if (v == KeyBindings.Verdict.CONFLICT) {
      conflict(new KeyConflict(name, bindings.keyOf(name).orElseThrow(), key, from, nowMillis));
    }
    return v;
  }

  /**
   * Binds the names first seen in statements this node now holds (a Sync's records: one write for all);
   * names bound meanwhile, or beyond the cap, are left as they are.
   */
  public synchronized void bindFirstSeen(Map<String, NodeKey> firstSeen, String from) {
    List<String> bound = new ArrayList<>();
    for (Map.Entry<String, NodeKey> e : firstSeen.entrySet()) {
      if (bindings.check(e.getKey(), e.getValue()) == KeyBindings.Verdict.FIRST_SIGHT) {
        bindings = bindings.bind(e.getKey(), e.getValue());
        bound.add(e.getKey() + " to " + e.getValue().fingerprint());
      }
    }
    if (bound.isEmpty()) {
      return;
    }
    // One line for a whole Sync: a flood of made-up names costs the log one line per message.
    log.info("bound {} node(s) on first sight, from {}: {}{}", bound.size(), from,
        String.join(", ", bound.subList(0, Math.min(3, bound.size()))), bound.size() > 3 ? ", …" : "");
    save();
  }

  /** Records a conflict (shown in {@code meshctl status} for a while); the newest per name is kept. */
  public synchronized void conflict(KeyConflict c) {
    if (conflicts.size() >= MAX_CONFLICTS && !conflicts.containsKey(c.node())) {
      conflicts.remove(conflicts.keySet().iterator().next());
    }
    conflicts.put(c.node(), c);
  }

  private void bind(String name, NodeKey key, String from) {
    bindings = bindings.bind(name, key);
    log.info("bound node {} to key {} (first sight, from {})", name, key.fingerprint(), from);
  }

  /** Forgets the node's binding (meshctl forget): its next key is bound on first sight. */
  public synchronized void forget(String name) {
    forget(name, Optional.empty());
  }

  /**
   * Forgets the node's binding if it is to {@code key} (empty: to whatever key): a forget unbinds the key
   * its author knew, never a binding made since to a reinstalled node's new key.
   */
  public synchronized void forget(String name, Optional<NodeKey> key) {
    Optional<NodeKey> bound = bindings.keyOf(name);
    if (key.isPresent() && bound.isPresent() && !bound.equals(key)) {
      return;
    }
    conflicts.remove(name);
    if (bound.isPresent()) {
      bindings = bindings.forget(name);
      log.info("forgot the key binding of node {}", name);
      save();
    }
  }

  public synchronized KeyBindings bindings() {
    return bindings;
  }

  /** Conflicts refused since start, newest last; a forget clears the node's. */
  public synchronized List<KeyConflict> conflicts() {
    List<KeyConflict> out = new ArrayList<>(conflicts.values());
    out.sort(Comparator.comparingLong(KeyConflict::atMillis));
    return out;
  }

  private void save() {
    ObjectNode root = mapper.createObjectNode();
    ArrayNode list = root.putArray("bindings");
    new TreeMap<>(bindings.asMap()).forEach((name, key) -> list.addObject().put("node", name).put("key", key.toBase64()));
    try {
      AtomicFile.write(file, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    } catch (IOException e) {
      // The binding still holds in memory; only a restart before the next successful write forgets it.
      log.warn("could not write node key bindings {}: {}", file, e.getMessage());
    }
  }
}
