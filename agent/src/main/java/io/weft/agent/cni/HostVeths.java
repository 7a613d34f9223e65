package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.Link;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** The node's side of pod veth pairs: {@code weft} + 8 hex, made into the pod's namespace, on the bridge. */
final class HostVeths {
  private static final Pattern NAME = Pattern.compile("weft[0-9a-f]{8}");

  private final Supplier<Dataplane> nodeHandles;

  /** @param nodeHandles opens a handle on the node's namespace, for the reads made off any verb */
  HostVeths(Supplier<Dataplane> nodeHandles) {
    this.nodeHandles = nodeHandles;
  }

  static boolean isHostVeth(String linkName) {
    return NAME.matcher(linkName).matches();
  }

  /** The pair {@code host} (on the node) and {@code ifname} (made directly inside {@code netns}). */
  static void create(Dataplane node, String host, String ifname, Path netns, int mtu, String forWhom) {
    try {
      node.links().createVeth(host, ifname, netns, mtu);
    } catch (AlreadyExistsException e) {
      throw new CniError(CniError.NETLINK_FAILURE, "could not create veth " + host + " for " + forWhom,
          "an interface named " + host + " on the node or " + ifname + " in " + netns + " already exists");
    }
  }

  /** The host end on the bridge, hairpin on (a pod reaches itself through a service address), up. */
  static void attach(Dataplane node, String host, String bridge) {
    node.links().setMaster(host, bridge);
    node.links().setHairpin(host, true);
    node.links().setUp(host);
  }

  /** Deletes a link; already gone counts as done (the pod's namespace went, or a previous DEL did it). */
  static void delete(Dataplane node, String name) {
    try {
      node.links().delete(name);
    } catch (NoSuchDeviceException | NotFoundException gone) {
      // already gone
    }
  }

  /** The node's Weft host veths, wherever they are attached (one detached from the bridge still holds a pod). */
  Set<String> onNode() {
    Set<String> out = new HashSet<>();
    try (Dataplane node = nodeHandles.get()) {
      for (Link l : node.links().list()) {
        if (isHostVeth(l.name())) {
          out.add(l.name());
        }
      }
    }
    return out;
  }
}
