package dev.channelanalytics.store;

import java.util.Comparator;

/**
 * The order Elasticsearch sorts keywords in (and composite aggregations list terms in), and Spark
 * SQL sorts strings in: by Unicode code point, which is the byte order of their UTF-8. Both paths
 * list a product's users in it (calibration merges them), and the calculator merges a window's
 * counts with its stored rows in it. {@link String#compareTo} is not it: it compares UTF-16 units,
 * so it puts a character beyond U+FFFF before U+E000..U+FFFF.
 */
public final class KeywordOrder implements Comparator<String> {
  public static final KeywordOrder INSTANCE = new KeywordOrder();

  private KeywordOrder() {}

  @Override
  public int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
