package io.weft.meshctl;

/** Entry point of {@code meshctl}. Placeholder until the CLI lands: answers --help and --version. */
public final class Meshctl {
  private Meshctl() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("--version")) {
      System.out.println("meshctl " + Meshctl.class.getPackage().getImplementationVersion());
      return;
    }
    System.out.println("Usage: meshctl status [peers|routes|ipam] [-o json] [--socket PATH]");
  }
}
