package io.weft.gossip.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The primitives against their RFCs' published test vectors. */
class CryptoVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] hex(String s) {
    return HEX.parseHex(s.replace(" ", ""));
  }

  @Test
  void hkdfMatchesRfc5869TestCase1() {
    byte[] ikm = hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] prk = Hkdf.extract(hex("000102030405060708090a0b0c"), ikm);
    assertArrayEquals(hex("077709362c2e32df0ddc3f0dc47bba63 90b6c73bb50f9c3122ec844ad7c2b3e5"), prk);
    assertArrayEquals(hex("3cb25f25faacd57a90434f64d0362f2a 2d2d0a90cf1a5a4c5db02d56ecc4c5bf 34007208d5b887185865"),
        Hkdf.expand(prk, hex("f0f1f2f3f4f5f6f7f8f9"), 42));
  }

  @Test
  void hkdfMatchesRfc5869TestCase3WithEmptySaltAndInfo() {
    byte[] prk = Hkdf.extract(new byte[0], hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
    assertArrayEquals(hex("19ef24a32c717b167f33a91d6f648bdf 96596776afdb6377ac434c1c293ccb04"), prk);
    assertArrayEquals(hex("8da4e775a563c18f715f802a063c5a31 b8a11f5c5ee1879ec3454e5f3c738d2d 9d201395faa4b61a96c8"),
        Hkdf.expand(prk, new byte[0], 42));
  }

  @Test
  void x25519MatchesRfc7748Section61() {
    PrivateKey alice = X25519.privateKey(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    PrivateKey bob = X25519.privateKey(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
    byte[] alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    byte[] bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assertArrayEquals(alicePublic, X25519.publicKey(alice));
    assertArrayEquals(bobPublic, X25519.publicKey(bob));
    byte[] shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assertArrayEquals(shared, X25519.agree(alice, bobPublic));
    assertArrayEquals(shared, X25519.agree(bob, alicePublic));
  }

  @Test
  void x25519RefusesASmallOrderPeerKey() {
    PrivateKey alice = X25519.privateKey(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
    // u = 0 and u = 1 are of small order: the shared secret would be all zeros (RFC 7748 section 6.1).
    assertThrows(IllegalArgumentException.class, () -> X25519.agree(alice, new byte[32]));
    byte[] one = new byte[32];
    one[0] = 1;
    assertThrows(IllegalArgumentException.class, () -> X25519.agree(alice, one));
  }

  @Test
  void generatedEphemeralKeysAgree() {
    SecureRandom random = new SecureRandom();
    X25519.Ephemeral a = X25519.generate(random);
    X25519.Ephemeral b = X25519.generate(random);
    assertArrayEquals(a.publicKey(), X25519.publicKey(a.privateKey()));
    assertArrayEquals(X25519.agree(a.privateKey(), b.publicKey()), X25519.agree(b.privateKey(), a.publicKey()));
  }

  /** RFC 8032 section 7.1, test 1: the JDK's Ed25519 through NodeIdentity and NodeKey's encoding. */
  @Test
  void ed25519MatchesRfc8032Test1() {
    byte[] seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    NodeKey pub = NodeKey.of(hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
    NodeIdentity id = NodeIdentity.of(seed, pub);
    byte[] sig = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assertArrayEquals(sig, id.sign(new byte[0]));
    assertTrue(pub.verifies(new byte[0], sig));
    sig[0] ^= 1;
    assertFalse(pub.verifies(new byte[0], sig));
    // The seed's generated twin encodes its public key the same way.
    SecureRandom fixed = new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        System.arraycopy(seed, 0, bytes, 0, bytes.length);
      }
    };
    assertEquals(pub, NodeIdentity.generate(fixed).publicKey());
  }

  @Test
  void anIdentityWithAnotherKeysPublicHalfIsRefused() {
    byte[] seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    NodeKey other = NodeIdentity.generate(new SecureRandom()).publicKey();
    assertThrows(IllegalArgumentException.class, () -> NodeIdentity.of(seed, other));
  }
}
