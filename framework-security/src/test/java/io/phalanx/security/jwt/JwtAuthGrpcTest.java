package io.phalanx.security.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.phalanx.core.Context;
import io.phalanx.core.OperationMatcher;
import io.phalanx.core.error.ServiceException;
import io.phalanx.transport.grpc.GrpcClient;
import io.phalanx.transport.grpc.GrpcContext;
import io.phalanx.transport.grpc.GrpcErrors;
import io.phalanx.transport.grpc.GrpcServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JwtAuth on a real GrpcServer and BearerToken on a real GrpcClient, over loopback. The service is
 * defined by hand with a string marshaller, so no generated code is needed.
 */
class JwtAuthGrpcTest {
  static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  static final MethodDescriptor<String, String> WHO_AM_I = method("WhoAmI");
  static final MethodDescriptor<String, String> PING = method("Ping");
  private static final Metadata.Key<String> CHALLENGE =
      Metadata.Key.of("www-authenticate", Metadata.ASCII_STRING_MARSHALLER);

  private final TestTokens tokens = new TestTokens();
  private final AtomicReference<String> token = new AtomicReference<>();
  private GrpcServer server;
  private GrpcClient client;
  private GrpcClient anonymous;

  static MethodDescriptor<String, String> method(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Auth", name))
        .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
  }

  @BeforeEach
  void start() throws Exception {
    ServerServiceDefinition service = ServerServiceDefinition.builder("test.Auth")
        .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((req, out) -> {
          Context ctx = GrpcContext.current();
          out.onNext(JwtAuth.principal(ctx).map(p -> p.subject() + " " + p.algorithm())
              .orElse("anonymous"));
          out.onCompleted();
        }))
        .addMethod(PING, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(JwtAuth.principal(GrpcContext.current()).isPresent() ? "principal?!"
              : "pong");
          out.onCompleted();
        }))
        .build();
    server = GrpcServer.builder().host("127.0.0.1").port(0).reflection(false).service(service)
        .middleware(JwtAuth.builder().publicKey(tokens.rsa.getPublic())
            .publicKey(tokens.ec.getPublic()).secret(TestTokens.SECRET)
            .issuer(TestTokens.ISSUER).audience(TestTokens.AUDIENCE)
            .skip(OperationMatcher.exact("/test.Auth/Ping")).build())
        .build();
    server.start();
    client = GrpcClient.builder("127.0.0.1:" + server.port())
        .middleware(BearerToken.of(token::get)).build();
    anonymous = GrpcClient.builder("127.0.0.1:" + server.port()).build();
  }

  @AfterEach
  void stop() {
    client.close();
    anonymous.close();
    server.stop(Duration.ZERO);
  }

  private static String call(GrpcClient c, MethodDescriptor<String, String> m) {
    return ClientCalls.blockingUnaryCall(c.channel(), m,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");
  }

  @Test
  void validTokensAreAcceptedWithThePrincipalInTheContext() {
    token.set(tokens.rs256(TestTokens.claims("alice").build()));
    assertEquals("alice RS256", call(client, WHO_AM_I));
    token.set(tokens.es256(TestTokens.claims("bob").build()));
    assertEquals("bob ES256", call(client, WHO_AM_I));
    token.set(tokens.hs256(TestTokens.claims("carol").build()));
    assertEquals("carol HS256", call(client, WHO_AM_I));
  }

  @Test
  void badTokensAreUnauthenticatedWithTheReasonAndTheChallengeInTrailers() {
    java.time.Instant past = java.time.Instant.now().minusSeconds(3600);
    String[][] cases = {
        {tokens.rs256(TestTokens.claims("a").expirationTime(java.util.Date.from(past)).build()),
            JwtAuth.TOKEN_EXPIRED},
        {tokens.rs256(TestTokens.claims("a").audience("billing").build()), JwtAuth.TOKEN_INVALID},
        {tokens.es256(TestTokens.claims("a").issuer("https://evil.test").build()),
            JwtAuth.TOKEN_INVALID},
        {TestTokens.tampered(tokens.rs256(TestTokens.claims("a").build()),
            TestTokens.claims("admin").build()), JwtAuth.TOKEN_INVALID},
        {TestTokens.unsigned(TestTokens.claims("admin").build()), JwtAuth.TOKEN_INVALID},
        {tokens.hs256WithRsaPublicKey(TestTokens.claims("admin").build()), JwtAuth.TOKEN_INVALID},
    };
    for (String[] c : cases) {
      token.set(c[0]);
      Exception e = assertThrows(Exception.class, () -> call(client, WHO_AM_I));
      assertUnauthenticated(e, c[1], "Bearer error=\"invalid_token\"");
    }
  }

  @Test
  void missingTokenIsUnauthenticatedAndPublicMethodsNeedNone() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> call(anonymous, WHO_AM_I));
    assertUnauthenticated(e, JwtAuth.TOKEN_MISSING, "Bearer");
    assertEquals("Bearer", e.getTrailers().get(CHALLENGE));
    assertEquals("pong", call(anonymous, PING));
  }

  private static void assertUnauthenticated(Exception e, String reason, String challenge) {
    ServiceException se = GrpcErrors.from(e);
    assertEquals(401, se.code(), se.toString());
    assertEquals(reason, se.reason(), se.toString());
    StatusRuntimeException sre = e instanceof StatusRuntimeException s ? s
        : (StatusRuntimeException) e.getCause();
    assertEquals(Status.Code.UNAUTHENTICATED, sre.getStatus().getCode());
    String header = sre.getTrailers() == null ? null : sre.getTrailers().get(CHALLENGE);
    assertTrue(header != null && header.startsWith(challenge), String.valueOf(header));
  }
}
