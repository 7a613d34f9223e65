package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Checks on a pod's {@code CNI_NETNS} made before anything is opened in it, against the namespace file of the
 * agent's own network namespace ({@code /proc/self/ns/net} in the agent).
 *
 * @param own the agent's own network namespace file: a pod's must be on the same file system (nsfs, where
 *            every namespace file lives) and must not be the same file
 */
public record PodNamespace(Path own) {
  /** st_mode's file-type bits and the regular-file type (stat(2)). */
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;

  /** Checks against the network namespace of this process. */
  public static PodNamespace ofThisProcess() {
    return new PodNamespace(Path.of("/proc/self/ns/net"));
  }

  /**
   * The pod's namespace file exists, is a namespace file (nsfs shows one as a regular file: a FIFO or a device
   * there would hang or mislead the verb, and a plain file is no namespace) and is not the agent's own
   * namespace (a "pod" interface would land on the host). Only a {@code /proc/PID/ns/net} link is followed;
   * nothing is opened.
   */
  void check(Path netns) {
    LinkOption[] follow = netns.startsWith("/proc") ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    Map<String, Object> pod;
    Map<String, Object> self;
    try {
      pod = Files.readAttributes(netns, "unix:dev,ino,mode", follow);
      self = Files.readAttributes(own, "unix:dev,ino");
    } catch (NoSuchFileException e) {
      throw new CniError(CniError.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist");
    } catch (IOException | UnsupportedOperationException e) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "cannot check network namespace " + netns, e.toString());
    }
    if ((((Integer) pod.get("mode")) & S_IFMT) != S_IFREG || !pod.get("dev").equals(self.get("dev"))) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + netns + " is not a network namespace",
          "a namespace file (a bind mount of /proc/PID/ns/net, on nsfs) was expected");
    }
    if (pod.get("ino").equals(self.get("ino"))) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + netns + " is the weft agent's own network namespace",
          "a pod's interface would be put on the node itself");
    }
  }
}
