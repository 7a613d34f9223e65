package io.weft.gossip.trust;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which key speaks for which node name: bound on first sight (trust on first use), then fixed until
 * an operator forgets the node. Immutable; the decisions are pure.
 */
public final class KeyBindings {
  /** What a presented (name, key) pair is, against the bindings. */
  public enum Verdict {
    /** The name is bound to this key. */
    KNOWN,
    /** The name is not bound yet: binding it now is first sight. */
    FIRST_SIGHT,
    /** The name is bound to another key: refused until the node is forgotten. */
    CONFLICT,
    /** The name is new but the bindings are at their cap: refused. */
    FULL
  }

  private final Map<String, NodeKey> byName;
  private final int cap;

  private KeyBindings(Map<String, NodeKey> byName, int cap) {
    this.byName = Map.copyOf(byName);
    this.cap = cap;
  }

  public static KeyBindings empty(int cap) {
    return new KeyBindings(Map.of(), cap);
  }

  public static KeyBindings of(Map<String, NodeKey> byName, int cap) {
    return new KeyBindings(byName, cap);
  }

  public Verdict check(String name, NodeKey key) {
    Objects.requireNonNull(key, "key");
    NodeKey bound = byName.get(name);
    if (bound != null) {
      return bound.equals(key) ? Verdict.KNOWN : Verdict.CONFLICT;
    }
    return byName.size() >= cap ? Verdict.FULL : Verdict.FIRST_SIGHT;
  }

  public Optional<NodeKey> keyOf(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** These bindings and {@code name → key}; only for a name that is not bound yet. */
  public KeyBindings bind(String name, NodeKey key) {
    if (check(name, key) != Verdict.FIRST_SIGHT) {
      throw new IllegalArgumentException(name + " is bound already or the bindings are full");
    }
    Map<String, NodeKey> next = new HashMap<>(byName);
    next.put(name, key);
    return new KeyBindings(next, cap);
  }

  public KeyBindings forget(String name) {
    if (!byName.containsKey(name)) {
      return this;
    }
    Map<String, NodeKey> next = new HashMap<>(byName);
    next.remove(name);
    return new KeyBindings(next, cap);
  }

  public Map<String, NodeKey> asMap() {
    return byName;
  }
}
