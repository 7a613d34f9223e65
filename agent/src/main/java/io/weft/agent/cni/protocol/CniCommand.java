package io.weft.agent.cni.protocol;

/** The CNI_COMMAND verbs, with the spec version that introduced each one. */
public enum CniCommand {
  ADD(CniVersion.V0_4_0),
  DEL(CniVersion.V0_4_0),
  CHECK(CniVersion.V0_4_0),
  VERSION(CniVersion.V0_4_0),
  GC(CniVersion.V1_1_0),
  STATUS(CniVersion.V1_1_0);

  private final String since;

  CniCommand(String since) {
    this.since = since;
  }

  /** The oldest spec version with this verb: a 1.0.0 config may not ask for GC. */
  public String since() {
    return since;
  }

  /** Whether the spec (and skel) require a variable for this verb. */
  boolean requires(String variable) {
    switch (variable) {
      case "CNI_CONTAINERID":
      case "CNI_IFNAME":
        return this == ADD || this == DEL || this == CHECK;
      case "CNI_NETNS":
        // DEL must work after the namespace is gone, so it may come without one.
        return this == ADD || this == CHECK;
      case "CNI_PATH":
        return this != VERSION;
      default:
        return false;
    }
  }

  /** The verb for a CNI_COMMAND value, or null when it is not one. */
  static CniCommand of(String text) {
    for (CniCommand c : values()) {
      if (c.name().equals(text)) {
        return c;
      }
    }
    return null;
  }
}
