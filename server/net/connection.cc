#include "server/net/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstdlib>
#include <cstring>

namespace sluice::net {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

std::string FormatAddress(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(in, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(in6, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

void ReadBuffer::Reserve(size_t free_bytes) {
  if (capacity - end >= free_bytes) return;
  Compact();
  if (capacity - end >= free_bytes) return;
  size_t wanted = end + free_bytes;
  size_t grown = capacity * 2 > wanted ? capacity * 2 : wanted;
  char* bigger = static_cast<char*>(realloc(data, grown));
  if (bigger == nullptr) abort();
  data = bigger;
  capacity = grown;
}

void ReadBuffer::Compact() {
  if (begin == 0) return;
  if (begin < end) memmove(data, data + begin, end - begin);
  end -= begin;
  begin = 0;
}

void ReadBuffer::Release() {
  free(data);
  data = nullptr;
  begin = end = capacity = 0;
}

Connection::Connection(uv_loop_t* loop, uint64_t id) : id_(id) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  write_req_.data = this;
}

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
  return fd;
}

void Connection::StartReading() {
  if (reading_ || closing_) return;
  if (peer_.empty()) {
    sockaddr_storage addr{};
    int len = sizeof(addr);
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      peer_ = FormatAddress(addr);
    }
    len = sizeof(addr);
    if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      local_ = FormatAddress(addr);
    }
  }
  reading_ = uv_read_start(stream(), OnAlloc, OnRead) == 0;
}

void Connection::StopReading() {
  if (!reading_) return;
  uv_read_stop(stream());
  reading_ = false;
}

void Connection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  self->rbuf_.Reserve(kReadChunk);
  buf->base = self->rbuf_.data + self->rbuf_.end;
  buf->len = self->rbuf_.capacity - self->rbuf_.end;
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread < 0) {
    self->Close();
    return;
  }
  if (nread == 0) return;
  self->rbuf_.end += static_cast<size_t>(nread);
  if (self->handler_ != nullptr) self->handler_->OnReadable();
}

void Connection::Flush() {
  if (closing_ || write_in_flight_ || out_.empty()) {
    return;
  }
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int written = uv_try_write(stream(), &buf, 1);
  if (written == static_cast<int>(out_.size())) {
    out_.clear();
    if (close_after_flush_) Close();
    return;
  }
  if (written < 0 && written != UV_EAGAIN) {
    Close();
    return;
  }
  size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  // The rest goes through uv_write; new replies accumulate in out_ meanwhile.
  inflight_.assign(out_, done, std::string::npos);
  out_.clear();
  buf = uv_buf_init(inflight_.data(), static_cast<unsigned>(inflight_.size()));
  if (uv_write(&write_req_, stream(), &buf, 1, OnWrite) != 0) {
    Close();
    return;
  }
  write_in_flight_ = true;
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->write_in_flight_ = false;
  self->inflight_.clear();
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  if (!self->out_.empty()) {
    self->Flush();
    return;
  }
  if (self->close_after_flush_) {
    self->Close();
    return;
  }
  if (self->handler_ != nullptr) self->handler_->OnWritable();
}

void Connection::CloseAfterFlush() {
  close_after_flush_ = true;
  StopReading();
  if (!write_in_flight_ && out_.empty()) Close();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  StopReading();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClose);
}

void Connection::OnClose(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (self->handler_ != nullptr) self->handler_->OnClosed();
  self->rbuf_.Release();
  delete self;
}

int Listener::Listen(const std::string& address, int port, int backlog) {
  sockaddr_storage addr{};
  int rc = uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) rc = uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr));
  if (rc != 0) return rc;
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  open_ = true;
  rc = uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc != 0) return rc;
  return uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), backlog, OnConnection);
}

int Listener::bound_port() const {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

void Listener::Close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
}

void Listener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (status < 0) return;
  auto conn = std::make_unique<Connection>(self->loop_, self->next_id_++);
  if (uv_accept(server, conn->stream()) != 0) {
    Connection* raw = conn.release();
    raw->Close();
    return;
  }
  uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(conn->stream()), 1);
  self->on_accept_(std::move(conn));
}

}  // namespace sluice::net
