package dev.channelanalytics.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on a free loopback port in front of a real server, for faults the server itself
 * cannot be asked for: it forwards, or refuses (every connection closed, new ones reset at once),
 * or holds (bytes are read and kept back, so a client waits as on a paused server), or delays every
 * chunk it forwards. What it started, {@link #close()} stops.
 */
public final class TcpProxy implements AutoCloseable {
  private enum Mode {
    FORWARD,
    REFUSE,
    HOLD
  }

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.FORWARD;
  private volatile long delayNanos;
  private final Object released = new Object();

  private TcpProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "proxy-" + target.getPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy in front of {@code host:port}, forwarding. */
  public static TcpProxy to(String host, int port) {
    try {
      return new TcpProxy(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A proxy in front of the server of {@code url} (an http URL). */
  public static TcpProxy to(URI url) {
    return to(url.getHost(), url.getPort());
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The server's URL with the proxy's port instead of the server's. */
  public URI url(URI serverUrl) {
    return URI.create(serverUrl.getScheme() + "://localhost:" + port() + serverUrl.getRawPath());
  }

  /** Forwards again, without delay; held bytes go on. */
  public void forward() {
    delayNanos = 0;
    mode = Mode.FORWARD;
    synchronized (released) {
      released.notifyAll();
    }
  }

  /** Closes every connection and closes each new one at once, as a stopped server would. */
  public void refuse() {
    mode = Mode.REFUSE;
    sockets.forEach(TcpProxy::closeQuietly);
  }

  /** Keeps everything back, in both directions, until {@link #forward()}: a paused server. */
  public void hold() {
    mode = Mode.HOLD;
  }

  /** Forwards, each chunk after {@code delay}: a slow network or an overloaded server. */
  public void delay(Duration delay) {
    mode = Mode.FORWARD;
    delayNanos = delay.toNanos();
    synchronized (released) {
      released.notifyAll();
    }
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (mode == Mode.REFUSE) {
          client.setSoLinger(true, 0);
          client.close();
          continue;
        }
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        sockets.add(client);
        sockets.add(upstream);
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  awaitForwarding();
                  long delay = delayNanos;
                  if (delay > 0) {
                    TimeUnit.NANOSECONDS.sleep(delay);
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // a side closed, or refuse() closed both
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private void awaitForwarding() throws InterruptedException, SocketException {
    synchronized (released) {
      while (mode == Mode.HOLD) {
        released.wait(1_000);
      }
    }
    if (mode == Mode.REFUSE) {
      throw new SocketException("refused");
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    sockets.forEach(TcpProxy::closeQuietly);
    forward();
  }
}
