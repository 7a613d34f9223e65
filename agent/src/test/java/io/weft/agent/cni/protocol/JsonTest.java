package io.weft.agent.cni.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

  @Test
  void readsEveryKindOfValue() {
    Map<String, Object> m = Json.parseObject(
        " {\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\",\"i\":-42,\"big\":123456789012345678901234567890,"
            + "\"f\":1.5e3,\"t\":true,\"n\":null,\"a\":[1,[],{}],\"o\":{\"x\":false}} ");
    assertEquals("a\"b\\c/d\n\u00e9\ud83d\ude00", m.get("s"));
    assertEquals(-42L, m.get("i"));
    assertEquals(new BigDecimal("123456789012345678901234567890"), m.get("big"));
    assertEquals(new BigDecimal("1.5e3"), m.get("f"));
    assertEquals(Boolean.TRUE, m.get("t"));
    assertTrue(m.containsKey("n"));
    assertNull(m.get("n"));
    assertEquals(List.of(1L, List.of(), Map.of()), m.get("a"));
    assertEquals(Map.of("x", false), m.get("o"));
  }

  @Test
  void keepsKeyOrder() {
    Map<String, Object> m = Json.parseObject("{\"z\":1,\"a\":2,\"m\":3}");
    assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "'x'", "01", "-", "1.", ".5", "1e", "+1",
      "tru", "nul", "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ude00\"", "{} {}",
      "[1 2]", "{\"a\":1}x", "/* c */ {}", "NaN", "{\"a\":1,\"a\":2}", "\u00a0{}"})
  void refusesMalformedText(String text) {
    assertThrows(JsonException.class, () -> Json.parse(text));
  }

  @Test
  void refusesDeepNesting() {
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nesting"), e.getMessage());
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(ok);
  }

  @Test
  void refusesNumbersOutOfRangeOrTooLongAtOnce() {
    JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"mtu\":1e2147483648}"));
    assertTrue(e.getMessage().contains("number out of range"), e.getMessage());
    e = assertThrows(JsonException.class, () -> Json.parse("[" + "9".repeat(200_000) + "]"));
    assertTrue(e.getMessage().contains("number longer than 100 characters"), e.getMessage());
    assertEquals(new java.math.BigDecimal("1.5e300"), Json.parse("1.5e300"));
  }

  @Test
  void errorsNameTheOffset() {
    JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"a\":tru}"));
    assertEquals("invalid literal, expected 'true' at offset 5", e.getMessage());
    e = assertThrows(JsonException.class, () -> Json.parse("{\"k\":1,\"k\":2}"));
    assertEquals("duplicate key \"k\" at offset 7", e.getMessage());
  }

  @Test
  void parseObjectRefusesOtherTypes() {
    JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
    assertEquals("expected a JSON object, found array", e.getMessage());
  }

  @Test
  void writesEscapesAndControlCharacters() {
    assertEquals("\"a\\\"b\\\\\\n\\t\\u0001\u00e9\"", Json.write("a\"b\\\n\t\u0001\u00e9"));
    assertEquals("\"\\ud800x\"", Json.write("\ud800x"));
    assertEquals("\"\ud83d\ude00\"", Json.write("\ud83d\ude00"));
  }

  @Test
  void writesNumbersBooleansNullAndNesting() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("l", 7L);
    m.put("i", 3);
    m.put("d", 2.5);
    m.put("b", false);
    m.put("n", null);
    m.put("a", List.of("x", List.of()));
    assertEquals("{\"l\":7,\"i\":3,\"d\":2.5,\"b\":false,\"n\":null,\"a\":[\"x\",[]]}", Json.write(m));
    assertThrows(JsonException.class, () -> Json.write(Double.NaN));
    assertThrows(JsonException.class, () -> Json.write(new Object()));
  }

  @Test
  void randomValuesSurviveARoundTrip() {
    Random random = new Random(6);
    for (int i = 0; i < 500; i++) {
      Object v = randomValue(random, 0);
      assertEquals(v, Json.parse(Json.write(v)));
    }
  }

  private static Object randomValue(Random r, int depth) {
    int kind = r.nextInt(depth > 4 ? 5 : 7);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return r.nextBoolean();
      case 2:
        return r.nextLong();
      case 3:
        return new BigDecimal(r.nextInt(100000) + "." + r.nextInt(1000) + "1");
      case 4: {
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(8);
        for (int k = 0; k < n; k++) {
          b.appendCodePoint(r.nextInt(4) == 0 ? r.nextInt(0x20) : r.nextInt(3) == 0 ? 0x1F600 + r.nextInt(50) : 0x20 + r.nextInt(0x7ff));
        }
        return b.toString();
      }
      case 5: {
        List<Object> l = new ArrayList<>();
        int n = r.nextInt(4);
        for (int k = 0; k < n; k++) {
          l.add(randomValue(r, depth + 1));
        }
        return l;
      }
      default: {
        Map<String, Object> m = new LinkedHashMap<>();
        int n = r.nextInt(4);
        for (int k = 0; k < n; k++) {
          m.put("k" + k + r.nextInt(10), randomValue(r, depth + 1));
        }
        return m;
      }
    }
  }
}
