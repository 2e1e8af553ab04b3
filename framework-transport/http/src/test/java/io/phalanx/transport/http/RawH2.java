package io.phalanx.transport.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/2 frames written by hand over a plain socket, for what well-behaved clients never send (a
 * header block left open). Header blocks are HPACK-encoded by Netty's encoder, one per connection
 * so that its dynamic table matches the server's.
 */
final class RawH2 implements AutoCloseable {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int SETTINGS = 0x4;
  static final int GOAWAY = 0x7;
  static final int CONTINUATION = 0x9;
  static final int END_STREAM = 0x1;
  static final int END_HEADERS = 0x4;
  /** RFC 9113 section 7. */
  static final long ENHANCE_YOUR_CALM = 0xb;

  /** One frame read from the server. */
  record Frame(int type, int flags, int stream, byte[] payload) {
    /** A GOAWAY's error code. */
    long errorCode() {
      return ((payload[4] & 0xffL) << 24) | ((payload[5] & 0xff) << 16)
          | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
    }

    /** A GOAWAY's debug data. */
    String debugData() {
      return new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final DefaultHttp2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();

  /** Connects and sends the client preface with empty SETTINGS (prior knowledge). */
  static RawH2 priorKnowledge(int port) throws IOException {
    RawH2 c = new RawH2(port);
    c.preface();
    return c;
  }

  /**
   * Connects, upgrades with {@code Upgrade: h2c} on a GET of {@code path} (stream 1), then sends
   * the client preface with empty SETTINGS.
   */
  static RawH2 upgraded(int port, String path) throws IOException {
    RawH2 c = new RawH2(port);
    c.out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    c.out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      head.write(c.in.readUnsignedByte());
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    if (!h.startsWith("HTTP/1.1 101")) {
      throw new IOException("not upgraded: " + h);
    }
    c.preface();
    return c;
  }

  /** Connects over TLS with ALPN {@code h2} and sends the client preface with empty SETTINGS. */
  static RawH2 tls(int port, SSLContext context) throws IOException {
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("localhost", port);
    SSLParameters p = s.getSSLParameters();
    p.setApplicationProtocols(new String[] {"h2"});
    s.setSSLParameters(p);
    s.startHandshake();
    if (!"h2".equals(s.getApplicationProtocol())) {
      s.close();
      throw new IOException("ALPN chose " + s.getApplicationProtocol() + ", not h2");
    }
    RawH2 c = new RawH2(s);
    c.preface();
    return c;
  }

  private RawH2(int port) throws IOException {
    this(new Socket("127.0.0.1", port));
  }

  private RawH2(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  private void preface() throws IOException {
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    frame(SETTINGS, 0, 0, new byte[0]);
  }

  /** The HPACK block of {@code headers}. */
  byte[] headerBlock(Http2Headers headers) throws Http2Exception {
    ByteBuf buf = Unpooled.buffer();
    try {
      hpack.encodeHeaders(0, headers, buf);
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  /** Writes and flushes one frame. */
  void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    out.write(bytes(type, flags, stream, payload));
    out.flush();
  }

  /** Writes {@code frames} in one write, so that the server reads them in one go. */
  void frames(Frame... frames) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Frame f : frames) {
      all.write(bytes(f.type(), f.flags(), f.stream(), f.payload()));
    }
    out.write(all.toByteArray());
    out.flush();
  }

  private static byte[] bytes(int type, int flags, int stream, byte[] payload) {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) (stream >>> 24);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    return f;
  }

  /** The next frame, or null once the server closed the connection (EOF or reset). */
  Frame read() throws IOException {
    byte[] h = new byte[9];
    try {
      in.readFully(h);
      int length = ((h[0] & 0xff) << 16) | ((h[1] & 0xff) << 8) | (h[2] & 0xff);
      byte[] payload = new byte[length];
      in.readFully(payload);
      int stream = ((h[5] & 0x7f) << 24) | ((h[6] & 0xff) << 16) | ((h[7] & 0xff) << 8)
          | (h[8] & 0xff);
      return new Frame(h[3] & 0xff, h[4] & 0xff, stream, payload);
    } catch (EOFException e) {
      return null;
    } catch (SocketException e) {
      return null; // reset
    }
  }

  /** The next frame of {@code type}, skipping others; null if the connection closed first. */
  Frame next(int type) throws IOException {
    Frame f;
    while ((f = read()) != null && f.type() != type) {
      // skip SETTINGS, WINDOW_UPDATE, responses on other streams...
    }
    return f;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
