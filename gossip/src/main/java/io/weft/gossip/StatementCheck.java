package io.weft.gossip;

import io.weft.gossip.trust.KeyBindingStore;
import io.weft.gossip.trust.KeyConflict;
import io.weft.gossip.trust.NodeKey;
import io.weft.gossip.trust.Statement;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a signed statement may speak for the node it names: the first check every statement meets
 * where it enters ({@link RecordExchange}), before anything acts on what it says. A statement
 * byte-identical to one this member holds was checked when it came in and is not verified again (a Sync
 * repeats every record the joiner or the other part already has); any other must carry a good signature
 * by the key the name is bound to. This node's own name is bound to this node's own key. A name not bound
 * yet is bound on first sight, once the statement is kept ({@link #bind}): a refused or stale one binds
 * nothing, so a flood of made-up names binds no more names than the records it leaves held. Owned by the
 * event loop; the bindings are thread-safe (handshakes bind too).
 */
final class StatementCheck {
  /** What a statement is, against the signature and the bindings. */
  enum Verdict {
    /** Byte-identical to the one held: checked before, nothing new. */
    HELD,
    /** A good signature by the key the name is bound to. */
    KNOWN,
    /** A good signature; the name is not bound yet (bind it once the statement is kept). */
    FIRST_SIGHT,
    /** The signature does not verify. */
    BAD_SIGNATURE,
    /** A good signature by a key other than the name's: refused and reported as a key conflict. */
    KEY_CONFLICT,
    /** The name is not bound and the bindings are at their cap. */
    BINDINGS_FULL;

    boolean accepted() {
      return this == KNOWN || this == FIRST_SIGHT;
    }
  }

  private final String localName;
  private final NodeKey ownKey;
  private final KeyBindingStore bindings;

  StatementCheck(String localName, NodeKey ownKey, KeyBindingStore bindings) {
    this.localName = localName;
    this.ownKey = ownKey;
    this.bindings = bindings;
  }

  /**
   * @param speaksFor the node the statement is about (its author's name)
   * @param held      the statement of the same kind about that node this member holds, if any
   * @param from      who sent it, for a conflict's report ("a record sent by rogue")
   */
  Verdict check(Statement s, String speaksFor, Optional<Statement> held, String from, long nowMillis) {
    if (held.isPresent() && held.get().equals(s)) {
      return Verdict.HELD;
    }
    if (!s.verifies()) {
      return Verdict.BAD_SIGNATURE;
    }
    if (speaksFor.equals(localName)) {
      if (s.author().equals(ownKey)) {
        return Verdict.KNOWN;
      }
      bindings.conflict(new KeyConflict(speaksFor, ownKey, s.author(), from, nowMillis));
      return Verdict.KEY_CONFLICT;
    }
    return switch (bindings.check(speaksFor, s.author(), from, nowMillis)) {
      case KNOWN -> Verdict.KNOWN;
      case FIRST_SIGHT -> Verdict.FIRST_SIGHT;
      case CONFLICT -> Verdict.KEY_CONFLICT;
      case FULL -> Verdict.BINDINGS_FULL;
    };
  }

  /** The key {@code name} is bound to here (this node's own for its own name). */
  Optional<NodeKey> boundKey(String name) {
    return name.equals(localName) ? Optional.of(ownKey) : bindings.bindings().keyOf(name);
  }

  /** Binds the names first seen in statements now kept (one write of the bindings file for all). */
  void bind(Map<String, NodeKey> firstSeen, String from) {
    if (!firstSeen.isEmpty()) {
      bindings.bindFirstSeen(firstSeen, from);
    }
  }

  /** The verdict's refusal, worded for the log and {@code meshctl status}; empty when it was accepted. */
  Optional<Refusal> refusal(Verdict v, Statement s, String what, String speaksFor) {
    return switch (v) {
      case HELD, KNOWN, FIRST_SIGHT -> Optional.empty();
      case BAD_SIGNATURE -> Optional.of(new Refusal(MessageRefusals.Reason.BAD_SIGNATURE, what + ": the signature by "
          + s.author().fingerprint() + " does not verify"));
      case KEY_CONFLICT -> Optional.of(new Refusal(MessageRefusals.Reason.KEY_CONFLICT, what + ": signed with key "
          + s.author().fingerprint() + ", but " + speaksFor + " is bound to " + boundKey(speaksFor)
          .map(NodeKey::fingerprint).orElse("another key")));
      case BINDINGS_FULL -> Optional.of(new Refusal(MessageRefusals.Reason.OVER_CAP, what + ": " + speaksFor
          + " is not bound to a key yet and this member holds " + KeyBindingStore.MAX_BINDINGS
          + " key bindings already"));
    };
  }

  /** Why a statement was refused. */
  record Refusal(MessageRefusals.Reason reason, String why) {}
}
