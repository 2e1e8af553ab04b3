package io.phalanx.transport.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GracefulStopTest {

  @Test
  void inFlightRequestFinishesWhileNewConnectionsAreRefused() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer server = HttpServer.builder().host("127.0.0.1").port(0).routes(r ->
        r.get("/slow", (ctx, req) -> {
          entered.countDown();
          release.await(10, TimeUnit.SECONDS);
          return "finished";
        })).build();
    server.start();
    URI base = server.endpoint();
    try (RawHttp idle = new RawHttp(base); RawHttp busy = new RawHttp(base)) {
      busy.send("GET /slow HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n");
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(
          () -> server.stop(Duration.ofSeconds(10)));

      assertTrue(refusesConnections(base), "still accepting after stop began");
      assertTrue(idle.closedByServer(), "idle keep-alive connection not closed on stop");
      release.countDown();
      String resp = busy.readResponse();
      assertTrue(resp.startsWith("HTTP/1.1 200") && resp.endsWith("finished"), resp);
      assertTrue(resp.toLowerCase().contains("connection: close"), resp);
      stopping.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      server.stop(Duration.ZERO);
    }
  }

  private static boolean refusesConnections(URI base) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      try (Socket s = new Socket("127.0.0.1", base.getPort())) {
        Thread.sleep(20);
      } catch (ConnectException e) {
        return true;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    return false;
  }
}
