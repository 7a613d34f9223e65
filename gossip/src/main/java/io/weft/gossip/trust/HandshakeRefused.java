package io.weft.gossip.trust;

import java.io.IOException;

/** The mesh handshake refused the connection; the message says why in words an operator can act on. */
public final class HandshakeRefused extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why, for counters and tests. */
  public enum Reason {
    /** Closed before any byte: a port probe. Not counted or logged. */
    PROBE(true),
    /** The other side gave up first (its own deadline, a restart): not this side's refusal. */
    PEER_CLOSED(true),
    /** The first bytes are not a Weft handshake (a scanner, another protocol, garbage). */
    NOT_WEFT(false),
    /** Another handshake version (an older or newer Weft): there is no negotiation, so no downgrade. */
    VERSION(false),
    /** One side has a mesh secret and the other none. */
    SECRET_MISMATCH(false),
    /** The peer's proof does not verify under this mesh's secret (a wrong secret, or tampering). */
    WRONG_SECRET(false),
    /** The node key's signature over this handshake does not verify. */
    BAD_SIGNATURE(false),
    /** The peer sent this side's own handshake values back (a reflection) or holds this node's key. */
    REFLECTED(false),
    /** A message too short, too long, or not well formed. */
    MALFORMED(false),
    /** A message arrived before the one it must follow. */
    OUT_OF_ORDER(false),
    /** The node name is bound to another key here. */
    KEY_CONFLICT(false),
    /** Too many unauthenticated connections (from this address, or in all). */
    BUSY(false),
    /** The whole handshake did not complete within its deadline. */
    TIMEOUT(false);

    private final boolean quiet;

    Reason(boolean quiet) {
      this.quiet = quiet;
    }

    /** Not worth a log line or a counter: nobody was refused. */
    public boolean quiet() {
      return quiet;
    }
  }

  private final Reason reason;

  public HandshakeRefused(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
