// ReplyBuilder: the single place where replies become RESP2 or RESP3 bytes. Handlers describe a
// reply (an array of three bulks, a map of two entries, a double) and the builder picks the wire
// form for the connection's protocol, so no handler ever writes protocol bytes itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  void set_resp3(bool resp3) { resp3_ = resp3; }
  bool resp3() const { return resp3_; }
  void set_output(std::string* out) { out_ = out; }
  std::string* output() const { return out_; }

  void Ok() { Raw("+OK\r\n"); }
  void SimpleString(std::string_view s);
  // `message` is the error without the leading '-', e.g. "ERR syntax error". Newlines in the
  // message are replaced by spaces so the reply stays one protocol line.
  void Error(std::string_view message);
  void Integer(int64_t value) {
    if (integer_capture_ != nullptr && out_->empty() && !integer_capture_->captured) {
      integer_capture_->captured = true;
      integer_capture_->value = value;
      return;
    }
    Header(':', value);
  }
  void Bulk(std::string_view s);
  // A missing value: $-1 in RESP2, _ in RESP3.
  void Null();
  // A missing aggregate (EXEC after a failed WATCH, BLPOP timeout): *-1 in RESP2, _ in RESP3.
  void NullArray();
  void ArrayHeader(size_t n);
  // RESP2 sends maps as flat arrays of 2n elements.
  void MapHeader(size_t n);
  void SetHeader(size_t n);
  // Out-of-band messages (pub/sub): > in RESP3, an ordinary array in RESP2.
  void PushHeader(size_t n);
  void Double(double value);
  // A double already formatted the way the command reports it (ZSCORE, INCRBYFLOAT).
  void DoubleText(std::string_view text);
  void Bool(bool value);
  void BigNumber(std::string_view digits);
  void Verbatim(std::string_view text, std::string_view format = "txt");
  void EmptyArray() { ArrayHeader(0); }
  // Pre-encoded protocol bytes (shared pub/sub frames, captured replies).
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // While a capture is set, an integer that would be the first thing written is stored in it
  // instead (and nothing is written): a script's redis.call takes a command's integer reply as
  // a number without formatting it and parsing it back.
  struct IntegerCapture {
    bool captured = false;
    int64_t value = 0;
  };
  void StartIntegerCapture(IntegerCapture* capture) { integer_capture_ = capture; }
  // Ends the capture. An integer captured ahead of further output is written back in front of
  // it (and the capture then holds nothing), so the output is always the whole reply.
  void EndIntegerCapture() {
    IntegerCapture* capture = integer_capture_;
    integer_capture_ = nullptr;
    if (capture != nullptr && capture->captured && !out_->empty()) WriteBackInFront(capture);
  }

  // Error replies seen since the counter was last taken: the dispatcher counts them for INFO.
  uint64_t error_count() const { return error_count_; }
  std::string_view last_error_code() const { return last_error_code_; }
  void clear_error_state() {
    error_count_ = 0;
    last_error_code_ = {};
  }

 private:
  void Header(char kind, int64_t n);
  void WriteBackInFront(IntegerCapture* capture);

  std::string* out_;
  IntegerCapture* integer_capture_ = nullptr;
  bool resp3_ = false;
  uint64_t error_count_ = 0;
  std::string last_error_code_;
};

}  // namespace sluice
