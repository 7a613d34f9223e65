package io.weft.agent.cni;

import io.weft.dataplane.Dataplane;
import java.nio.file.Path;

/**
 * Opens a dataplane handle inside a pod's network namespace ({@code NetlinkDataplane::in} in the agent, an
 * in-memory one in tests). The endpoint closes each handle when its verb is done.
 */
@FunctionalInterface
public interface PodNamespaces {
  Dataplane open(Path netns);
}
