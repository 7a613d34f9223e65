package io.weft.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local API: HTTP/1.1 over a unix domain socket ({@code --api-socket}), so both {@code curl
 * --unix-socket /run/weft/weft.sock http://weft/v1/status} and the CNI plugin can talk to it.
 *
 * <p>Netty with epoll domain sockets: its HTTP codec and aggregator give a correct, bounded HTTP/1.1 parser
 * (keep-alive, {@code Expect: 100-continue}, chunked bodies) that a hand-made JDK-channel server would have
 * to reimplement. One event-loop thread does the I/O; handlers run on a small worker pool, because a CNI
 * ADD blocks while its netlink work runs and must not stall other connections.
 *
 * <p>The socket file is created mode 0600 with no window in which it is open wider: the server binds a
 * temporary name, changes its mode, then renames it into place. A socket file left by a crashed agent is
 * replaced, but only after a connect to it fails; a live one makes {@link Builder#start()} fail.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  /**
   * The largest CNI request the forwarder sends (a 1 MiB config and 64 KiB of variables), small enough to
   * refuse abuse.
   */
  public static final int DEFAULT_MAX_REQUEST_BYTES = (1 << 20) + (64 << 10);
  public static final int DEFAULT_WORKERS = 4;
  /** Requests waiting for a worker beyond this are answered 503 at once instead of piling up. */
  static final int MAX_QUEUED = 1024;

  private final Path socket;
  private final EventLoopGroup group;
  private final ThreadPoolExecutor workers;
  private final Channel channel;

  private ApiServer(Path socket, EventLoopGroup group, ThreadPoolExecutor workers, Channel channel) {
    this.socket = socket;
    this.group = group;
    this.workers = workers;
    this.channel = channel;
  }

  /** A server for the socket at {@code socket}. */
  public static Builder on(Path socket) {
    return new Builder(socket);
  }

  public Path socket() {
    return socket;
  }

  /** Stops accepting, lets running handlers finish (a few seconds at most), removes the socket file. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("could not remove API socket {}: {}", socket, e.toString());
    }
  }

  /** Routes and limits, then {@link #start()}. */
  public static final class Builder {
    private final Path socket;
    private final Map<String, Map<String, ApiHandler>> routes = new TreeMap<>();
    private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
    private int workers = DEFAULT_WORKERS;

    private Builder(Path socket) {
      this.socket = Objects.requireNonNull(socket, "socket").toAbsolutePath();
    }

    /** Serves {@code method path} (exact path, e.g. {@code GET /v1/status}) with {@code handler}. */
    public Builder route(String method, String path, ApiHandler handler) {
      Map<String, ApiHandler> byMethod = routes.computeIfAbsent(path, p -> new TreeMap<>());
      if (byMethod.putIfAbsent(method, Objects.requireNonNull(handler, "handler")) != null) {
        throw new IllegalArgumentException("route " + method + " " + path + " is defined twice");
      }
      return this;
    }

    /** Largest request body accepted; bigger ones get 413. */
    public Builder maxRequestBytes(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxRequestBytes must be positive");
      }
      this.maxRequestBytes = bytes;
      return this;
    }

    /** Threads that run handlers. */
    public Builder workers(int threads) {
      if (threads <= 0) {
        throw new IllegalArgumentException("workers must be positive");
      }
      this.workers = threads;
      return this;
    }

    /**
     * Binds the socket and starts serving.
     *
     * @throws IOException when the socket's directory cannot be made, another server answers on the
     *     socket, or the bind fails
     */
    public ApiServer start() throws IOException {
      Map<String, Map<String, ApiHandler>> table = new HashMap<>();
      routes.forEach((path, byMethod) -> table.put(path, Map.copyOf(byMethod)));
      prepare(socket);
      Path temporary = socket.resolveSibling("." + socket.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
      Files.deleteIfExists(temporary);
      AtomicInteger threadNumber = new AtomicInteger();
      ThreadPoolExecutor pool = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
            Thread t = new Thread(r, "weft-api-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      ObjectMapper json = new ObjectMapper();
      int limit = maxRequestBytes;
      Channel channel;
      try {
        channel = new ServerBootstrap()
            .group(group)
            .channel(EpollServerDomainSocketChannel.class)
            .childHandler(new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new HttpServerCodec(4096, 8192, 8192))
                    .addLast(new BoundedAggregator(limit, json))
                    .addLast(new Dispatcher(table, pool, json));
              }
            })
            .bind(new DomainSocketAddress(temporary.toString()))
            .syncUninterruptibly()
            .channel();
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
        Files.move(temporary, socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (RuntimeException | IOException e) {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        pool.shutdownNow();
        Files.deleteIfExists(temporary);
        throw e instanceof IOException io ? io : new IOException("could not listen on " + socket + ": " + e.getMessage(), e);
      }
      log.info("API listening on {}", socket);
      return new ApiServer(socket, group, pool, channel);
    }
  }

  /**
   * Parent directory 0755 if missing; a stale socket removed only when nothing answers on it. Public so
   * the agent can check its socket before it joins the mesh and load Netty while the join runs.
   *
   * @throws IOException when the directory cannot be made or the path cannot be used (see {@link Builder#start()})
   */
  public static void prepare(Path socket) throws IOException {
    Path dir = socket.getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    BasicFileAttributes attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isOther()) {
      throw new IOException("cannot listen on " + socket + ": it exists and is not a socket");
    }
    if (answers(socket)) {
      throw new IOException("cannot listen on " + socket + ": another process is serving it (is another weft-agent running?)");
    }
    log.info("removing stale API socket {} (nothing answers on it)", socket);
    Files.deleteIfExists(socket);
  }

  private static boolean answers(Path socket) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  static FullHttpResponse response(int status, String contentType, byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return r;
  }

  static FullHttpResponse error(ObjectMapper json, int status, String message) {
    byte[] body;
    try {
      body = json.writeValueAsBytes(Map.of("error", message));
    } catch (IOException e) {
      throw new IllegalStateException("could not write an error body", e);
    }
    return response(status, "application/json", body);
  }

  /** The aggregator that answers an oversized request with a JSON 413 (and closes), like every other error. */
  private static final class BoundedAggregator extends HttpObjectAggregator {
    /** Longest an oversized request's connection stays open after its 413, to read and drop its body. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(2);

    private final ObjectMapper json;
    private final int limit;

    BoundedAggregator(int limit, ObjectMapper json) {
      super(limit);
      this.limit = limit;
      this.json = json;
    }

    /**
     * A request that announces an oversized body and waits for {@code 100 Continue} gets the same JSON
     * 413 as any other, instead of Netty's empty one; the body is then not sent at all.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
      Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
      if (answer instanceof FullHttpResponse r && r.status().code() == 413) {
        r.release();
        FullHttpResponse refused = error(json, 413, "request body larger than " + limit + " bytes");
        refused.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return refused;
      }
      return answer;
    }

    /** After a refused {@code 100-continue} the client sends no body: closing at once loses nothing. */
    @Override
    protected boolean closeAfterContinueResponse(Object answer) {
      return answer instanceof FullHttpResponse r && r.status().code() == 413;
    }

    /** Set once a 413 is sent: the rest of that body is read and dropped, then the connection closes. */
    private boolean closeWhenDrained;

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      FullHttpResponse r = error(json, 413, "request body larger than " + limit + " bytes");
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      // Closing now, with the client's body still unread in our receive buffer, could reset the connection
      // and the client would lose the 413. So: answer, shut our side (the client sees the answer end at
      // once, even one that announced a huge Content-Length and waits before sending it), drop what still
      // comes, and close when the body has ended or after DRAIN_LIMIT, whichever is first.
      ctx.writeAndFlush(r).addListener(f -> {
        if (ctx.channel() instanceof DuplexChannel duplex) {
          duplex.shutdownOutput();
        }
      });
      ctx.executor().schedule(() -> ctx.close(), DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      closeWhenDrained = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      boolean last = msg instanceof LastHttpContent;
      super.channelRead(ctx, msg);
      if (closeWhenDrained && last) {
        ctx.close();
      }
    }
  }

  /**
   * Routes each complete request to its handler on a worker and writes the answer back. Requests of one
   * connection are answered one at a time, in order (HTTP/1.1 pipelining): the next is dispatched only
   * when the previous answer is written. State is touched on the connection's event loop only.
   */
  private static final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** A request copied out of Netty's buffers, with its handler or the error answer it already has. */
    private record Call(ApiRequest request, ApiHandler handler, FullHttpResponse answer, boolean keepAlive) {}

    private final Map<String, Map<String, ApiHandler>> routes;
    private final ThreadPoolExecutor workers;
    private final ObjectMapper json;
    private final ArrayDeque<Call> pending = new ArrayDeque<>();
    private boolean busy;

    Dispatcher(Map<String, Map<String, ApiHandler>> routes, ThreadPoolExecutor workers, ObjectMapper json) {
      this.routes = routes;
      this.workers = workers;
      this.json = json;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      pending.add(route(request));
      if (!busy) {
        next(ctx);
      }
    }

    private Call route(FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (request.decoderResult().isFailure()) {
        return new Call(null, null,
            error(json, 400, "malformed HTTP request: " + request.decoderResult().cause().getMessage()), false);
      }
      QueryStringDecoder uri = new QueryStringDecoder(request.uri());
      String method = request.method().name();
      Map<String, ApiHandler> byMethod = routes.get(uri.path());
      if (byMethod == null) {
        return new Call(null, null, error(json, 404, "no such endpoint: " + method + " " + uri.path()), keepAlive);
      }
      ApiHandler handler = byMethod.get(method);
      if (handler == null) {
        FullHttpResponse r = error(json, 405, "method " + method + " not allowed on " + uri.path()
            + " (allowed: " + String.join(", ", byMethod.keySet()) + ")");
        r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", byMethod.keySet()));
        return new Call(null, null, r, keepAlive);
      }
      Map<String, String> query = new LinkedHashMap<>();
      for (Map.Entry<String, List<String>> e : uri.parameters().entrySet()) {
        query.put(e.getKey(), e.getValue().isEmpty() ? "" : e.getValue().get(e.getValue().size() - 1));
      }
      ByteBuf content = request.content();
      byte[] body = new byte[content.readableBytes()];
      content.getBytes(content.readerIndex(), body);
      return new Call(new ApiRequest(method, uri.path(), query, body), handler, null, keepAlive);
    }

    /** Dispatches the oldest waiting request, if any. */
    private void next(ChannelHandlerContext ctx) {
      Call c = pending.poll();
      if (c == null) {
        busy = false;
        return;
      }
      busy = true;
      if (c.answer() != null) {
        finish(ctx, c.answer(), c.keepAlive());
        return;
      }
      try {
        workers.execute(() -> {
          FullHttpResponse r = handle(c.handler(), c.request());
          ctx.executor().execute(() -> finish(ctx, r, c.keepAlive()));
        });
      } catch (RejectedExecutionException e) {
        finish(ctx, error(json, 503, "too many requests in flight; try again"), false);
      }
    }

    private FullHttpResponse handle(ApiHandler handler, ApiRequest request) {
      try {
        ApiResponse r = handler.handle(request);
        FullHttpResponse response = response(r.status(), r.contentType(), r.body());
        r.headers().forEach((name, value) -> response.headers().set(name, value));
        return response;
      } catch (Exception e) {
        log.error("API handler for {} {} failed", request.method(), request.path(), e);
        return error(json, 500, request.method() + " " + request.path() + " failed: " + e);
      }
    }

    /** Writes an answer (on the event loop); then the next request, or the close. */
    private void finish(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
      if (keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response);
        next(ctx);
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        pending.clear(); // anything pipelined after a "Connection: close" request is not answered
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      pending.clear();
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("API connection failed: {}", cause.toString());
      ctx.close();
    }
  }
}
