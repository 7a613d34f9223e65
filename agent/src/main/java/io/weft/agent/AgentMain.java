package io.weft.agent;

/** Entry point of {@code weft-agent}. Placeholder until the agent lands: answers --help and --version. */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--version")) {
      System.out.println("weft-agent " + AgentMain.class.getPackage().getImplementationVersion());
      return;
    }
    System.out.println("Usage: weft-agent [--node-name NAME] [--node-ip IP] [--peer HOST[:PORT]]... (see SPEC.md)");
  }
}
