package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The secret policy accepts what the documented commands make and refuses the obviously weak. */
class MeshSecretPropertyTest {
  @Property
  void randomBytesAsTheDocumentedCommandsEncodeThemAreAccepted(@ForAll @Size(min = 32, max = 64) byte[] random) {
    assertEquals(Optional.empty(), MeshSecret.weakness(random), "raw");
    byte[] base64 = Base64.getEncoder().encode(random); // head -c 32 /dev/urandom | base64
    assertEquals(Optional.empty(), MeshSecret.weakness(base64), "base64");
    byte[] hex = HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII); // openssl rand -hex 32
    assertEquals(Optional.empty(), MeshSecret.weakness(hex), "hex");
  }

  @Property
  void anythingShorterThan32BytesIsRefused(@ForAll @Size(max = 31) byte[] secret) {
    assertTrue(MeshSecret.weakness(secret).orElseThrow().contains("at least 32"));
  }

  @Property
  void oneCharacterRepeatedIsRefused(@ForAll byte b, @ForAll @IntRange(min = 32, max = 200) int n) {
    byte[] secret = new byte[n];
    java.util.Arrays.fill(secret, b);
    assertTrue(MeshSecret.weakness(secret).orElseThrow().contains("one character repeated"));
  }

  @Property
  void aShortAlphabetIsRefused(@ForAll @StringLength(min = 32, max = 40) @CharRange(from = 'a', to = 'f') String text) {
    // Six letters carry at most log2(6) = 2.6 bits a byte: at most 104 bits in 40 bytes.
    assertTrue(MeshSecret.weakness(text.getBytes(StandardCharsets.US_ASCII)).isPresent(), text);
  }
}
