package io.sluice.cluster.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;

/**
 * INTERNAL API: the token a node's mutating HTTP routes need ({@code sluice.node.http.token-file}),
 * or {@link #NONE}. It keeps only the token's SHA-256, and compares a presented token by its
 * SHA-256 with {@link MessageDigest#isEqual}, so that neither its content nor its length shows in
 * the time an answer takes. No answer or log line contains a presented token.
 */
public final class BearerToken {
  /** No token: every route is open (the local dev cluster, on loopback). */
  public static final BearerToken NONE = new BearerToken(null);

  /** Where the refusals point to. */
  static final String SETTING = "sluice.node.http.token-file";

  private final byte[] digest;

  private BearerToken(byte[] digest) {
    this.digest = digest;
  }

  /** A token that must be presented as {@code Authorization: Bearer <token>}. */
  public static BearerToken of(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("a bearer token must not be empty");
    }
    return new BearerToken(sha256(token));
  }

  /** True unless this is {@link #NONE}. */
  public boolean required() {
    return digest != null;
  }

  /**
   * Empty if a request with this {@code Authorization} header (null: none) may change things;
   * otherwise the 401 to answer with.
   */
  Optional<HttpApi.Response> check(String authorization) {
    if (digest == null) {
      return Optional.empty();
    }
    if (authorization == null || authorization.isBlank()) {
      return Optional.of(refusal(null, "this endpoint changes the cluster: it needs the header"
          + " 'Authorization: Bearer <token>' with the token of the node's " + SETTING + " (the sluice CLI sends"
          + " it from SLUICE_API_TOKEN or --token-file)"));
    }
    int space = authorization.indexOf(' ');
    if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("Bearer")) {
      return Optional.of(refusal("invalid_request", "the Authorization header must be 'Bearer <token>'"));
    }
    if (!MessageDigest.isEqual(digest, sha256(authorization.substring(space + 1).trim()))) {
      return Optional.of(refusal("invalid_token", "the bearer token is not the one of this node's " + SETTING));
    }
    return Optional.empty();
  }

  private static HttpApi.Response refusal(String error, String message) {
    String challenge = error == null ? "Bearer realm=\"sluice\"" : "Bearer realm=\"sluice\", error=\"" + error + "\"";
    return new HttpApi.Response(401, Map.of("error", message), Map.of("WWW-Authenticate", challenge));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Never the token, nor its digest. */
  @Override
  public String toString() {
    return digest == null ? "BearerToken[none]" : "BearerToken[required]";
  }
}
