#include "tests/unit/server_fixture.h"

#include <sstream>

namespace sluice::testing {
namespace {

std::string EncodeCommand(const std::vector<std::string_view>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  return out;
}

bool ReadLine(std::string_view bytes, size_t* pos, std::string_view* line) {
  size_t end = bytes.find("\r\n", *pos);
  if (end == std::string_view::npos) return false;
  *line = bytes.substr(*pos, end - *pos);
  *pos = end + 2;
  return true;
}

}  // namespace

bool DecodeReply(std::string_view bytes, size_t* pos, RespValue* out) {
  using T = RespValue::Type;
  if (*pos >= bytes.size()) return false;
  char kind = bytes[*pos];
  size_t p = *pos + 1;
  std::string_view line;
  if (!ReadLine(bytes, &p, &line)) return false;
  RespValue v;
  auto aggregate = [&](T type, int64_t n) {
    v.type = type;
    for (int64_t i = 0; i < n; ++i) {
      RespValue child;
      if (!DecodeReply(bytes, &p, &child)) return false;
      v.elements.push_back(std::move(child));
    }
    return true;
  };
  switch (kind) {
    case '+':
      v.type = T::kStatus;
      v.str = line;
      break;
    case '-':
      v.type = T::kError;
      v.str = line;
      break;
    case ':':
      v.type = T::kInteger;
      v.integer = std::stoll(std::string(line));
      break;
    case '_':
      v.type = T::kNull;
      break;
    case ',':
      v.type = T::kDouble;
      v.str = line;
      break;
    case '#':
      v.type = T::kBool;
      v.integer = line == "t" ? 1 : 0;
      break;
    case '(':
      v.type = T::kBigNumber;
      v.str = line;
      break;
    case '$':
    case '=': {
      int64_t n = std::stoll(std::string(line));
      if (n < 0) {
        v.type = T::kNull;
        break;
      }
      if (p + static_cast<size_t>(n) + 2 > bytes.size()) return false;
      v.type = kind == '$' ? T::kBulk : T::kVerbatim;
      v.str = bytes.substr(p, static_cast<size_t>(n));
      if (kind == '=') v.str = v.str.substr(4);
      p += static_cast<size_t>(n) + 2;
      break;
    }
    case '*':
    case '~':
    case '>': {
      int64_t n = std::stoll(std::string(line));
      if (n < 0) {
        v.type = T::kNull;
        break;
      }
      if (!aggregate(kind == '*' ? T::kArray : kind == '~' ? T::kSet : T::kPush, n)) return false;
      break;
    }
    case '%': {
      int64_t n = std::stoll(std::string(line));
      if (!aggregate(T::kMap, 2 * n)) return false;
      break;
    }
    default:
      return false;
  }
  *out = std::move(v);
  *pos = p;
  return true;
}

std::vector<std::string> RespValue::Strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.type == Type::kNull ? "(nil)" : e.str);
  return out;
}

std::string RespValue::ToString() const {
  std::ostringstream os;
  switch (type) {
    case Type::kStatus:
      os << "+" << str;
      break;
    case Type::kError:
      os << "-" << str;
      break;
    case Type::kInteger:
      os << "(integer) " << integer;
      break;
    case Type::kBulk:
      os << '"' << str << '"';
      break;
    case Type::kNull:
      os << "(nil)";
      break;
    case Type::kDouble:
      os << "(double) " << str;
      break;
    case Type::kBool:
      os << (integer ? "(true)" : "(false)");
      break;
    case Type::kBigNumber:
      os << "(big) " << str;
      break;
    case Type::kVerbatim:
      os << "(verbatim) " << str;
      break;
    case Type::kNone:
      os << "(no reply)";
      break;
    default: {
      const char* open = type == Type::kMap    ? "{"
                         : type == Type::kSet  ? "~["
                         : type == Type::kPush ? ">["
                                               : "[";
      os << open;
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i) os << ", ";
        os << elements[i].ToString();
      }
      os << (type == Type::kMap ? "}" : "]");
    }
  }
  return os.str();
}

bool operator==(const RespValue& v, std::string_view s) {
  using T = RespValue::Type;
  return (v.type == T::kBulk || v.type == T::kStatus || v.type == T::kDouble ||
          v.type == T::kVerbatim || v.type == T::kBigNumber) &&
         v.str == s;
}
bool operator==(const RespValue& v, const char* s) { return v == std::string_view(s); }
bool operator==(const RespValue& v, int64_t n) {
  return v.type == RespValue::Type::kInteger && v.integer == n;
}
bool operator==(const RespValue& v, int n) { return v == static_cast<int64_t>(n); }
bool operator==(const RespValue& v, const std::vector<std::string>& items) {
  using T = RespValue::Type;
  return (v.type == T::kArray || v.type == T::kSet || v.type == T::kPush) && v.Strings() == items;
}
std::ostream& operator<<(std::ostream& os, const RespValue& v) { return os << v.ToString(); }

::testing::AssertionResult ErrorStartsWith(const RespValue& v, std::string_view prefix) {
  if (v.type == RespValue::Type::kError && std::string_view(v.str).starts_with(prefix)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "expected an error starting with '" << prefix << "', got " << v.ToString();
}

ServerTest::ServerTest() {
  std::string ignored;
  config_.Set("appendonly", "no", true, &ignored);
  server_ = std::make_unique<Server>(&config_);
  server_->SetFakeTime(kStartTimeMs);
  client_ = NewClient();
}

ServerTest::~ServerTest() = default;

Session* ServerTest::NewClient() { return server_->NewSession(nullptr); }

RespValue ServerTest::Run(Session* session, std::initializer_list<std::string_view> args) {
  Send(session, args);
  std::vector<RespValue> replies = TakeReplies(session);
  if (replies.empty()) return RespValue{};
  EXPECT_EQ(replies.size(), 1u) << "a command produced several replies";
  return replies.back();
}

RespValue ServerTest::Run(Session* session, const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  session->Feed(EncodeCommand(views));
  std::vector<RespValue> replies = TakeReplies(session);
  return replies.empty() ? RespValue{} : replies.back();
}

void ServerTest::Send(Session* session, std::initializer_list<std::string_view> args) {
  session->Feed(EncodeCommand(std::vector<std::string_view>(args)));
}

std::vector<RespValue> ServerTest::TakeReplies(Session* session) {
  server_->RunPendingWork();
  std::vector<RespValue> replies;
  std::string& out = session->output();
  size_t pos = 0;
  RespValue v;
  while (DecodeReply(out, &pos, &v)) replies.push_back(std::move(v));
  out.erase(0, pos);
  return replies;
}

std::vector<RespValue> ServerTest::RunRaw(Session* session, std::string_view bytes) {
  session->Feed(bytes);
  return TakeReplies(session);
}

void ServerTest::AdvanceTime(int64_t ms) {
  server_->AdvanceFakeTime(ms);
  server_->Cron();
}

}  // namespace sluice::testing
