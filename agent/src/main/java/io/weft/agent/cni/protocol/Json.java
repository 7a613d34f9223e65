package io.weft.agent.cni.protocol;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer for the plugin, which may use nothing but java.base.
 *
 * <p>Values map to plain Java types: objects to {@code Map<String, Object>} (insertion-ordered), arrays to
 * {@code List<Object>}, strings to {@link String}, numbers to {@link Long} when integral and in range
 * else {@link BigDecimal}, {@code true}/{@code false} to {@link Boolean}, {@code null} to Java null.
 *
 * <p>Strict means: one value and nothing after it but whitespace, no trailing commas, no comments, no
 * leading zeros, no unescaped control characters, no lone surrogates in escapes, no duplicate keys (a
 * config that names a field twice is ambiguous; refusing it beats silently picking one), nesting at most
 * {@value #MAX_DEPTH} deep. Errors name the offset and what was expected there.
 */
public final class Json {
  static final int MAX_DEPTH = 64;

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses exactly one JSON value. */
  public static Object parse(String text) {
    Json p = new Json(text);
    p.skipWhitespace();
    Object v = p.value(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected '" + p.text.charAt(p.pos) + "' after the JSON value");
    }
    return v;
  }

  /** Parses a JSON value that must be an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new JsonException("expected a JSON object, found " + typeName(v));
    }
    return (Map<String, Object>) v;
  }

  /** The JSON text of a value made of the types above (and any {@link Number}). */
  public static String write(Object value) {
    StringBuilder b = new StringBuilder(256);
    write(b, value, 0);
    return b.toString();
  }

  /** The JSON type name of a parsed value, for error messages. */
  public static String typeName(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof Map) {
      return "object";
    } else if (v instanceof List) {
      return "array";
    } else if (v instanceof String) {
      return "string";
    } else if (v instanceof Boolean) {
      return "boolean";
    } else if (v instanceof Number) {
      return "number";
    }
    return v.getClass().getName();
  }

  // ---- reader ----

  private Object value(int depth) {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected '" + c + "', expected a value");
    }
  }

  private Map<String, Object> object(int depth) {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a string key");
      }
      int keyAt = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object v = value(depth);
      if (map.containsKey(key)) {
        pos = keyAt;
        throw error("duplicate key \"" + key + "\"");
      }
      map.put(key, v);
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return map;
      } else {
        throw error("expected ',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) {
    checkDepth(depth);
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        return list;
      } else {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    pos++; // opening quote
    StringBuilder b = null;
    int start = pos;
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        String s = b == null ? text.substring(start, pos) : b.append(text, start, pos).toString();
        pos++;
        return s;
      }
      if (c < 0x20) {
        throw error("unescaped control character in string");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (b == null) {
        b = new StringBuilder();
      }
      b.append(text, start, pos);
      pos++;
      if (pos >= text.length()) {
        throw error("unterminated escape");
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"': b.append('"'); break;
        case '\\': b.append('\\'); break;
        case '/': b.append('/'); break;
        case 'b': b.append('\b'); break;
        case 'f': b.append('\f'); break;
        case 'n': b.append('\n'); break;
        case 'r': b.append('\r'); break;
        case 't': b.append('\t'); break;
        case 'u': {
          char u = hex4();
          if (Character.isHighSurrogate(u)) {
            if (!text.startsWith("\\u", pos)) {
              throw error("lone high surrogate in \\u escape");
            }
            pos += 2;
            char low = hex4();
            if (!Character.isLowSurrogate(low)) {
              throw error("high surrogate not followed by a low surrogate");
            }
            b.append(u).append(low);
          } else if (Character.isLowSurrogate(u)) {
            throw error("lone low surrogate in \\u escape");
          } else {
            b.append(u);
          }
          break;
        }
        default:
          pos--;
          throw error("invalid escape '\\" + e + "'");
      }
      start = pos;
    }
  }

  private char hex4() {
    if (pos + 4 > text.length()) {
      throw error("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0) {
        throw error("invalid hex digit in \\u escape");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  /** Longer than any number a CNI config holds (a 64-bit integer has 20 characters). */
  static final int MAX_NUMBER_LENGTH = 100;

  private Object number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zero in number");
      }
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw error("expected a digit");
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after '.'");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in the exponent");
      }
      digits();
    }
    if (pos - start > MAX_NUMBER_LENGTH) {
      // BigDecimal parses in time quadratic in the digits: a 200k-digit number would hold a worker for seconds.
      throw error("number longer than " + MAX_NUMBER_LENGTH + " characters");
    }
    String n = text.substring(start, pos);
    if (integral && n.length() <= 18) {
      return Long.parseLong(n);
    }
    BigDecimal d;
    try {
      d = new BigDecimal(n);
    } catch (NumberFormatException e) {
      throw error("number out of range: " + n);
    }
    if (integral) {
      try {
        return d.longValueExact();
      } catch (ArithmeticException tooBig) {
        return d;
      }
    }
    return d;
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void literal(String word) {
    if (!text.startsWith(word, pos)) {
      throw error("invalid literal, expected '" + word + "'");
    }
    pos += word.length();
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        pos++;
      } else {
        return;
      }
    }
  }

  private void checkDepth(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
  }

  private JsonException error(String what) {
    if (pos >= text.length()) {
      return new JsonException(what + " at offset " + pos + " (end of input)");
    }
    return new JsonException(what + " at offset " + pos);
  }

  // ---- writer ----

  private static void write(StringBuilder b, Object v, int depth) {
    if (depth > MAX_DEPTH) {
      throw new JsonException("value nested deeper than " + MAX_DEPTH);
    }
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      quote(b, s);
    } else if (v instanceof Boolean bool) {
      b.append(bool.booleanValue() ? "true" : "false");
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      b.append(((Number) v).longValue());
    } else if (v instanceof BigDecimal d) {
      b.append(d.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new JsonException("JSON has no representation for " + d);
      }
      b.append(BigDecimal.valueOf(d).toString());
    } else if (v instanceof Number n) {
      b.append(new BigDecimal(n.toString()).toString());
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw new JsonException("object key is not a string: " + e.getKey());
        }
        if (!first) {
          b.append(',');
        }
        first = false;
        quote(b, key);
        b.append(':');
        write(b, e.getValue(), depth + 1);
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        write(b, l.get(i), depth + 1);
      }
      b.append(']');
    } else {
      throw new JsonException("cannot write a " + v.getClass().getName() + " as JSON");
    }
  }

  private static void quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        case '\b': b.append("\\b"); break;
        case '\f': b.append("\\f"); break;
        default:
          // Control characters must be escaped; lone surrogates too, since they are not valid UTF-8.
          if (c < 0x20 || (Character.isSurrogate(c) && !validPair(s, i))) {
            b.append("\\u");
            String h = Integer.toHexString(c);
            for (int k = h.length(); k < 4; k++) {
              b.append('0');
            }
            b.append(h);
          } else {
            b.append(c);
          }
      }
    }
    b.append('"');
  }

  private static boolean validPair(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
