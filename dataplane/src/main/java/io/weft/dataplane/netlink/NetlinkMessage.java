package io.weft.dataplane.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message: the nlmsghdr fields and the payload after it (a read-only view in host
 * byte order, position 0).
 */
public record NetlinkMessage(int type, int flags, int seq, int portId, ByteBuffer payload) {

  /**
   * Splits a datagram into its messages. A header whose length is shorter than a header or runs past the
   * datagram ends the walk with an {@link IllegalStateException}: the stream is corrupt, not ours to guess.
   */
  public static List<NetlinkMessage> parseAll(ByteBuffer datagram, int length) {
    ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
    List<NetlinkMessage> out = new ArrayList<>();
    int off = 0;
    while (length - off >= Nl.NLMSG_HDRLEN) {
      int len = b.getInt(off);
      if (len < Nl.NLMSG_HDRLEN || len > length - off) {
        throw new IllegalStateException("malformed netlink message: length " + len + " at offset " + off
            + " of a " + length + "-byte datagram");
      }
      int type = Short.toUnsignedInt(b.getShort(off + 4));
      int flags = Short.toUnsignedInt(b.getShort(off + 6));
      int seq = b.getInt(off + 8);
      int pid = b.getInt(off + 12);
      ByteBuffer payload = b.slice(off + Nl.NLMSG_HDRLEN, len - Nl.NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
      out.add(new NetlinkMessage(type, flags, seq, pid, payload.asReadOnlyBuffer().order(ByteOrder.nativeOrder())));
      off += Nl.align(len);
    }
    return out;
  }

  /** For an NLMSG_ERROR: the negative errno, 0 for an ACK. */
  public int errorCode() {
    return payload.getInt(0);
  }

  /** For an NLMSG_ERROR: the sequence number of the request it answers (from the echoed header). */
  public int errorRequestSeq() {
    return payload.getInt(4 + 8);
  }

  /**
   * For an NLMSG_ERROR (or a failed dump's NLMSG_DONE) with NLM_F_ACK_TLVS: the kernel's extended-ACK text (NLMSGERR_ATTR_MSG), else null.
   * The TLVs follow the echoed request: just its header when NLM_F_CAPPED, else the whole request.
   */
  public String extAckMessage() {
    if ((flags & Nl.NLM_F_ACK_TLVS) == 0) {
      return null;
    }
    int start;
    if (type == Nl.NLMSG_DONE) {
      start = 4; // a failed dump's DONE: the error, then the attributes
    } else {
      int echoed = (flags & Nl.NLM_F_CAPPED) != 0 ? Nl.NLMSG_HDRLEN : payload.getInt(4);
      start = 4 + Nl.align(echoed);
    }
    if (start > payload.limit()) {
      return null;
    }
    Attributes tlvs = Attributes.parse(payload, start, payload.limit() - start);
    return tlvs.string(Nl.NLMSGERR_ATTR_MSG);
  }
}
