// The network layer: a libuv TCP listener and connections with a read buffer and a write queue.
// It moves bytes and applies back-pressure; it knows nothing about RESP or commands. A
// ConnectionHandler (the client session) consumes the read buffer and fills the output buffer.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sluice::net {

class Connection;

// Bytes received and not yet consumed, in one contiguous block so parsed arguments can be views.
struct ReadBuffer {
  char* data = nullptr;
  size_t begin = 0;  // first unconsumed byte
  size_t end = 0;    // one past the last received byte
  size_t capacity = 0;

  ReadBuffer() = default;
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;
  ~ReadBuffer() { Release(); }

  size_t pending() const { return end - begin; }
  void Reserve(size_t free_bytes);
  void Compact();
  void Release();
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // New bytes are in the connection's read buffer; consume what can be processed.
  virtual void OnReadable() = 0;
  // The output buffer drained below the low-water mark after back-pressure stopped processing.
  virtual void OnWritable() = 0;
  // The connection is gone; the handler must drop every reference to it.
  virtual void OnClosed() = 0;
};

class Connection {
 public:
  Connection(uv_loop_t* loop, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  uint64_t id() const { return id_; }
  void set_handler(ConnectionHandler* handler) { handler_ = handler; }
  ReadBuffer& read_buffer() { return rbuf_; }
  std::string& output() { return out_; }
  // Bytes written by handlers but not yet accepted by the kernel.
  size_t pending_output() const { return out_.size() + inflight_.size(); }
  const std::string& peer() const { return peer_; }
  const std::string& local() const { return local_; }
  int fd() const;

  void StartReading();
  void StopReading();
  // Sends what is in output(); called once per loop iteration by the owner.
  void Flush();
  // Closes after the pending output has been written (QUIT) or at once.
  void CloseAfterFlush();
  void Close();
  bool closing() const { return closing_; }

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* handle);

  uv_tcp_t tcp_;
  uv_write_t write_req_;
  uint64_t id_;
  ConnectionHandler* handler_ = nullptr;
  ReadBuffer rbuf_;
  std::string out_;       // filled by the handler
  std::string inflight_;  // handed to uv_write, kept alive until its callback
  std::string peer_;
  std::string local_;
  bool reading_ = false;
  bool closing_ = false;
  bool close_after_flush_ = false;
  bool write_in_flight_ = false;
};

// Accepts TCP connections and hands each to `on_accept`, which takes ownership.
class Listener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<Connection>)>;
  Listener(uv_loop_t* loop, AcceptFn on_accept) : loop_(loop), on_accept_(std::move(on_accept)) {}
  // Returns 0 or a libuv error code.
  int Listen(const std::string& address, int port, int backlog);
  void Close();
  int bound_port() const;

 private:
  static void OnConnection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  AcceptFn on_accept_;
  uv_tcp_t tcp_;
  bool open_ = false;
  uint64_t next_id_ = 1;
};

}  // namespace sluice::net
